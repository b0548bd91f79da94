/**
 * The one place that decides a case's verdict: the status policy (judge), the audit outcome
 * (withAudit) and the run-level pass that turns one shared root cause into a blocker
 * (finalizeResults). Reports, JUnit and the exit code are views of what these return.
 */
import type { CaseDef, Expectation, Severity } from '../cases/types.js';
import { diagnoseResponse, type Diagnosis } from '../diagnosis/diagnose-response.js';
import type { AuthzCaseSpec } from './authz/generate.js';
import { AUTHZ_POLICY, BLOCKER_CAUSES, STATUS_POLICY, severityAtLeast } from './policy.js';
import { caseHeader, type AuditIssue, type Blocker, type CaseResult, type Observed } from './result.js';

export { severityAtLeast } from './policy.js';

export interface JudgeInput {
  caseDef: CaseDef;
  expect: Expectation; // after suite overrides
  /** `access`: the endpoint's authorization rule, when the suite gives one. */
  endpoint: { name: string; method: string; path: string; acceptedStatus: number[]; rejectedStatus: number[]; access?: { refusedStatus: number } };
  observed: Observed;
  /** The full response body (not kept in the result), for the diagnosis. */
  body?: string;
  sent: string;
}

const is2xx = (s: number) => s >= 200 && s < 300;

/** Whether the target let the request through: the suite's accepted statuses or any 2xx. */
export function wasAccepted(status: number, acceptedStatus: number[]): boolean {
  return acceptedStatus.includes(status) || is2xx(status);
}

function describeDiagnosis(d: Diagnosis): string {
  return `${d.title} (the answer says: ${d.evidence[0] ?? d.cause})`;
}

/**
 * Decide what an observed status means for a case. Pure apart from the diagnosis catalogue: the
 * whole status policy lives here, so table tests cover it and the runner only reports. A finding's
 * fix comes from what the target answered when the catalogue recognises it; the case's own hint
 * is the fallback, so a finding never shows the fix for another cause.
 */
