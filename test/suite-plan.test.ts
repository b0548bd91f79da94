import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../src/cases/catalogue.js';
import { HarnessError } from '../src/errors.js';
import { planCases } from '../src/suite/plan.js';
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
