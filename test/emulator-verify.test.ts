/**
 * Verifiers accept what the emulator serves: @clerk/backend's verifyToken through the JWKS
 * (secretKey + apiUrl) and networkless (jwtKey), jose through /.well-known/jwks.json; and they
 * reject it after key rotation, outside the clock window, and (authenticateRequest) for template tokens.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClerkClient, verifyToken } from '@clerk/backend';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';

const started: Emulator[] = [];
let dir: string;

async function emulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
  const emu = await startEmulator(options);
  started.push(emu);
  return emu;
}

/** A fresh session token (or template token) minted through the SDK, as the harness does it. */
async function mint(emu: Emulator, template?: string): Promise<string> {
  const clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, telemetry: { disabled: true } });
  const user = await clerk.users.createUser({ emailAddress: [`v${Math.random().toString(36).slice(2)}+clerk_test@example.com`] });
  const session = await clerk.sessions.createSession({ userId: user.id });
  return (await clerk.sessions.getToken(session.id, template)).jwt;
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { reason?: string; code?: string }).reason ?? (err as { code?: string }).code ?? String(err);
  }
  throw new Error('expected verification to fail');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-verify-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('verifying emulator tokens', () => {
  it('verifyToken accepts them through the JWKS and networkless with the PEM', async () => {
    const emu = await emulator();
    const token = await mint(emu);
    const viaJwks = await verifyToken(token, { secretKey: emu.secretKey, apiUrl: emu.url });
    expect(viaJwks.sub).toMatch(/^user_/);
    const viaPem = await verifyToken(token, { jwtKey: emu.env().CLERK_JWT_KEY });
    expect(viaPem.sid).toBe(viaJwks.sid);
    expect(emu.env().CLERK_PEM_PUBLIC_KEY).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----$/);
  });

  it('jose verifies them against the public /.well-known/jwks.json with the issuer', async () => {
    const emu = await emulator();
    const token = await mint(emu);
    const jwks = createRemoteJWKSet(new URL(emu.env().CLERK_JWKS_URL));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: emu.env().CLERK_ISSUER, algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBe(emu.currentKey().kid);
    expect(payload.iss).toBe(emu.issuer);
  });

  it('rejects tokens after rotation: new tokens fail the old PEM, old tokens fail the new JWKS', async () => {
    const emu = await emulator();
    const oldPem = emu.env().CLERK_JWT_KEY;
    const oldToken = await mint(emu);
    const oldKid = emu.currentKey().kid;
    const rotated = await emu.rotateKey();
    expect(rotated.kid).not.toBe(oldKid);
    expect(emu.env().CLERK_JWT_KEY).not.toBe(oldPem);
    const newToken = await mint(emu);
    expect(await reason(verifyToken(newToken, { jwtKey: oldPem }))).toBe('token-invalid-signature');
    expect(await reason(verifyToken(oldToken, { secretKey: emu.secretKey, apiUrl: emu.url }))).toBe('jwk-kid-mismatch');
    expect((await verifyToken(newToken, { secretKey: emu.secretKey, apiUrl: emu.url })).sub).toMatch(/^user_/);
  });

  it('keeps its key across restarts through the key file, and rotation rewrites the file', async () => {
    const keyFile = path.join(dir, 'emulator-key.json');
    const first = await emulator({ keyFile });
    const kid = first.currentKey().kid;
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    await first.stop();
    const second = await emulator({ keyFile });
    expect(second.currentKey().kid).toBe(kid);
    const token = await mint(second);
    expect((await verifyToken(token, { jwtKey: first.env().CLERK_JWT_KEY })).sub).toMatch(/^user_/);
    const rotated = await second.rotateKey();
    expect(JSON.parse(await readFile(keyFile, 'utf8')).kid).toBe(rotated.kid);
  });

  it('dates tokens by its own clock offset, so skew is reproducible', async () => {
    const behind = await emulator({ clockOffsetSeconds: -3600 });
    expect(await reason(verifyToken(await mint(behind), { jwtKey: behind.env().CLERK_JWT_KEY }))).toBe('token-expired');
    const ahead = await emulator({ clockOffsetSeconds: 120 });
    expect(await reason(verifyToken(await mint(ahead), { jwtKey: ahead.env().CLERK_JWT_KEY }))).toBe('token-not-active-yet');
  });

  it('adds azp only when an origin is configured; authenticateRequest signs in with it', async () => {
    const emu = await emulator({ authorizedParty: 'http://localhost:3000', templates: [{ name: 'server-token' }] });
    const token = await mint(emu);
    const claims = await verifyToken(token, { jwtKey: emu.env().CLERK_JWT_KEY, authorizedParties: ['http://localhost:3000'] });
    expect(claims.azp).toBe('http://localhost:3000');
    const clerk = createClerkClient({ secretKey: emu.secretKey, publishableKey: emu.publishableKey, apiUrl: emu.url, telemetry: { disabled: true } });
    const request = (t: string) => new Request('http://127.0.0.1/api', { headers: { Authorization: `Bearer ${t}`, Accept: 'application/json' } });
    const state = await clerk.authenticateRequest(request(token), { jwtKey: emu.env().CLERK_JWT_KEY });
    expect(state.status).toBe('signed-in');
    // A template token is not a session token: production answers token-type-mismatch, and so do we.
    const templateState = await clerk.authenticateRequest(request(await mint(emu, 'server-token')), { jwtKey: emu.env().CLERK_JWT_KEY });
    expect(templateState.reason).toBe('token-type-mismatch');
  });
});
