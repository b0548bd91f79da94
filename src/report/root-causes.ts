/**
 * The findings of a run grouped by root cause: what every human-facing report (terminal, Markdown,
 * HTML) leads with. Four alg:none spellings accepted are one cause with one fix, four 403s are one
 * cause, a refused valid token that blocks an endpoint is one cause. A pure view of the result list:
 * it never changes a verdict, it only groups and orders what the verdict module decided.
 */
import { CATALOGUE } from '../cases/catalogue.js';
import type { Severity } from '../cases/types.js';
import { loadDiagnostics } from '../doctor/data.js';
import type { CaseResult } from '../suite/result.js';
import { severityRank } from '../suite/policy.js';
import { isFailing, type RunReport } from './summary.js';

export interface RootCause {
  /** Stable anchor id ("rc-alg-none"): the same run gives the same ids, whatever the test order. */
  id: string;
  kind: 'blocker' | 'finding';
  /** The cause, said as a fact. */
  title: string;
  /** The highest severity among its findings; a blocker is reported as 'blocker'. */
  severity: Exclude<Severity, 'info'> | 'blocker';
  /** Cause id (diagnostics/causes.yaml or the status policy), when the answer named one. */
  cause?: string;
  /** What to do, once. */
  fix: string;
  /** The distinct one-line observations behind it (usually one). */
  messages: string[];
  /** Case ids, in catalogue order. */
  cases: string[];
  /** Requests ("POST /jobs"), in the order of the results. */
  endpoints: string[];
  results: CaseResult[];
  /** Blockers: the doctor command that walks the cause. */
  doctor?: string;
  /** Blockers: how many cases could not be judged. */
  blockedCases?: number;
  /** At or above the gate (always true for a blocker). */
  failing: boolean;
}

/** Causes the status policy names itself (the others come from diagnostics/causes.yaml). */
const POLICY_TITLES: Record<string, string> = {
  'forbid-missing-header': '403 where 401 is right: unauthenticated requests are answered "forbidden"',
  'server-error': 'the server answers 5xx instead of a clean 401',
  'endpoint-not-found': 'the endpoint was not found (404): wrong target URL, method or path',
  'audit-invalid': 'accepted requests are not attributed in the audit log',
  'target-timeout': 'the target hangs on a bad token',
  'key-url-fetched': 'the target fetches key URLs named by the token (server-side request forgery)',
  'redirect-instead-of-401': 'the API redirects instead of answering 401',
};

const catalogueIndex = new Map(CATALOGUE.map((c, i) => [c.id, i]));
const catalogueTags = new Map(CATALOGUE.map((c) => [c.id, c.tags]));

/**
 * A genuine token with altered signature bytes accepted means the signature is not checked at all
 * (decode instead of verify); then every token not signed by the instance key (alg none, HS256,
 * a foreign key, an injected key, a truncated or tampered token) is accepted on that endpoint for
 * that one reason, and needs that one fix. Cases of other kinds (exp, iss, claims) keep their own.
 */
const UNVERIFIED_PROBE = 'signature-altered';
const FORGERY_TAGS = new Set(['signature', 'algorithm', 'key-injection', 'kid']);
/** Authorization cases whose token is forged too (a claim changed under the original signature). */
const AUTHZ_FORGERIES = new Set(['role-claim-tampered']);
const UNVERIFIED_TITLE = 'token signatures are not verified: a genuine token with altered signature bytes is accepted, and so are the forged ones';

/** The distinct observations, one per shape: "token_iat missing, expected 1796299090" once, not per token. */
function distinctMessages(messages: string[]): string[] {
  const seen = new Map<string, string>();
  for (const m of messages) {
    const shape = m.replace(/\d+/g, '#');
    if (!seen.has(shape)) seen.set(shape, m);
  }
  return [...seen.values()];
}

function isForgery(r: CaseResult): boolean {
  const authzForgery = AUTHZ_FORGERIES.has(r.caseId);
  const forged = authzForgery || (catalogueTags.get(r.caseId) ?? []).some((t) => FORGERY_TAGS.has(t));
  // A cause the answer named stays its own, except the authz forgeries' own generic cause.
  return r.expect === 'rejected' && (r.accepted === true || r.pastAuthentication === true) && (!r.cause || authzForgery) && forged;
}
const caseOrder = (id: string) => catalogueIndex.get(id) ?? Number.MAX_SAFE_INTEGER;

