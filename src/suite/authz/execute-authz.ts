/**
 * Run one authorization case: the persona's fresh token (or its variant), sent to the endpoint
 * (on the owner's object when it addresses one), judged by verdict.ts; for a BOLA attempt, then
 * the owner's own request on the same object. Outcomes are data; only harness faults throw.
 */
import { genuine } from '../../cases/define.js';
import type { CaseContext } from '../../cases/types.js';
import { isHarnessError } from '../../errors.js';
import { excerpt, send, type SendResult } from '../../http/send.js';
import { decodeToken, tamperClaims } from '../../tokens/forge.js';
import { exchangeAudited, type AuditExpectation, type AuditProbe } from '../audit-probe.js';
import type { PlannedCase } from '../plan.js';
import { STATUS_POLICY } from '../policy.js';
import { buildRequest } from '../request.js';
import { authzCaseHeader, type CaseResult } from '../result.js';
import type { SuiteEndpoint } from '../types.js';
import { findingFor, judgeAccess, wasAccepted, withAudit, withOwnerCheck } from '../verdict.js';
import type { ObjectPool } from './objects.js';

export interface AuthzDeps {
  contextFor(persona: string, variant: 'session' | 'no-active-org'): Promise<CaseContext>;
  objects?: ObjectPool;
  audit?: AuditProbe;
}

export interface ExecuteAuthzInput {
  targetUrl: string;
  timeoutMs: number;
  suiteHeaders: Record<string, string>;
  endpoint: SuiteEndpoint;
  endpoints: SuiteEndpoint[];
  planned: PlannedCase & { authz: NonNullable<PlannedCase['authz']> };
  deps: AuthzDeps;
}

interface Credential {
  authorization: string;
  claims: Record<string, unknown>;
  describe: string;
}

async function credential(input: ExecuteAuthzInput): Promise<Credential | { skip: string }> {
  const spec = input.planned.authz;
  const ctx = await input.deps.contextFor(spec.persona, spec.token === 'no-active-org' ? 'no-active-org' : 'session');
  const g = await genuine(ctx);
  const o = g.claims.o && typeof g.claims.o === 'object' ? (g.claims.o as Record<string, unknown>) : undefined;
  if (spec.token === 'no-active-org') {
    if (o || g.claims.org_id) return { skip: `${spec.persona}'s session without an active organization still carries one in its token (the instance sets a default organization?)` };
    return { authorization: `Bearer ${g.token}`, claims: g.claims, describe: `${spec.persona}'s genuine session token without an active organization (no o claim)` };
  }
  if (spec.token === 'tampered-role') {
    const role = spec.tamperRole!;
    let token: string;
    if (o) token = tamperClaims(g.token, { o: { ...o, rol: role.replace(/^org:/, '') } });
    else if (typeof g.claims.org_role === 'string') token = tamperClaims(g.token, { org_role: role });
    else return { skip: `${spec.persona}'s token carries no organization claim to change (o.rol): is ${spec.persona} a member, with its session created with the organization active?` };
    return { authorization: `Bearer ${token}`, claims: decodeToken(token).claims, describe: `${spec.persona}'s session token with o.rol changed to ${role.replace(/^org:/, '')}, original signature` };
  }
  const org = o ? ` (o.rol ${String(o.rol)} in ${String(o.slg ?? o.id)})` : ' (no active organization)';
  return { authorization: `Bearer ${g.token}`, claims: g.claims, describe: `${spec.persona}'s genuine session token${org}` };
}

type Sent = { res: SendResult } | { timeout: true };

