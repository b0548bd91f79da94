import { describe, expect, it } from 'vitest';
import type { CaseDef } from '../src/cases/types.js';
import { DEFAULT_FAIL_ON } from '../src/suite/policy.js';
import { finalizeResults, judge, severityAtLeast } from '../src/suite/verdict.js';

const caseDef = (over: Partial<CaseDef> = {}): CaseDef => ({
  id: 'x',
  title: 'x',
  expect: 'rejected',
  severity: 'critical',
  why: 'why',
  hint: 'fix it',
  needs: [],
  tags: [],
  build: async () => ({ kind: 'skip', reason: 'n/a' }),
  ...over,
});
const endpoint = { name: 'create job', method: 'POST', path: '/jobs', acceptedStatus: [201], rejectedStatus: [401] };
const runWith = (c: CaseDef, status: number, body: string) =>
  judge({ caseDef: c, expect: c.expect, endpoint, observed: { status, bodyExcerpt: body.slice(0, 200), headers: { 'content-type': 'application/json' }, durationMs: 1 }, body, sent: 'token' });
const run = (c: CaseDef, status: number, expect = c.expect) =>
  judge({ caseDef: c, expect, endpoint, observed: { status, bodyExcerpt: '', headers: {}, durationMs: 1 }, sent: 'token' });