export function judge(input: JudgeInput): CaseResult {
  const { caseDef, expect, endpoint, observed } = input;
  const expectedStatus = expect === 'accepted' ? endpoint.acceptedStatus : endpoint.rejectedStatus;
  const base = {
    ...caseHeader(endpoint, caseDef, expect),
    why: caseDef.why,
    sent: input.sent,
    observed,
  };
  const s = observed.status;
  const want = expectedStatus.join(' or ');
  const finding = (severity: Severity, message: string, hint: string, diagnosis?: Diagnosis): CaseResult => {
    const cause = diagnosis ? { cause: diagnosis.cause } : {};
    return caseDef.informational
      ? { ...base, ...cause, severity: 'info', verdict: 'info', message: `${message} (informational)`, hint }
      : { ...base, ...cause, severity, verdict: 'finding', message, hint };
  };
  const refusal = () => (s >= 300 ? diagnoseResponse({ status: s, body: input.body ?? observed.bodyExcerpt, headers: observed.headers }) : undefined);

  if (expectedStatus.includes(s)) {
    return { ...base, severity: caseDef.severity, verdict: caseDef.informational ? 'info' : 'pass', message: `${s} as expected` };
  }
  if (expect === 'rejected') {
    if (s === 413 || s === 431 || caseDef.rejectStatuses?.includes(s)) {
      // e.g. the HTTP layer refusing an oversized token before any verifier ran: still a rejection.
      return { ...base, severity: caseDef.severity, verdict: caseDef.informational ? 'info' : 'pass', message: `${s}: a correct rejection for this case` };
    }
    if (wasAccepted(s, endpoint.acceptedStatus)) {
      return { ...finding(caseDef.severity, `accepted with ${s}; a correct server rejects this token with ${want}`, caseDef.hint), accepted: true };
    }
    const d = refusal();
    if (s >= 500) {
      const why = d ? `: ${describeDiagnosis(d)}` : ': the verifier crashes on this input';
      return finding(STATUS_POLICY.crashOnBadToken, `server error ${s} instead of ${want}${why}`,
        d ? d.fix : `catch verification errors and answer ${want}; a 5xx on a bad token hides the cause and can leak stack traces`, d ?? { cause: 'server-error', title: '', fix: '', evidence: [], verifiers: [] });
    }
    if (s === 404 && endpoint.access?.refusedStatus === 404) {
      // This route answers 404 to a signed-in user who is not allowed (it hides the object): the
      // token got past authentication and was refused only by the ownership check.
      return {
        ...finding(caseDef.severity, `404 instead of ${want}: the route's refusal for a signed-in user who may not see the object (refused_status 404), so the token was authenticated; a correct server rejects it with ${want} first`, caseDef.hint),
        pastAuthentication: true,
      };
    }
    if (s === 404) {
      return finding(STATUS_POLICY.endpointNotFound, `404 instead of ${want}: the endpoint ${endpoint.method} ${endpoint.path} was not found`,
        'check the target URL (port, base path) and the endpoint method and path in the suite', { cause: 'endpoint-not-found', title: '', fix: '', evidence: [], verifiers: [] });
    }
    if (s === 403 && expectedStatus.includes(401)) {
      return finding(
        STATUS_POLICY.forbiddenForUnauthenticated,
        `403 where 401 is right: the request carries no valid credentials, which is 401 (RFC 9110); 403 means authenticated but not allowed`,
        'FastAPI < 0.122 HTTPBearer answers 403 for a missing or non-Bearer header: upgrade FastAPI, or use HTTPBearer(auto_error=False) and raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"}); fastapi-clerk-auth hard-codes 403. If 403 is your documented contract, set rejected_status: 403 in the suite.',
        { cause: 'forbid-missing-header', title: '', fix: '', evidence: [], verifiers: [] },
      );
    }
    if (s >= 300 && s < 400) {
      return finding(STATUS_POLICY.redirect, `redirect ${s} instead of ${want}`, 'API routes must answer 401, not redirect to a sign-in page: with @clerk/express use getAuth() + 401 instead of requireAuth(), and send Accept: application/json.',
        { cause: 'redirect-instead-of-401', title: '', fix: '', evidence: [], verifiers: [] });
    }
    return finding(STATUS_POLICY.otherClientError, `answered ${s} instead of ${want}`, `check the route and the status your verifier uses for rejected tokens; if ${s} is your contract, set rejected_status in the suite`);
  }
  // expect accepted
  if (wasAccepted(s, endpoint.acceptedStatus)) {
    return finding(STATUS_POLICY.unexpectedSuccessStatus, `accepted with an unexpected status: ${s}, the suite expects ${want}`,
      `if ${s} is what ${endpoint.method} ${endpoint.path} returns, set accepted_status: ${s} for the endpoint in the suite (REST: 201 Created for a POST that creates a resource)`);
  }
  const d = refusal();
  if (s === 401 || s === 403) {
    const why = d ? `: ${describeDiagnosis(d)}` : '';
    return finding(caseDef.severity, `rejected a valid token with ${s}; expected ${want}${why}`, d ? d.fix : caseDef.hint, d);
  }
  if (s === 404) {
    return finding(STATUS_POLICY.endpointNotFound, `404 for a valid token: ${endpoint.method} ${endpoint.path} was not found at the target`,
      'check the target URL (wrong port or base path?) and the endpoint method and path in the suite', { cause: 'endpoint-not-found', title: '', fix: '', evidence: [], verifiers: [] });
  }
  if (s >= 500) {
    const why = d ? `: ${describeDiagnosis(d)}` : '';
    return finding(STATUS_POLICY.crashOnValidToken, `server error ${s} for a valid token; expected ${want}${why}`,
      d ? d.fix : 'read the server log for the traceback; run `clerk-harness doctor`: a 500 on a valid token is usually the verifier not configured (env file not loaded before import, or the server not restarted after editing it)',
      d ?? { cause: 'server-error', title: '', fix: '', evidence: [], verifiers: [] });
  }
  return finding('medium', `answered ${s} for a valid token; expected ${want}${d ? `: ${describeDiagnosis(d)}` : ''}`, d ? d.fix : 'check the endpoint path, method and body fixture in the suite, or set accepted_status to what the endpoint returns', d);
}

export interface JudgeAccessInput {
  id: string;
  spec: AuthzCaseSpec;
  expect: Expectation;
  endpoint: JudgeInput['endpoint'] & { access?: { refusedStatus: number } };
  observed: Observed;
  body?: string;
  sent: string;
  /** The claims of the token sent, to say what an allowed persona's token lacks. */
  claims?: Record<string, unknown>;
}