/** One request as `who`, through the audit probe when the suite has an audit log. */
async function exchangeAs(input: ExecuteAuthzInput, endpoint: SuiteEndpoint, path: (() => string) | undefined, cred: Credential, planned: 'accepted' | 'rejected') {
  const sendOnce = async (): Promise<{ response: Sent; expectation: AuditExpectation }> => {
    const { url, headers, payload } = buildRequest({ targetUrl: input.targetUrl, suiteHeaders: input.suiteHeaders, endpoint, path: path?.(), authorization: cred.authorization });
    const claims = cred.claims;
    const identity = { sub: claims.sub, iat: claims.iat };
    const requestStart = Date.now();
    try {
      const res = await send(url, { method: endpoint.method, headers, body: payload, timeoutMs: input.timeoutMs });
      const accepted = wasAccepted(res.status, endpoint.acceptedStatus);
      let expectation: AuditExpectation = { kind: 'none', identity };
      if (accepted && planned === 'accepted' && typeof claims.sub === 'string' && typeof claims.iat === 'number') {
        expectation = { kind: 'accepted', sub: claims.sub, iat: claims.iat, email: (claims.email as string | undefined) ?? null, requestStart, requestEnd: Date.now() };
      } else if (!accepted) {
        expectation = { kind: 'rejected', identity, status: res.status };
      }
      return { response: { res }, expectation };
    } catch (err) {
      if (isHarnessError(err) && err.code === 'TARGET_TIMEOUT') return { response: { timeout: true }, expectation: { kind: 'none' } };
      throw err;
    }
  };
  return exchangeAudited(input.deps.audit, endpoint.audited, planned, sendOnce);
}

function base(input: ExecuteAuthzInput): CaseResult {
  return { ...authzCaseHeader(input.endpoint, input.planned), verdict: 'skip', message: '' };
}

export async function executeAuthzCase(input: ExecuteAuthzInput): Promise<CaseResult> {
  const { endpoint, planned } = input;
  const spec = planned.authz;
  const skipped = (reason: string): CaseResult => ({ ...base(input), message: `skipped: ${reason}`, skipReason: reason });
  if (planned.skipReason) return skipped(planned.skipReason);
  const cred = await credential(input);
  if ('skip' in cred) return skipped(cred.skip);

  // The object's path: the first one taken now (to say at once when there is none), later sends take their own.
  let lastPath: string | undefined;
  let path: (() => string) | undefined;
  if (endpoint.resource) {
    const first = input.deps.objects!.next(endpoint.name);
    if ('problem' in first) return findingFor({ ...base(input), sent: cred.describe }, STATUS_POLICY.resourceNotCreated, first.problem, first.hint, 'resource-not-created');
    let pending: string | undefined = first.path;
    path = () => {
      const next = pending ?? (() => {
        const o = input.deps.objects!.next(endpoint.name);
        return 'path' in o ? o.path : lastPath!;
      })();
      pending = undefined;
      lastPath = next;
      return next;
    };
  }
  const audited = await exchangeAs(input, endpoint, path, cred, planned.expect);
  if ('timeout' in audited.response) {
    return findingFor({ ...base(input), sent: cred.describe }, STATUS_POLICY.timeout, `no answer within ${input.timeoutMs} ms for ${spec.persona}`, 'an authorization check must answer fast; a hang is a denial-of-service vector', 'target-timeout');
  }
  const { res } = audited.response;
  let result = judgeAccess({
    id: planned.id,
    spec,
    expect: planned.expect,
    endpoint,
    observed: { status: res.status, bodyExcerpt: excerpt(res.body), headers: res.headers, durationMs: res.durationMs },
    body: res.body,
    sent: cred.describe,
    claims: cred.claims,
  });
  if (audited.issues) result = withAudit(result, audited.issues);
  if (spec.ownerCheck && lastPath) result = await ownerStillReaches(input, result, lastPath);
  return result;
}

/** After the BOLA attempt: the owner's own request (the endpoint named by ownerCheck) on the same object. */
async function ownerStillReaches(input: ExecuteAuthzInput, result: CaseResult, objectPath: string): Promise<CaseResult> {
  const check = input.endpoints.find((e) => e.name === input.planned.authz.ownerCheck);
  const owner = input.endpoint.resource!.owner;
  if (!check) return result;
  const ctx = await input.deps.contextFor(owner, 'session');
  const g = await genuine(ctx);
  const cred = { authorization: `Bearer ${g.token}`, claims: g.claims, describe: `${owner}'s genuine session token` };
  // The check endpoint has the same path template; the object is the one the attempt was on.
  const out = await exchangeAs(input, check, () => objectPath, cred, 'accepted');
  const request = `${check.method} ${objectPath}`;
  if ('timeout' in out.response) return withOwnerCheck(result, { persona: owner, accepted: false, request });
  const status = out.response.res.status;
  return withOwnerCheck(result, { persona: owner, status, accepted: wasAccepted(status, check.acceptedStatus), request });
}