describe('judge', () => {
  it.each([
    // [case expect, case severity, informational, status, verdict, severity]
    ['rejected', 'critical', false, 401, 'pass', 'critical'],
    ['rejected', 'critical', false, 201, 'finding', 'critical'],
    ['rejected', 'critical', false, 200, 'finding', 'critical'],
    ['rejected', 'critical', false, 403, 'finding', 'low'], // 403 where 401 is right: a contract detail
    ['rejected', 'critical', false, 500, 'finding', 'high'],
    ['rejected', 'critical', false, 302, 'finding', 'medium'],
    ['rejected', 'critical', false, 404, 'finding', 'high'], // the endpoint is not there: nothing was tested
    ['rejected', 'critical', false, 400, 'finding', 'low'], // another 4xx
    ['rejected', 'medium', false, 200, 'finding', 'medium'], // accepted: the case's own severity
    ['rejected', 'critical', false, 431, 'pass', 'critical'],
    ['accepted', 'high', false, 201, 'pass', 'high'],
    ['accepted', 'high', false, 200, 'finding', 'low'], // accepted, but not with the suite's accepted_status
    ['accepted', 'high', false, 401, 'finding', 'high'],
    ['accepted', 'high', false, 404, 'finding', 'high'],
    ['accepted', 'high', false, 500, 'finding', 'high'],
    ['accepted', 'high', false, 422, 'finding', 'medium'],
    ['rejected', 'low', true, 201, 'info', 'info'],
    ['rejected', 'low', true, 401, 'info', 'low'],
  ] as const)('%s case (%s, informational=%s) answered %i → %s/%s', (exp, sev, info, status, verdict, severity) => {
    const r = run(caseDef({ expect: exp, severity: sev, informational: info }), status);
    expect(r.verdict).toBe(verdict);
    expect(r.severity).toBe(severity);
    if (verdict === 'finding') expect(r.hint).toBeTruthy();
  });

  it('explains 403 for a missing header with the FastAPI cause', () => {
    const r = run(caseDef(), 403);
    expect(r.message).toMatch(/403 where 401 is right/);
    expect(r.hint).toMatch(/FastAPI < 0\.122/);
  });

  it('names endpoint-not-found for a 404, for rejected and accepted cases alike', () => {
    for (const c of [caseDef(), caseDef({ expect: 'accepted', severity: 'high' })]) {
      const r = run(c, 404);
      expect(r).toMatchObject({ verdict: 'finding', severity: 'high', cause: 'endpoint-not-found' });
      expect(r.message).toContain('POST /jobs');
    }
  });

  it('on a route that hides other users\' objects (refused_status 404), a 404 for a bad token means it was authenticated', () => {
    const owned = { ...endpoint, method: 'GET', path: '/jobs/{job_id}', acceptedStatus: [200], access: { refusedStatus: 404 } };
    const judged = (c: CaseDef, access: typeof owned) => judge({ caseDef: c, expect: c.expect, endpoint: access, observed: { status: 404, bodyExcerpt: '', headers: {}, durationMs: 1 }, sent: 'token' });
    const r = judged(caseDef({ severity: 'critical' }), owned);
    expect(r).toMatchObject({ verdict: 'finding', severity: 'critical', pastAuthentication: true, hint: 'fix it' });
    expect(r.cause).toBeUndefined();
    expect(r.message).toMatch(/^404 instead of 401: .*the token was authenticated/);
    // A route that refuses with 403 still says a 404 is a missing endpoint; a valid token's 404 too.
    expect(judged(caseDef(), { ...owned, access: { refusedStatus: 403 } })).toMatchObject({ cause: 'endpoint-not-found' });
    expect(judged(caseDef({ expect: 'accepted', severity: 'high' }), owned)).toMatchObject({ cause: 'endpoint-not-found' });
  });

  it('reports an accepted request answered with another 2xx than accepted_status as low advice, naming the setting', () => {
    const r = run(caseDef({ expect: 'accepted', severity: 'high' }), 200);
    expect(r.verdict).toBe('finding');
    expect(r.severity).toBe('low');
    expect(r.message).toMatch(/accepted with an unexpected status/);
    expect(r.hint).toContain('accepted_status: 200');
    expect(severityAtLeast(r.severity, DEFAULT_FAIL_ON)).toBe(false); // advice: the default gate passes
  });

  it('diagnoses the answer with the doctor catalogue: cause and fix from what the target said', () => {
    const valid = caseDef({ id: 'valid-session-token', expect: 'accepted', severity: 'high', hint: 'the case hint' });
    // the documents' PyJWT error when CLERK_JWT_AUDIENCE is set: session tokens carry no aud
    const aud = runWith(valid, 401, '{"detail":"Token validation failed: Token is missing the \\"aud\\" claim"}');
    expect(aud).toMatchObject({ verdict: 'finding', severity: 'high', cause: 'aud-required' });
    expect(aud.hint).toContain('CLERK_JWT_AUDIENCE');
    expect(aud.hint).not.toBe('the case hint');
    // the documents' 500 when the server did not load .env.local
    const env = runWith(valid, 500, '{"detail":"Authentication system not configured"}');
    expect(env).toMatchObject({ verdict: 'finding', severity: 'high', cause: 'env-not-loaded' });
    expect(env.hint).toMatch(/load_dotenv|env file/);
    // nothing recognisable: the case's own hint, no invented cause
    const plain = runWith(valid, 401, 'nope');
    expect(plain.cause).toBeUndefined();
    expect(plain.hint).toBe('the case hint');
  });

  it('uses the suite override of the expectation and its statuses', () => {
    const r = run(caseDef({ expect: 'accepted' }), 401, 'rejected');
    expect(r.verdict).toBe('pass');
    expect(r.expectedStatus).toEqual([401]);
  });

  it('finalizeResults reports a blocker once and marks the endpoint\'s dependent cases blocked, keeping accepted forgeries', () => {
    const valid = runWith(caseDef({ id: 'valid-session-token', expect: 'accepted', severity: 'high' }), 500, '{"detail":"Authentication system not configured"}');
    const refused = run(caseDef({ id: 'alg-none' }), 500);
    const forged = run(caseDef({ id: 'signature-altered' }), 201);
    const other = judge({ caseDef: caseDef({ id: 'alg-none' }), expect: 'rejected', endpoint: { ...endpoint, name: 'list jobs', method: 'GET' }, observed: { status: 401, bodyExcerpt: '', headers: {}, durationMs: 1 }, sent: 'token' });
    const { results, blockers } = finalizeResults([valid, refused, forged, other], { targetUrl: 'http://127.0.0.1:8000' });
    expect(blockers).toHaveLength(1);
    expect(blockers[0]).toMatchObject({ cause: 'env-not-loaded', endpoints: ['create job'], blockedCases: 2 });
    expect(blockers[0].fix).toBe(valid.hint);
    expect(blockers[0].doctor).toContain('--target http://127.0.0.1:8000');
    expect(results.map((r) => r.verdict)).toEqual(['blocked', 'blocked', 'finding', 'pass']);
    expect(results[1]).toMatchObject({ blockedBy: 'env-not-loaded' });
    expect(results[2]).toMatchObject({ severity: 'critical' }); // a forged token accepted is real whatever else is broken
    // a cause that does not make the rest meaningless (or a passing anchor) blocks nothing
    const fine = finalizeResults([run(caseDef({ id: 'valid-session-token', expect: 'accepted', severity: 'high' }), 201), refused]);
    expect(fine.blockers).toEqual([]);
    expect(fine.results[1].verdict).toBe('finding');
  });

  it('finalizeResults keeps an SSRF finding under a blocker, and blocks nothing while another valid token passes', () => {
    const valid = runWith(caseDef({ id: 'valid-session-token', expect: 'accepted', severity: 'high' }), 500, '{"detail":"Authentication system not configured"}');
    const ssrf = { ...run(caseDef({ id: 'jku-attacker-jwks' }), 401), verdict: 'finding' as const, severity: 'critical' as const, cause: 'key-url-fetched' };
    const { results } = finalizeResults([valid, ssrf]);
    expect(results[1]).toMatchObject({ verdict: 'finding', severity: 'critical' });
    const passing = run(caseDef({ id: 'valid-without-aud', expect: 'accepted', severity: 'high' }), 201);
    const transient = finalizeResults([valid, passing, run(caseDef({ id: 'alg-none' }), 401)]);
    expect(transient.blockers).toEqual([]);
    expect(transient.results[0].verdict).toBe('finding');
  });

  it('counts the suite\'s accepted statuses as accepted, for bad tokens too (a 302 form flow)', () => {
    const r = judge({ caseDef: caseDef({ id: 'alg-none' }), expect: 'rejected', endpoint: { ...endpoint, acceptedStatus: [302] }, observed: { status: 302, bodyExcerpt: '', headers: {}, durationMs: 1 }, sent: 't' });
    expect(r).toMatchObject({ verdict: 'finding', severity: 'critical', accepted: true });
  });

  it('orders severities', () => {
    expect(severityAtLeast('critical', 'low')).toBe(true);
    expect(severityAtLeast('low', 'high')).toBe(false);
    expect(severityAtLeast('info', 'low')).toBe(false);
  });
});