const ACCEPTED_WORDS: Record<AuthzCaseSpec['kind'], string> = {
  allowed: '',
  denied: 'a persona the access rule refuses got in: a missing authorization check',
  bola: "another user reached the owner's object by its id: broken object level authorization (OWASP API1)",
  'member-admin': 'a member got into a route restricted to a role: the role check is missing (OWASP API5)',
  'other-org-admin': "an admin of another organization acted on this organization's object: the role is checked, not the organization it is held in",
  'no-active-org': 'a token without an active organization (no o claim: no role, no permission) got into a role-restricted route',
  'role-tampered': 'a token whose o.rol was changed under the original signature was accepted: the role is read without verifying the token',
};

const ACCEPTED_HINTS: Record<AuthzCaseSpec['kind'], string> = {
  allowed: '',
  denied: 'check the access rule in the handler (a dependency/middleware per route): who may call it, by role (auth.has({ role }) / o.rol), permission (has({ permission }) / o.per+fea) or identity (sub)',
  bola: 'load the object with the caller in the query (WHERE id = :id AND user_id = :sub, or org_id = :orgId for organization objects) and answer 404 when nothing matches; never trust the id in the path alone',
  'member-admin': 'check the role on this route: @clerk/backend auth().has({ role: "org:admin" }) or protect({ role }); PyJWT: claims["o"]["rol"] == "admin" (v2 tokens; org_role in v1); answer 403 otherwise',
  'other-org-admin': "compare the object's organization with the token's active organization (o.id / auth().orgId) before the role: a role is held in one organization",
  'no-active-org': "refuse when the token has no o claim (auth().orgId undefined): take the role only from the token's active organization, never from the user's memberships or a default",
  'role-tampered': 'verify the signature before reading any claim (@clerk/backend verifyToken / authenticateRequest; PyJWT jwt.decode with the key and algorithms=["RS256"]), then read o.rol from the verified payload',
};

/** Why a persona the rule admits was refused, from its token: organization, role or permission, and how to give it. */
function lacks(spec: AuthzCaseSpec, claims: Record<string, unknown> | undefined): string | undefined {
  const need = spec.requires;
  if (!need || !claims) return undefined;
  const o = claims.o && typeof claims.o === 'object' ? (claims.o as Record<string, unknown>) : undefined;
  const orgWord = need.organization ? `organization ${need.organization}` : 'an organization';
  if (!o && claims.org_id === undefined) {
    return `the token carries no active organization (no o claim): make ${spec.persona} a member of ${orgWord} (membership), and create its session with that organization active (active_organization_id; in a browser: setActive({ organization }))`;
  }
  const role = typeof o?.rol === 'string' ? `org:${o.rol}` : typeof claims.org_role === 'string' ? claims.org_role : undefined;
  if (need.role && role !== need.role) {
    return `the token's role is ${role ?? 'none'}, the rule needs ${need.role}: change ${spec.persona}'s membership role (Dashboard → Organizations → Members, or updateOrganizationMembership)`;
  }
  if (need.permission) {
    const [, feature, action] = need.permission.split(':');
    const fea = typeof claims.fea === 'string' ? claims.fea.split(',') : [];
    const per = typeof o?.per === 'string' ? o.per.split(',') : [];
    if (!fea.includes(`o:${feature}`) || !per.includes(action ?? '')) {
      return `the token does not grant ${need.permission} (fea/o.per lack it): give ${spec.persona}'s role that permission (Dashboard → Roles & Permissions), or, if the API reads it from a JWT template claim, add the claim to the template`;
    }
  }
  return undefined;
}

/**
 * Decide what an observed status means for an authorization case (issue 11). The access rule
 * says accepted or refused with which status; the kind of case says what an acceptance means.
 */
