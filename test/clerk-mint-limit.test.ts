/**
 * Against real Clerk the token source mints at most CLERK_MINTS_IN_FLIGHT tokens at once, shared
 * by every source of the process (an audited run starts 128 cases together, personas have sources
 * of their own); against the emulator it is not held back. Both are the emulator behind a proxy
 * that counts the token requests in flight; as "real Clerk" the proxy also hides what Clerk does
 * not have (the /__emulator routes and the emulator's marker header).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { CLERK_MINTS_IN_FLIGHT, createTokenSource } from '../src/tokens/clerk-source.js';
import { startClerkLikeProxy, type ClerkLikeProxy } from './helpers/clerk-like-proxy.js';

let emulator: Emulator;
const proxies: ClerkLikeProxy[] = [];
const countingProxy = async (asClerk: boolean) => {
  // Slow enough that unlimited mints pile up far beyond the limit.
  const p = await startClerkLikeProxy(emulator.url, { asClerk, mintDelayMs: 20 });
  proxies.push(p);
  return p;
};

beforeAll(async () => {
  emulator = await startEmulator({});
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await emulator?.stop();
});

it('real Clerk: 60 mints from two sources at once never have more than the limit in flight, and all succeed', async () => {
  const clerk = await countingProxy(true);
  const [a, b] = await Promise.all([
    createTokenSource({ apiUrl: clerk.url, secretKey: emulator.secretKey, testUserEmail: 'limit-a+clerk_test@example.com' }),
    createTokenSource({ apiUrl: clerk.url, secretKey: emulator.secretKey, testUserEmail: 'limit-b+clerk_test@example.com' }),
  ]);
  expect([a.mode, b.mode]).toEqual(['clerk', 'clerk']);
  const tokens = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).mint()));
  expect(tokens.every((t) => t.token.split('.').length === 3)).toBe(true);
  expect(new Set(tokens.map((t) => t.claims.sub)).size).toBe(2);
  expect(clerk.peak()).toBeLessThanOrEqual(CLERK_MINTS_IN_FLIGHT);
  expect(clerk.peak()).toBeGreaterThan(1); // limited, not one at a time
});

it('the emulator: the same 60 mints are not held to that limit', async () => {
  const emu = await countingProxy(false);
  const source = await createTokenSource({ apiUrl: emu.url, secretKey: emulator.secretKey, testUserEmail: 'limit-emu+clerk_test@example.com' });
  expect(source.mode).toBe('emulator');
  await Promise.all(Array.from({ length: 60 }, () => source.mint()));
  expect(emu.peak()).toBeGreaterThan(CLERK_MINTS_IN_FLIGHT);
});
