/**
 * The test worker's setup repeats none of what building the plan established: no mode probe
 * (GET /__emulator/info), no "is this Clerk" check (GET /v1/jwks) and no test-user lookup. Against
 * real Clerk each of those is a round trip over the internet in every run. Expected before running:
 * the worker's only Backend API call up to its first token is the token itself: the session was
 * made while the plan was built (the worker boots meanwhile).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { buildPlan } from '../src/suite/build-plan.js';
import { loadSuite } from '../src/suite/load.js';
import { prepareWorker } from '../src/suite/worker-deps.js';
import { createTokenSource } from '../src/tokens/clerk-source.js';
import { writeCreateJobSuite } from './helpers/suites.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({});
});
afterAll(() => emulator?.stop());

/** Every HTTP request (undici's and fetch's) to the emulator while `fn` runs, as "METHOD /path" without ids. */
async function requestsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const onCreate = (message: unknown) => {
    const { request } = message as { request: { method: string; path: string; origin: string } };
    if (new URL(request.origin).origin !== new URL(emulator.url).origin) return; // another test file's leftovers
    seen.push(`${request.method} ${request.path.split('?')[0]!.replace(/(user|sess)_\w+/g, ':id')}`);
  };
  subscribe('undici:request:create', onCreate);
  try {
    await fn();
  } finally {
    unsubscribe('undici:request:create', onCreate);
  }
  return seen;
}

describe('the worker after buildPlan', () => {
  it('makes no probe, no user lookup and no session: its first call is the token, on the plan\'s session', async () => {
    const suite = loadSuite(writeCreateJobSuite(), { cwd: process.cwd() });
    const clerk = { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'worker-deps@example.com' };
    const planCalls = await requestsDuring(async () => {
      const plan = await buildPlan({ suite, targetUrl: 'http://127.0.0.1:9', clerk, publicKeyPem: emulator.currentKey().publicPem, failOn: 'low' });
      const workerCalls = await requestsDuring(async () => {
        const deps = await prepareWorker(plan);
        const token = await deps.context.mint();
        expect(token.claims.sub).toBe(plan.clerk.testUserId);
        expect(token.claims.sid).toBe(plan.clerk.session?.id);
        await deps.stop();
      });
      expect(workerCalls).toEqual(['POST /v1/sessions/:id/tokens']);
    });
    // The plan itself did probe and look the user up (the calls the worker may skip).
    expect(planCalls).toEqual(expect.arrayContaining(['GET /__emulator/info', 'GET /v1/users', 'POST /v1/sessions']));
  });

  it('a source told the mode and the user skips the Clerk check too, and mints for that user', async () => {
    const first = await createTokenSource({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'worker-deps-2@example.com' });
    const userId = await first.userId();
    const calls = await requestsDuring(async () => {
      const source = await createTokenSource({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserId: userId, testUserEmail: 'x@example.com', verified: { mode: 'clerk' } });
      expect(source.mode).toBe('clerk');
      expect(source.trustedSigner).toBeUndefined();
      expect((await source.mint()).claims.sub).toBe(userId);
    });
    expect(calls).toEqual(['POST /v1/sessions', 'POST /v1/sessions/:id/tokens']);
  });
});
