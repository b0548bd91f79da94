import { describe, expect, it } from 'vitest';
import type { CaseDef } from '../src/cases/types.js';
import { judge, severityAtLeast } from '../src/suite/verdict.js';

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
const run = (c: CaseDef, status: number, expect = c.expect) =>
  judge({ caseDef: c, expect, endpoint, observed: { status, bodyExcerpt: '', headers: {}, durationMs: 1 }, sent: 'token' });

describe('judge', () => {
  it.each([
    // [case expect, case severity, informational, status, verdict, severity]
    ['rejected', 'critical', false, 401, 'pass', 'critical'],
    ['rejected', 'critical', false, 201, 'finding', 'critical'],
    ['rejected', 'critical', false, 200, 'finding', 'critical'],
    ['rejected', 'critical', false, 403, 'finding', 'medium'],
    ['rejected', 'critical', false, 500, 'finding', 'high'],
    ['rejected', 'critical', false, 302, 'finding', 'medium'],
    ['rejected', 'critical', false, 404, 'finding', 'low'],
    ['rejected', 'critical', false, 431, 'pass', 'critical'],
    ['accepted', 'high', false, 201, 'pass', 'high'],
    ['accepted', 'high', false, 401, 'finding', 'high'],
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

  it('uses the suite override of the expectation and its statuses', () => {
    const r = run(caseDef({ expect: 'accepted' }), 401, 'rejected');
    expect(r.verdict).toBe('pass');
    expect(r.expectedStatus).toEqual([401]);
  });

  it('orders severities', () => {
    expect(severityAtLeast('critical', 'low')).toBe(true);
    expect(severityAtLeast('low', 'high')).toBe(false);
    expect(severityAtLeast('info', 'low')).toBe(false);
  });
});
