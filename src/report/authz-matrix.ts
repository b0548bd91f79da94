/**
 * The authorization matrix (issue 11): persona × endpoint, what the access rule expects of the
 * persona and what the target did. A pure view of the result list, like root-causes.ts: it never
 * decides a verdict, it only arranges the verdicts judgeAccess gave the authorization cases.
 */
import type { Severity } from '../cases/types.js';
import type { AuthzCell, CaseResult, Verdict } from '../suite/result.js';
import { severityRank } from '../suite/policy.js';

/** One authorization case of a cell: the persona's own session, or a token variant of it. */
export interface AuthzMatrixCase {
  caseId: string;
  /** generate.ts AuthzKind. */
  kind: string;
  token: AuthzCell['token'];
  expected: 'allowed' | 'denied';
  /** What a correct server answers (the accepted statuses, or the rule's refusal status). */
  expectedStatus: number[];
  /** The status the target answered; unset when nothing was sent. */
  observed?: number;
  /** Whether the target let the persona in; unset when nothing was sent. */
  observedAccess?: 'allowed' | 'denied';
  verdict: Verdict;
  /** Set for findings. */
  severity?: Exclude<Severity, 'info'>;
}

/** What one persona may do on one endpoint, expected and observed. */
export interface AuthzMatrixCell {
  persona: string;
  endpoint: string;
  /** Of the persona's own session token (the first case when it has none). */
  expected: 'allowed' | 'denied';
  expectedStatus: number[];
  observed?: number;
  /** Over all the cell's cases: a finding when any is one, then error, blocked, pass, info, skip. */
  verdict: Verdict;
  /** The most severe finding's severity. */
  severity?: Exclude<Severity, 'info'>;
  caseIds: string[];
  /** The persona's own session first, then its token variants (no active organization, o.rol changed). */
  cases: AuthzMatrixCase[];
}

export interface AuthzMatrix {
  /** Rows: the suite's personas in the order it declares them (else as the results first name them). */
  personas: string[];
  /** Columns: endpoints with an access rule, in the suite's order. */
  endpoints: Array<{ name: string; request: string }>;
  /** rows[i][j]: personas[i] on endpoints[j]; null when no case tried that persona there. */
  rows: Array<Array<AuthzMatrixCell | null>>;
}

/** Which verdict speaks for a cell of several cases: the most telling one. */
const VERDICT_WEIGHT: Record<Verdict, number> = { finding: 0, error: 1, blocked: 2, pass: 3, info: 4, skip: 5 };

function caseOf(r: CaseResult & { authz: AuthzCell }): AuthzMatrixCase {
  return {
    caseId: r.caseId,
    kind: r.authz.kind,
    token: r.authz.token,
    expected: r.authz.expected,
    expectedStatus: r.expectedStatus,
    ...(r.observed ? { observed: r.observed.status } : {}),
    ...(r.observed && r.authz.observed ? { observedAccess: r.authz.observed } : {}),
    verdict: r.verdict,
    ...(r.verdict === 'finding' && r.severity !== 'info' ? { severity: r.severity } : {}),
  };
}

function cellOf(persona: string, endpoint: string, rs: Array<CaseResult & { authz: AuthzCell }>): AuthzMatrixCell {
  // Stable sort: the session case first, the variants after it in result order.
  const cases = rs.map(caseOf).sort((a, b) => Number(a.token !== 'session') - Number(b.token !== 'session'));
  const primary = cases[0]!;
  const verdict = cases.map((c) => c.verdict).sort((a, b) => VERDICT_WEIGHT[a] - VERDICT_WEIGHT[b])[0]!;
  const severity = cases.flatMap((c) => (c.severity ? [c.severity] : [])).sort((a, b) => severityRank(a) - severityRank(b))[0];
  return {
    persona,
    endpoint,
    expected: primary.expected,
    expectedStatus: primary.expectedStatus,
    ...(primary.observed !== undefined ? { observed: primary.observed } : {}),
    verdict,
    ...(severity ? { severity } : {}),
    caseIds: cases.map((c) => c.caseId),
    cases,
  };
}

/**
 * The matrix of a run's results, or undefined when no result is an authorization case (so the
 * results.json of a suite without personas stays what it was). Results are read in plan order,
 * which is the suite's endpoint order; the order the tests finished in does not matter.
 */
export function authzMatrix(results: CaseResult[], personaOrder: string[] = []): AuthzMatrix | undefined {
  const authz = results.filter((r): r is CaseResult & { authz: AuthzCell; persona: string } => r.authz !== undefined && r.persona !== undefined);
  if (authz.length === 0) return undefined;
  const named = new Set(authz.map((r) => r.persona));
  const personas = [...new Set([...personaOrder.filter((p) => named.has(p)), ...named])];
  const endpoints = new Map<string, string>();
  for (const r of authz) if (!endpoints.has(r.endpoint)) endpoints.set(r.endpoint, r.request);
  const by = new Map<string, Array<CaseResult & { authz: AuthzCell }>>();
  for (const r of authz) {
    const key = `${r.persona}\u0000${r.endpoint}`;
    by.set(key, [...(by.get(key) ?? []), r]);
  }
  return {
    personas,
    endpoints: [...endpoints].map(([name, request]) => ({ name, request })),
    rows: personas.map((p) =>
      [...endpoints.keys()].map((e) => {
        const rs = by.get(`${p}\u0000${e}`);
        return rs ? cellOf(p, e, rs) : null;
      }),
    ),
  };
}

/** How a case's token is said in a cell. */
export const TOKEN_LABEL: Record<AuthzCell['token'], string> = { session: '', 'no-active-org': 'no active org', 'tampered-role': 'o.rol tampered' };

/**
 * One case in words, the same in every report: "allowed 200", "denied 404",
 * "denied expected 404, got 200", "denied 404, skipped".
 */
export function describeCase(c: AuthzMatrixCase): string {
  const want = c.expectedStatus.join('/');
  if (c.observed === undefined) return `${c.expected} ${want}, ${c.verdict === 'skip' ? 'skipped' : c.verdict === 'finding' ? 'not sent' : c.verdict}`;
  if (c.verdict === 'pass' || c.verdict === 'info') return `${c.expected} ${c.observed}`;
  return `${c.expected} expected ${want}, got ${c.observed}`;
}

/** The mark of a case's verdict in the terminal and the Markdown report. */
export const MARK: Record<Verdict, string> = { pass: '✓', finding: '✗', error: '!', blocked: '!', skip: '-', info: 'i' };
