/**
 * buildPlan sends its independent Backend API calls together; what it decides must not change:
 * a JWT template the instance lacks turns the template cases into skips naming the templates it
 * has, an existing one skips nothing, and a test user that does not exist is the error a run
 * reports, every time (the calls are awaited in their old order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../src/cases/catalogue.js';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { buildPlan } from '../src/suite/build-plan.js';
import { loadSuite } from '../src/suite/load.js';
import { writeCreateJobSuite } from './helpers/suites.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ templates: [{ name: 'server-token', claims: { aud: 'x' } }] });
});
afterAll(() => emulator?.stop());

const templateCases = CATALOGUE.filter((c) => c.needs.includes('template')).map((c) => c.id);
const plan = (template: string | undefined, testUserId?: string) =>
  buildPlan({
    suite: loadSuite(writeCreateJobSuite(), { cwd: process.cwd() }),
    targetUrl: 'http://127.0.0.1:9',
    clerk: { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'build-plan@example.com', testUserId },
    template,
    failOn: 'low',
  });

describe('buildPlan', () => {
  it('a template the instance lacks: its cases are skipped, naming the templates there are', async () => {
    expect(templateCases.length).toBeGreaterThan(0);
    const p = await plan('no-such-template');
    const skipped = p.cases.filter((c) => templateCases.includes(c.id));
    expect(skipped.length).toBe(templateCases.length);
    for (const c of skipped) expect(c.skipReason).toBe('JWT template "no-such-template" does not exist in the instance (templates: server-token); create it (RS256) or fix CLERK_JWT_TEMPLATE');
    expect(p.clerk.testUserId).toMatch(/^user_/);
    // The worker's first mint goes straight to this session (made while the worker boots).
    expect(p.clerk.session).toEqual({ id: expect.stringMatching(/^sess_/), userId: p.clerk.testUserId });
    expect(p.publicKeyPem).toContain('BEGIN PUBLIC KEY');
  });

  it('an existing template skips none of them', async () => {
    const p = await plan('server-token');
    for (const c of p.cases.filter((x) => templateCases.includes(x.id))) expect(c.skipReason ?? '').not.toMatch(/does not exist in the instance/);
  });

  it('a test user that does not exist is the error, each time, while the template list is in flight', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(plan('no-such-template', 'user_2xNoSuchUserNoSuchUser00')).rejects.toThrow('CLERK_TEST_USER_ID user_2xNoSuchUserNoSuchUser00: no such user');
    }
  });
});
