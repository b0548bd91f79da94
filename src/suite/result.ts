/** Outcomes as data: what one endpoint × case test observed and what it means. */
import type { Expectation, Severity } from '../cases/types.js';
import type { AuthzCaseSpec } from './authz/generate.js';

export type Verdict = 'pass' | 'finding' | 'skip' | 'info' | 'error' | 'blocked';

/** One root cause that refused the valid tokens and so made an endpoint's other cases meaningless. */
export interface Blocker {
  /** Cause id in diagnostics/causes.yaml. */
  cause: string;
  /** What the valid token got, e.g. "rejected a valid token with 401; ...". */
  message: string;
  fix: string;
  /** The doctor command that walks this cause. */
  doctor: string;
  endpoints: string[];
  blockedCases: number;
}

export interface AuditIssue {
  field: string;
  expected?: unknown;
  actual?: unknown;
  message: string;
}

export interface Observed {
  status: number;
  /** First bytes of the body, redacted. */
  bodyExcerpt: string;
  /** Response headers worth showing (x-clerk-auth-*, www-authenticate, content-type). */
  headers: Record<string, string>;
  durationMs: number;
}

export interface CaseResult {
  endpoint: string; // endpoint name
  request: string; // "POST /jobs"
  caseId: string;
  title: string;
  expect: Expectation;
  expectedStatus: number[];
  severity: Severity; // severity of this result's finding (or of the case, when it passed)
  verdict: Verdict;
  /** One line: what happened, for every verdict. */
  message: string;
  /** What to fix; set for findings. */
  hint?: string;
  why: string;
  sent?: string; // description of the token sent, never the token
  observed?: Observed;
  skipReason?: string;
  audit?: AuditIssue[];
  /** Root cause named by the target's answer (diagnostics/causes.yaml id), when known. */
  cause?: string;
  /** The target let the request through (the suite's accepted statuses or any 2xx). */
  accepted?: boolean;
  /** A token that must be rejected got the route's authorization refusal instead: it was authenticated. */
  pastAuthentication?: boolean;
  /** verdict 'blocked': the blocker's cause. */
  blockedBy?: string;
  /** Whose tokens were sent (suites with personas); reports name the case `endpoint > persona > case`. */
  persona?: string;
  /** Authorization cases: the persona × endpoint cell of the authorization matrix. */
  authz?: AuthzCell;
}

/** What the access rule says of a persona on an endpoint, and what the target did. */
export interface AuthzCell {
  /** generate.ts AuthzKind: allowed, denied, bola, member-admin, other-org-admin, no-active-org, role-tampered. */
  kind: string;
  expected: 'allowed' | 'denied';
  /** Unset when nothing was sent (skipped, or the object could not be created). */
  observed?: 'allowed' | 'denied';
  /** The token variant sent: the persona's session, without its active organization, or with o.rol changed. */
  token: 'session' | 'no-active-org' | 'tampered-role';
}

/** Which test a result is about: its endpoint and request, the case, and the statuses it expects. */
export function caseHeader(
  endpoint: { name: string; method: string; path: string; acceptedStatus: number[]; rejectedStatus: number[] },
  caseDef: { id: string; title: string },
  expect: Expectation,
): Pick<CaseResult, 'endpoint' | 'request' | 'caseId' | 'title' | 'expect' | 'expectedStatus'> {
  return {
    endpoint: endpoint.name,
    request: `${endpoint.method} ${endpoint.path}`,
    caseId: caseDef.id,
    title: caseDef.title,
    expect,
    expectedStatus: expect === 'accepted' ? endpoint.acceptedStatus : endpoint.rejectedStatus,
  };
}

/** The fields that name an authorization case and its matrix cell, decided or not run. */
export function authzCaseHeader(
  endpoint: { name: string; method: string; path: string },
  planned: { id: string; expect: Expectation; authz: AuthzCaseSpec },
): Pick<CaseResult, 'endpoint' | 'request' | 'caseId' | 'title' | 'expect' | 'expectedStatus' | 'severity' | 'why' | 'persona' | 'authz'> {
  const spec = planned.authz;
  return {
    endpoint: endpoint.name,
    request: `${endpoint.method} ${endpoint.path}`,
    caseId: planned.id,
    title: spec.title,
    expect: planned.expect,
    expectedStatus: spec.expectedStatus,
    // A refused legitimate user locks people out; an admitted intruder is a breach.
    severity: planned.expect === 'accepted' ? 'high' : 'critical',
    why: spec.why,
    persona: spec.persona,
    authz: { kind: spec.kind, expected: planned.expect === 'accepted' ? 'allowed' : 'denied', token: spec.token },
  };
}
