import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../src/cases/catalogue.js';
import { HarnessError } from '../src/errors.js';
import { tmpdir } from 'node:os';
import { planCases, planSuite } from '../src/suite/plan.js';
import { DEFAULT_SUITE_FILE, loadSuite } from '../src/suite/load.js';
import type { Suite } from '../src/suite/types.js';

const suite = (cases: Partial<Suite['cases']> = {}): Suite => ({
  name: 's',
  file: '/x/s.yaml',
  timeoutMs: 1000,
  headers: {},
  endpoints: [],
  audit: false,
  cases: { exclude: [], skip: {}, expect: {}, ...cases },
});

describe('planCases', () => {
  it('runs every case by default, the one that may wait for a genuine token to expire last', () => {
    const planned = planCases([...CATALOGUE], suite());
    expect(planned).toHaveLength(CATALOGUE.length);
    expect(planned.at(-1)?.id).toBe('expired-token');
  });

  it('applies include by id and tag, exclude, skip reasons and expectation overrides', () => {
    const planned = planCases([...CATALOGUE], suite({
      include: ['tag:alg-none', 'valid-without-email'],
      exclude: ['alg-none-mixed-case'],
      skip: { 'alg-none': 'our gateway strips it' },
      expect: { 'valid-without-email': 'rejected' },
    }));
    expect(planned.map((p) => p.id).sort()).toEqual(['alg-none', 'alg-none-capitalized', 'alg-none-uppercase', 'valid-without-email']);
    expect(planned.find((p) => p.id === 'alg-none')?.skipReason).toBe('our gateway strips it');
    expect(planned.find((p) => p.id === 'valid-without-email')?.expect).toBe('rejected');
  });

  it('names an unknown case or tag with the known ones', () => {
    try {
      planCases([...CATALOGUE], suite({ skip: { 'alg-nope': 'x' } }));
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(HarnessError);
      expect((e as HarnessError).message).toBe('/x/s.yaml: cases.skip names unknown case "alg-nope"');
      expect((e as HarnessError).hint).toMatch(/known cases: .*alg-none/);
    }
  });
});

describe('planSuite: the default suite with personas, planned without the network', () => {
  const base = loadSuite(DEFAULT_SUITE_FILE, { cwd: tmpdir() });
  const withCases = (cases: Partial<Suite['cases']>): Suite => ({ ...base, cases: { ...base.cases, ...cases } });
  const row = (plan: ReturnType<typeof planSuite>, endpoint: string, id: string) => plan.endpointCases?.[endpoint]?.find((c) => c.id === id);

  it('runs the catalogue as the principal persona and adds the authorization cases per endpoint', () => {
    const plan = planSuite([...CATALOGUE], base);
    expect(Object.keys(plan.endpointCases ?? {})).toEqual(['read job', 'delete job']);
    expect(row(plan, 'read job', 'valid-session-token')?.persona).toBe('alice');
    expect(row(plan, 'read job', 'bola-read-other-user')).toMatchObject({ persona: 'bob', expect: 'rejected', authz: { expectedStatus: [404] } });
    expect(row(plan, 'delete job', 'member-calls-admin-route')).toMatchObject({ persona: 'bob', authz: { expectedStatus: [403] } });
  });

  it('skips the template token only where the route admits by role or permission alone', () => {
    const plan = planSuite([...CATALOGUE], base);
    expect(row(plan, 'delete job', 'template-token')?.skipReason).toMatch(/no active organization, role or permission/);
    expect(row(plan, 'read job', 'template-token')?.skipReason).toBeUndefined(); // the owner rule admits alice's template token
  });

  it('cases.skip, cases.expect and cases.exclude name authorization cases by id and by tag', () => {
    const plan = planSuite([...CATALOGUE], withCases({
      skip: { 'member-calls-admin-route': 'members may delete in our product' },
      expect: { 'bola-read-other-user': 'accepted' },
      exclude: ['tag:bola'],
    }));
    expect(row(plan, 'delete job', 'member-calls-admin-route')?.skipReason).toBe('members may delete in our product');
    // tag:bola removes both BOLA attempts; the expectation flip then has nothing to flip.
    expect(row(plan, 'read job', 'bola-read-other-user')).toBeUndefined();
    expect(row(plan, 'delete job', 'bola-delete-other-user')).toBeUndefined();
    const flipped = planSuite([...CATALOGUE], withCases({ expect: { 'bola-read-other-user': 'accepted' } }));
    expect(row(flipped, 'read job', 'bola-read-other-user')).toMatchObject({ expect: 'accepted', authz: { expectedStatus: [200] } });
  });

  it('an include without an authorization selector runs no authorization case; tag:authz brings them back', () => {
    const only = planSuite([...CATALOGUE], withCases({ include: ['valid-session-token'] }));
    expect(only.endpointCases?.['read job']?.map((c) => c.id)).toEqual(['valid-session-token']);
    const withAuthz = planSuite([...CATALOGUE], withCases({ include: ['valid-session-token', 'tag:authz'] }));
    expect(withAuthz.endpointCases?.['read job']?.map((c) => c.id)).toContain('bola-read-other-user');
  });

  it('an unknown authorization id is named with the fix', () => {
    expect(() => planSuite([...CATALOGUE], withCases({ skip: { 'bola-nope': 'x' } }))).toThrow(HarnessError);
  });
});