function causeTitle(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  if (POLICY_TITLES[cause]) return POLICY_TITLES[cause];
  try {
    return loadDiagnostics().causes.get(cause)?.title;
  } catch {
    return undefined;
  }
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'cause';

function titleFor(rs: CaseResult[]): string {
  const named = causeTitle(rs[0]!.cause);
  if (named) return named;
  const titles = [...new Set(rs.map((r) => r.title))];
  const list = titles.length > 2 ? `${titles[0]} (and ${titles.length - 1} similar)` : titles.join('; ');
  if (rs.every((r) => r.expect === 'rejected' && r.accepted)) return `accepts a token it must reject: ${list}`;
  if (rs.every((r) => r.expect === 'accepted')) return `refuses a valid token: ${list}`;
  return list;
}

/** Group the report's findings (and blockers) by root cause; blockers first, then by severity and catalogue order. */
export function rootCauses(report: RunReport): RootCause[] {
  const out: RootCause[] = [];
  for (const b of report.blockers) {
    const blocked = orderedResults(report.results).filter((r) => r.verdict === 'blocked' && r.blockedBy === b.cause);
    out.push({
      id: `rc-blocked-${slug(b.cause)}`,
      kind: 'blocker',
      title: `blocked: ${causeTitle(b.cause) ?? b.cause}`,
      severity: 'blocker',
      cause: b.cause,
      fix: b.fix,
      messages: [b.message],
      cases: [...new Set(blocked.map((r) => r.caseId))].sort((x, y) => caseOrder(x) - caseOrder(y)),
      endpoints: [...new Set(blocked.map((r) => r.request))],
      results: blocked,
      doctor: b.doctor,
      blockedCases: b.blockedCases,
      failing: true,
    });
  }
  const groups = new Map<string, CaseResult[]>();
  const unverified = new Set(report.results.filter((r) => r.verdict === 'finding' && r.caseId === UNVERIFIED_PROBE && isForgery(r)).map((r) => r.endpoint));
  for (const r of orderedResults(report.results)) {
    if (r.verdict !== 'finding') continue;
    // One cause with one fix; findings the answer gave no cause for group by their fix.
    const key = unverified.has(r.endpoint) && isForgery(r) ? 'unverified' : r.cause ? `cause:${r.cause}` : `fix:${r.hint ?? r.message}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const findingCauses = [...groups.entries()].map(([key, rs]): RootCause => {
    rs.sort((a, b) => caseOrder(a.caseId) - caseOrder(b.caseId));
    const severity = rs.map((r) => r.severity as Exclude<Severity, 'info'>).sort((a, b) => severityRank(a) - severityRank(b))[0]!;
    const probe = key === 'unverified' ? rs.find((r) => r.caseId === UNVERIFIED_PROBE) : undefined;
    return {
      id: probe ? 'rc-signature-not-verified' : '',
      kind: 'finding',
      title: probe ? UNVERIFIED_TITLE : titleFor(rs),
      severity,
      cause: probe ? undefined : rs[0]!.cause,
      fix: (probe ?? rs.find((r) => r.hint))?.hint ?? '',
      messages: probe ? [probe.message] : distinctMessages(rs.map((r) => r.message)),
      cases: [...new Set(rs.map((r) => r.caseId))],
      endpoints: [...new Set(rs.map((r) => r.request))],
      results: rs,
      failing: rs.some((r) => isFailing(r, report.failOn)),
    };
  });
  findingCauses.sort(
    (a, b) =>
      severityRank(a.severity as Severity) - severityRank(b.severity as Severity) ||
      caseOrder(a.cases[0]!) - caseOrder(b.cases[0]!) ||
      a.title.localeCompare(b.title),
  );
  const used = new Set(out.map((c) => c.id));
  for (const c of findingCauses) {
    if (c.id) {
      used.add(c.id);
      out.push(c);
      continue;
    }
    let id = `rc-${slug(c.cause ?? c.cases[0]!)}`;
    for (let n = 2; used.has(id); n++) id = `rc-${slug(c.cause ?? c.cases[0]!)}-${n}`;
    used.add(id);
    out.push({ ...c, id });
  }
  return out;
}

/** Which root cause explains a result (for matrix cells that link to it). */
export function rootCauseIndex(causes: RootCause[]): Map<CaseResult, RootCause> {
  const m = new Map<CaseResult, RootCause>();
  for (const c of causes) for (const r of c.results) m.set(r, c);
  return m;
}

/** Results sorted the way every report shows them: by endpoint (first appearance), then catalogue order. */
export function orderedResults(results: CaseResult[]): CaseResult[] {
  const endpointOrder = new Map<string, number>();
  for (const r of results) if (!endpointOrder.has(r.endpoint)) endpointOrder.set(r.endpoint, endpointOrder.size);
  return [...results].sort((a, b) => endpointOrder.get(a.endpoint)! - endpointOrder.get(b.endpoint)! || caseOrder(a.caseId) - caseOrder(b.caseId));
}

export { caseOrder };
