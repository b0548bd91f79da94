import type { CaseContext, CaseDef } from '../cases/types.js';
import { isHarnessError } from '../errors.js';
import { excerpt, send, type SendResult } from '../http/send.js';
import { exchangeAudited, type AuditExpectation, type AuditProbe } from './audit-probe.js';
import type { PlannedCase } from './plan.js';
import { caseHeader, type CaseResult } from './result.js';
import type { SuiteEndpoint } from './types.js';
import { buildRequest } from './request.js';
import { STATUS_POLICY } from './policy.js';
import { findingFor, judge, wasAccepted, withAudit } from './verdict.js';

/** A token older than this when its request is sent is made again first. */
export const TOKEN_FRESH_MS = 1000;

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
  /** Endpoints that address an object: the path with its id (a fresh object per call where the method consumes it). */
  objectPath?: () => { path: string } | { problem: string; hint: string };
  /** The persona whose tokens the context mints, for the result. */
  persona?: string;
}

function skipped(input: ExecuteInput, reason: string): CaseResult {
  const { endpoint, caseDef, planned } = input;
  return {
    ...caseHeader(endpoint, caseDef, planned.expect),
    severity: caseDef.severity,
    verdict: 'skip',
    message: `skipped: ${reason}`,
    skipReason: reason,
    why: caseDef.why,
    ...(input.persona ? { persona: input.persona } : {}),
  };
}

/**
 * Run one endpoint × case: make the token now, send it, judge the status, check the audit log.
 * Returns data for every outcome; only faults of the harness throw.
 */
export async function executeCase(input: ExecuteInput): Promise<CaseResult> {
  const { endpoint, caseDef, planned } = input;
  if (planned.skipReason) return skipped(input, planned.skipReason);
  const built = await caseDef.build(input.context);
  if (built.kind === 'skip') return skipped(input, built.reason);
  let auth = built;
  let builtAt = Date.now();
  /**
   * The token of a request that waited (for its audit window, or sent again alone) is made again
   * just before it goes: a lifetime case built seconds earlier would otherwise age past its clock
   * margin (exp 2 s ago within a 5 s skew) and be judged on a token it was not meant to be.
   */
  const fresh = async () => {
    if (Date.now() - builtAt <= TOKEN_FRESH_MS) return;
    const again = await caseDef.build(input.context);
    if (again.kind === 'request') {
      auth = again;
      builtAt = Date.now();
    }
  };

  // An endpoint that addresses an object gets its id now; a request that may consume it (DELETE)
  // takes a fresh one each time it is sent (the audit probe may send it again, alone).
  let first: { path: string } | undefined;
  if (input.objectPath) {
    const object = input.objectPath();
    if ('problem' in object) return findingFor({ ...skipped(input, ''), sent: auth.describe }, STATUS_POLICY.resourceNotCreated, object.problem, object.hint, 'resource-not-created');
    first = object;
  }
  const request = () => {
    let path = first?.path;
    if (!first && input.objectPath) {
      const object = input.objectPath();
      path = 'path' in object ? object.path : undefined;
    }
    first = undefined;
    return buildRequest({ targetUrl: input.targetUrl, suiteHeaders: input.suiteHeaders, endpoint, path, authorization: auth.authorization });
  };
  // Built once up front too: a path that leaves the target is refused before anything is sent.
  if (!input.objectPath) request();

  /** One request and what its answer means for the audit log. */
  const exchange = async (): Promise<{ response: Sent; expectation: AuditExpectation }> => {
    await fresh();
    const claims = auth.token?.claims;
    const { url, headers, payload } = request();
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

  const audited = await exchangeAudited(input.audit, endpoint.audited, planned.expect, exchange);
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
  if (input.persona) result = { ...result, persona: input.persona };
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
