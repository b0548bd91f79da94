/**
 * The emulator's trusted signer for negative cases: the signing key is fetched once and forged
 * tokens are signed in the harness's process (no round trip per token); after a key rotation the
 * token still verifies (signed remotely with the new key, the cached key dropped).
 */
import { verifyToken } from '@clerk/backend';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { createTokenSource } from '../src/tokens/clerk-source.js';

let emulator: Emulator;
const requests: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ log: (line) => requests.push(line) });
});
afterAll(async () => {
  await emulator?.stop();
});

it('signs forged claims locally after one key fetch, and survives a rotation', async () => {
  const source = await createTokenSource({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'signer@example.com' });
  const minted = await source.mint();
  const sign = source.trustedSigner!;
  requests.length = 0;
  const tokens = [];
  for (let i = 0; i < 5; i++) tokens.push(await sign({ ...minted.header }, { ...minted.claims, custom: i }));
  expect(requests.filter((l) => l.includes('/__emulator/signing-key'))).toHaveLength(1);
  // The only request was the key fetch: no "POST /__emulator/sign -> 200" per token.
  expect(requests).toEqual([expect.stringMatching(/^GET \/__emulator\/signing-key -> 200/)]);
  for (const t of tokens) expect((await verifyToken(t, { jwtKey: emulator.currentKey().publicPem })).sub).toBe(minted.claims.sub);

  await emulator.rotateKey();
  const fresh = await source.mint();
  expect(decodeProtectedHeader(fresh.token).kid).not.toBe(minted.header.kid);
  const afterRotation = await sign({ ...fresh.header }, { ...fresh.claims, custom: 'rotated' });
  expect((await verifyToken(afterRotation, { jwtKey: emulator.currentKey().publicPem })).custom).toBe('rotated');
});
