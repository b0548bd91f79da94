import { readFileSync } from 'node:fs';
import type { CaseContext, CaseDef } from '../cases/types.js';
import { HarnessError, isHarnessError } from '../errors.js';
import { excerpt, send, type SendResult } from '../http/send.js';
import type { AuditExpectation, AuditProbe } from './audit-probe.js';
import type { PlannedCase } from './plan.js';
import type { CaseResult } from './result.js';
import type { SuiteEndpoint } from './types.js';
import { STATUS_POLICY } from './policy.js';
import { findingFor, judge, wasAccepted, withAudit } from './verdict.js';

export interface ExecuteInput {
  targetUrl: string;
  timeoutMs: number;
  suiteHeaders: Record<string, string>;
  endpoint: SuiteEndpoint;
  planned: PlannedCase;
  caseDef: CaseDef;
  context: CaseContext;
  audit?: AuditProbe;
  /** How many requests the attacker's key server (jku/x5u target) has served so far (those whose path starts with `match`, when given). */
  keyUrlFetches?: (match?: string) => number;
}

function skipped(input: ExecuteInput, reason: string): CaseResult {
  const { endpoint, caseDef, planned } = input;
  return {
    endpoint: endpoint.name,
    request: `${endpoint.method} ${endpoint.path}`,
    caseId: caseDef.id,
    title: caseDef.title,
    expect: planned.expect,
    expectedStatus: planned.expect === 'accepted' ? endpoint.acceptedStatus : endpoint.rejectedStatus,
    severity: caseDef.severity,
    verdict: 'skip',
    message: `skipped: ${reason}`,
    skipReason: reason,
    why: caseDef.why,
  };
}

const bodyCache = new Map<string, Buffer>();
function body(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  if (!bodyCache.has(file)) bodyCache.set(file, readFileSync(file));
  return bodyCache.get(file);
}

/**
 * Run one endpoint × case: make the token now, send it, judge the status, check the audit log.
 * Returns data for every outcome; only faults of the harness throw.
 */
export async function executeCase(input: ExecuteInput): Promise<CaseResult> {
  const { endpoint, caseDef, planned } = input;
  if (planned.skipReason) return skipped(input, planned.skipReason);
  const auth = await caseDef.build(input.context);
  if (auth.kind === 'skip') return skipped(input, auth.reason);

  const headers: Record<string, string> = {
    // Clerk's middleware answers document-like requests with handshakes; ask for JSON like an API client.
    accept: 'application/json',
    ...lower(input.suiteHeaders),
    ...lower(endpoint.headers),
  };
  const payload = body(endpoint.bodyFile);
  if (payload) headers['content-type'] = endpoint.contentType;
  // The case alone decides the credential: a suite header never stands in for a missing token.
  delete headers.authorization;
  delete headers.cookie;
  if (auth.authorization !== undefined) headers.authorization = auth.authorization;

  const base = input.targetUrl.endsWith('/') ? input.targetUrl : `${input.targetUrl}/`;
  const url = new URL(`./${endpoint.path.replace(/^\/+/, '')}`, base).href;
  // A minted token must never leave the target's origin, whatever the suite says.
  if (new URL(url).origin !== new URL(base).origin) {
    throw new HarnessError('SUITE_INVALID', `endpoint "${endpoint.name}": ${endpoint.path} resolves outside the target ${new URL(base).origin}; refusing to send a token there`);
  }
  const claims = auth.token?.claims;

  /** One request and what its answer means for the audit log. */
  const exchange = async (): Promise<{ response: Sent; expectation: AuditExpectation }> => {
    const requestStart = Date.now();
    const fetchesBefore = input.keyUrlFetches?.(auth.keyUrlMatch) ?? 0;
    try {
      const res = await send(url, { method: endpoint.method, headers, body: payload, timeoutMs: input.timeoutMs });
      const requestEnd = Date.now();
      const fetched = (input.keyUrlFetches?.(auth.keyUrlMatch) ?? 0) - fetchesBefore;
      const accepted = wasAccepted(res.status, endpoint.acceptedStatus);
      const identity = claims ? { sub: claims.sub, iat: claims.iat } : undefined;
      let expectation: AuditExpectation = { kind: 'none', identity };
      if (accepted && planned.expect === 'accepted' && claims && typeof claims.sub === 'string' && typeof claims.iat === 'number') {
        expectation = { kind: 'accepted', sub: claims.sub, iat: claims.iat, email: (claims.email as string | undefined) ?? null, requestStart, requestEnd };
      } else if (!accepted) {
        expectation = { kind: 'rejected', identity, status: res.status };
      }
      return { response: { res, fetched }, expectation };
    } catch (err) {
      if (isHarnessError(err) && err.code === 'TARGET_TIMEOUT') return { response: { timeout: true }, expectation: { kind: 'none' } };
      throw err;
    }
  };

  const audited = input.audit && endpoint.audited ? await input.audit.exchange({ planned: planned.expect, send: exchange }) : { ...(await exchange()), issues: undefined };
  const sent = audited.response;
  if ('timeout' in sent) {
    return findingFor({ ...skipped(input, ''), sent: auth.describe }, STATUS_POLICY.timeout, `no answer within ${input.timeoutMs} ms: the target hangs on this input`,
      `a verifier must fail fast on bad tokens; a hang is a denial-of-service vector. ${caseDef.hint}`, 'target-timeout');
  }
  const { res, fetched } = sent;
  let result = judge({
    caseDef,
    expect: planned.expect,
    endpoint,
    observed: { status: res.status, bodyExcerpt: excerpt(res.body), headers: res.headers, durationMs: res.durationMs },
    body: res.body,
    sent: auth.describe,
  });
  // A key URL named by the token (jku/x5u) must never be fetched, whatever the status: the fetch
  // itself is server-side request forgery towards a host the attacker chose.
  if (auth.keyUrl && fetched > 0) {
    const alsoAccepted = wasAccepted(res.status, endpoint.acceptedStatus) ? ' and accepted the token' : ` (then answered ${res.status})`;
    result = findingFor(result, STATUS_POLICY.keyUrlFetched, `the target fetched the key URL the token named (${fetched} request${fetched === 1 ? '' : 's'} to the attacker's ${auth.keyUrl})${alsoAccepted}: server-side request forgery`,
      'never fetch keys from a URL in the token header: resolve keys only from your instance\'s JWKS (CLERK_JWKS_URL / CLERK_JWT_KEY) and ignore jku/x5u/jwk', 'key-url-fetched');
  }
  if (audited.issues) result = withAudit(result, audited.issues);
  return result;
}

type Sent = { res: SendResult; fetched: number } | { timeout: true };

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