export function judgeAccess(input: JudgeAccessInput): CaseResult {
  const { spec, endpoint, observed } = input;
  const s = observed.status;
  const expectedStatus = spec.expectedStatus;
  const base = {
    endpoint: endpoint.name,
    request: `${endpoint.method} ${endpoint.path}`,
    caseId: input.id,
    title: spec.title,
    expect: input.expect,
    expectedStatus,
    why: spec.why,
    sent: input.sent,
    observed,
    persona: spec.persona,
  };
  const accepted = wasAccepted(s, endpoint.acceptedStatus);
  const cell = { kind: spec.kind, expected: input.expect === 'accepted' ? 'allowed' : 'denied', observed: accepted ? 'allowed' : 'denied', token: spec.token } as const;
  const want = expectedStatus.join(' or ');
  const d = s >= 300 ? diagnoseResponse({ status: s, body: input.body ?? observed.bodyExcerpt, headers: observed.headers }) : undefined;
  if (input.expect === 'rejected') {
    if (accepted) {
      return { ...base, authz: cell, accepted: true, severity: AUTHZ_POLICY.deniedAccepted, verdict: 'finding', cause: `authz-${spec.kind}`, message: `${spec.persona} was let in with ${s}; a correct server refuses with ${want}: ${ACCEPTED_WORDS[spec.kind]}`, hint: ACCEPTED_HINTS[spec.kind] };
    }
    if (expectedStatus.includes(s)) return { ...base, authz: cell, severity: AUTHZ_POLICY.deniedAccepted, verdict: 'pass', message: `${s}: ${spec.persona} refused as expected` };
    const hidden = endpoint.access?.refusedStatus === 404;
    return {
      ...base, authz: cell, severity: AUTHZ_POLICY.wrongRefusalStatus, verdict: 'finding', cause: 'wrong-refusal-status',
      message: `wrong refusal status: ${spec.persona} was refused with ${s} where the rule says ${want}${d ? ` (${d.title})` : ''}`,
      hint: spec.kind === 'role-tampered'
        ? 'a token that fails verification is 401 (no valid credentials), whatever it claims'
        : `answer ${want} for a signed-in user the rule refuses: 401 means "no valid credentials" and makes clients sign in again; a 5xx hides the refusal${hidden ? '; a 403 where the contract is 404 tells the caller the object exists' : ''}. If ${s} is your contract, set access.refused_status for the endpoint in the suite`,
    };
  }
  if (accepted) {
    if (endpoint.acceptedStatus.includes(s)) return { ...base, authz: cell, severity: AUTHZ_POLICY.allowedRefused, verdict: 'pass', message: `${s}: ${spec.persona} allowed as expected` };
    return { ...base, authz: cell, severity: STATUS_POLICY.unexpectedSuccessStatus, verdict: 'finding', message: `accepted with an unexpected status: ${s}, the suite expects ${want}`, hint: `if ${s} is what ${endpoint.method} ${endpoint.path} returns, set accepted_status: ${s} for the endpoint in the suite` };
  }
  if (s >= 500) {
    return { ...base, authz: cell, severity: STATUS_POLICY.crashOnValidToken, verdict: 'finding', cause: d?.cause ?? 'server-error', message: `server error ${s} for ${spec.persona}, whom the rule allows${d ? `: ${describeDiagnosis(d)}` : ''}`, hint: d?.fix ?? 'read the server log for the traceback' };
  }
  const why = lacks(spec, input.claims);
  const refusal = s === 401 && d ? describeDiagnosis(d) : undefined;
  return {
    ...base, authz: cell, severity: AUTHZ_POLICY.allowedRefused, verdict: 'finding', cause: s === 401 && d ? d.cause : 'authz-allowed-refused',
    message: `${spec.persona} was refused with ${s}, but the access rule allows it${why ? `: ${why.split(':')[0]}` : refusal ? `: ${refusal}` : ''}`,
    hint: why ?? (s === 401 && d ? d.fix : `the persona's token carries what the rule asks for; check how the handler reads the role/permission (o.rol without "org:", fea + o.per/o.fpm for permissions; @clerk/backend has({ role }) reads both) and the object lookup (${spec.persona}'s own or its organization's)`),
  };
}

/** The owner's request after the BOLA attempt: it must still reach its object. */
export function withOwnerCheck(result: CaseResult, owner: { persona: string; status?: number; accepted: boolean; request: string }): CaseResult {
  if (owner.accepted) return { ...result, message: `${result.message}; ${owner.persona} still reaches it (${owner.status})` };
  const said = owner.status === undefined ? 'no answer' : String(owner.status);
  if (result.verdict === 'finding' && severityAtLeast(result.severity, AUTHZ_POLICY.ownerLostAccess)) {
    return { ...result, message: `${result.message}; afterwards ${owner.persona} no longer reaches it (${owner.request}: ${said})` };
  }
  return {
    ...result, verdict: 'finding', severity: AUTHZ_POLICY.ownerLostAccess, cause: 'owner-lost-access',
    message: `${owner.persona} no longer reaches its own object after ${result.persona}'s attempt (${owner.request}: ${said})${result.verdict === 'finding' ? `; also: ${result.message}` : ''}`,
    hint: "the refused request must change nothing: check the object before acting on it, not after (a DELETE that deletes and then answers 404/403 to another user still destroyed the owner's data)",
  };
}

