import type { CaseDef, Expectation, Severity } from '../cases/types.js';
import type { CaseResult, Observed } from './result.js';

export interface JudgeInput {
  caseDef: CaseDef;
  expect: Expectation; // after suite overrides
  endpoint: { name: string; method: string; path: string; acceptedStatus: number[]; rejectedStatus: number[] };
  observed: Observed;
  sent: string;
}

const is2xx = (s: number) => s >= 200 && s < 300;

/**
 * Decide what an observed status means for a case. Pure: the whole status policy lives here, so
 * table tests cover it and the runner only reports.
 */
export function judge(input: JudgeInput): CaseResult {
  const { caseDef, expect, endpoint, observed } = input;
  const expectedStatus = expect === 'accepted' ? endpoint.acceptedStatus : endpoint.rejectedStatus;
  const base = {
    endpoint: endpoint.name,
    request: `${endpoint.method} ${endpoint.path}`,
    caseId: caseDef.id,
    title: caseDef.title,
    expect,
    expectedStatus,
    why: caseDef.why,
    sent: input.sent,
    observed,
  };
  const s = observed.status;
  const want = expectedStatus.join(' or ');
  const finding = (severity: Severity, message: string, hint: string): CaseResult =>
    caseDef.informational
      ? { ...base, severity: 'info', verdict: 'info', message: `${message} (informational)`, hint }
      : { ...base, severity, verdict: 'finding', message, hint };

  if (expectedStatus.includes(s)) {
    return { ...base, severity: caseDef.severity, verdict: caseDef.informational ? 'info' : 'pass', message: `${s} as expected` };
  }
  if (expect === 'rejected') {
    if (s === 413 || s === 431 || caseDef.rejectStatuses?.includes(s)) {
      // e.g. the HTTP layer refusing an oversized token before any verifier ran: still a rejection.
      return { ...base, severity: caseDef.severity, verdict: caseDef.informational ? 'info' : 'pass', message: `${s}: a correct rejection for this case` };
    }
    if (is2xx(s)) {
      return finding(caseDef.severity, `accepted with ${s}; a correct server rejects this token with ${want}`, caseDef.hint);
    }
    if (s >= 500) {
      return finding('high', `server error ${s} instead of ${want}: the verifier crashes on this input`, `catch verification errors and answer ${want}; a 5xx on a bad token hides the cause and can leak stack traces. ${caseDef.hint}`);
    }
    if (s === 403 && expectedStatus.includes(401)) {
      return finding(
        'medium',
        `403 where 401 is right: the request carries no valid credentials, which is 401 (RFC 9110); 403 means authenticated but not allowed`,
        'FastAPI < 0.122 HTTPBearer answers 403 for a missing or non-Bearer header: upgrade FastAPI, or use HTTPBearer(auto_error=False) and raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"}); fastapi-clerk-auth hard-codes 403. If 403 is your documented contract, set rejected_status: 403 in the suite.',
      );
    }
    if (s >= 300 && s < 400) {
      return finding('medium', `redirect ${s} instead of ${want}`, 'API routes must answer 401, not redirect to a sign-in page: with @clerk/express use getAuth() + 401 instead of requireAuth(), and send Accept: application/json.');
    }
    return finding('low', `answered ${s} instead of ${want}`, `check the route and the status your verifier uses for rejected tokens; if ${s} is your contract, set rejected_status in the suite`);
  }
  // expect accepted
  if (s === 401 || s === 403) {
    return finding(caseDef.severity, `rejected a valid token with ${s}; expected ${want}`, caseDef.hint);
  }
  if (s >= 500) {
    return finding('high', `server error ${s} for a valid token; expected ${want}`, `run \`clerk-harness doctor\`: a 500 on a valid token is usually the verifier not configured (env file not loaded before import, or the server not restarted after editing it). ${caseDef.hint}`);
  }
  return finding('medium', `answered ${s} for a valid token; expected ${want}`, 'check the endpoint path, method and body fixture in the suite, or set accepted_status to what the endpoint returns');
}

const ORDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
export function severityAtLeast(s: Severity, threshold: Severity): boolean {
  return ORDER.indexOf(s) >= ORDER.indexOf(threshold);
}