const AUDIT_HINT =
  'every accepted request needs exactly one audit entry attributed to the token: user_id = sub, token_iat = iat, a contemporaneous timestamp (ALCOA+); rejected requests must not log a success';

/** Fold the audit outcome into the case's result (an audit problem on a passing case is a high finding). */
export function withAudit(result: CaseResult, issues: AuditIssue[]): CaseResult {
  if (!issues.length) return result;
  const said = issues.map((i) => i.message).join('; ');
  if (result.verdict === 'pass' || result.verdict === 'info' || (result.verdict === 'finding' && !severityAtLeast(result.severity, 'high'))) {
    const prior = result.verdict === 'finding' ? ` (also: ${result.message})` : '';
    return { ...result, audit: issues, verdict: 'finding', severity: 'high', cause: 'audit-invalid', message: `audit log: ${said}${prior}`, hint: AUDIT_HINT };
  }
  return { ...result, audit: issues, message: `${result.message}; audit log: ${said}` };
}

/** A finding produced outside the status policy (a hang, a fetched key URL). */
export function findingFor(result: CaseResult, severity: Exclude<Severity, 'info'>, message: string, hint: string, cause?: string): CaseResult {
  return { ...result, verdict: 'finding', severity, message, hint, ...(cause ? { cause } : {}), skipReason: undefined };
}

const VALID_ANCHORS = ['valid-session-token', 'valid-without-aud', 'valid-without-email'];

/**
 * Run-level pass: when the valid tokens of an endpoint are refused for a cause that makes the rest
 * meaningless (not configured, audience required, another instance's key, azp required, a missing
 * route), report that cause once as a blocker and mark the endpoint's dependent cases blocked by
 * it. A token an attacker can make that the target *accepted* stays a finding: it is real whatever
 * else is broken.
 */
export function finalizeResults(results: CaseResult[], context: { targetUrl?: string; suiteFile?: string } = {}): { results: CaseResult[]; blockers: Blocker[] } {
  const byEndpoint = new Map<string, CaseResult[]>();
  for (const r of results) byEndpoint.set(r.endpoint, [...(byEndpoint.get(r.endpoint) ?? []), r]);
  const blockers = new Map<string, Blocker>();
  const blockedEndpoints = new Map<string, Blocker>();
  for (const [endpoint, rs] of byEndpoint) {
    // Block only when every valid token tried was refused for a blocking cause: one transient
    // failure beside a passing valid case is a finding, not a blocker.
    const anchors = VALID_ANCHORS.map((id) => rs.find((r) => r.caseId === id && r.verdict !== 'skip')).filter((r): r is CaseResult => Boolean(r));
    const refused = (r: CaseResult) => r.verdict === 'finding' && !!r.cause && BLOCKER_CAUSES.has(r.cause) && !(r.observed && r.observed.status >= 200 && r.observed.status < 300);
    if (!anchors.length || !anchors.every(refused)) continue;
    const anchor = anchors[0]!;
    const key = anchor.cause!;
    let b = blockers.get(key);
    if (!b) {
      b = {
        cause: key,
        message: anchor.message,
        fix: anchor.hint ?? '',
        doctor: `clerk-harness doctor${context.suiteFile ? ` --suite ${context.suiteFile}` : ''} --target ${context.targetUrl ?? '<TARGET_URL>'} --env-file <the backend's .env.local>`,
        endpoints: [],
        blockedCases: 0,
      };
      blockers.set(key, b);
    }
    b.endpoints.push(endpoint);
    blockedEndpoints.set(endpoint, b);
  }
  const out = results.map((r) => {
    const b = blockedEndpoints.get(r.endpoint);
    if (!b || r.verdict === 'skip') return r;
    // Real whatever else is broken: a bad token let in, a key URL fetched (SSRF), a hang.
    const standsAlone = r.expect === 'rejected' && r.verdict === 'finding' && (r.accepted || r.cause === 'key-url-fetched' || r.cause === 'target-timeout');
    if (standsAlone) return r;
    b.blockedCases++;
    return { ...r, verdict: 'blocked' as const, blockedBy: b.cause, message: `blocked by ${b.cause}: ${r.message}` };
  });
  return { results: out, blockers: [...blockers.values()] };
}
