/**
 * The token source on @clerk/backend against an in-process emulator: user find-or-create, session
 * reuse and recovery, the retry policy (with an injected sleep, so no test waits on the clock).
 */
import { createClerkClient, verifyToken } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { createTokenSource, type TokenSourceConfig } from '../src/tokens/clerk-source.js';

let emu: Emulator;
let base: TokenSourceConfig;
const slept: number[] = [];
const retry = { sleep: async (ms: number) => void slept.push(ms) };

beforeAll(async () => {
  emu = await startEmulator({ templates: [{ name: 'server-token' }] });
  base = { apiUrl: emu.url, secretKey: emu.secretKey, testUserEmail: 'source+clerk_test@example.com', retry };
});
afterAll(() => emu?.stop());

describe('createTokenSource', () => {
  it('detects the emulator, finds-or-creates one user, and signs through the emulator', async () => {
    const a = await createTokenSource(base);
    const b = await createTokenSource(base);
    expect(a.mode).toBe('emulator');
    expect(await a.userId()).toBe(await b.userId());
    const token = await a.trustedSigner!({ alg: 'RS256', typ: 'JWT' }, { sub: 'user_forged', exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await verifyToken(token, { jwtKey: emu.env().CLERK_JWT_KEY })).sub).toBe('user_forged');
  });

  it('reuses its session and starts a new one when the session was revoked', async () => {
    const source = await createTokenSource(base);
    const first = await source.mint();
    expect((await source.mint()).claims.sid).toBe(first.claims.sid);
    const clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url });
    await clerk.sessions.revokeSession(first.claims.sid as string);
    const after = await source.mint();
    expect(after.claims.sid).not.toBe(first.claims.sid);
    expect(after.claims.sub).toBe(first.claims.sub);
  });

  it('mints on a session an earlier source handed over, only for the same user and organization, and replaces it once ended', async () => {
    const cli = await createTokenSource(base);
    const session = await cli.session!();
    expect(session.id).toMatch(/^sess_/);
    const verified = { mode: 'emulator' as const };
    // The worker's source: same user, no organization, as the CLI's.
    const worker = await createTokenSource({ ...base, testUserId: session.userId, verified, session });
    expect((await worker.mint()).claims.sid).toBe(session.id);
    // Another user, or the same user with an organization active, never mints on it.
    const clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url });
    const other = await clerk.users.createUser({ emailAddress: ['other-session+clerk_test@example.com'] });
    const otherSource = await createTokenSource({ ...base, testUserId: other.id, verified, session });
    const otherToken = await otherSource.mint();
    expect([otherToken.claims.sub, otherToken.claims.sid === session.id]).toEqual([other.id, false]);
    const org = await clerk.organizations.createOrganization({ name: 'session-ref', createdBy: session.userId });
    const withOrg = await createTokenSource({ ...base, testUserId: session.userId, verified, session, activeOrganizationId: org.id });
    const orgToken = await withOrg.mint();
    expect([orgToken.claims.sid === session.id, (orgToken.claims.o as { id?: string } | undefined)?.id]).toEqual([false, org.id]);
    // Ended before the worker used it: a new session, not an error.
    await clerk.sessions.revokeSession(session.id);
    const late = await createTokenSource({ ...base, testUserId: session.userId, verified, session });
    const lateToken = await late.mint();
    expect([lateToken.claims.sid === session.id, lateToken.claims.sub]).toEqual([false, session.userId]);
  });

  it('waits what Retry-After asks (within the cap) and backs off on 5xx', async () => {
    const source = await createTokenSource(base);
    await source.userId();
    slept.length = 0;
    emu.injectFault({ status: 429, count: 1, retryAfterSeconds: 2, pathPattern: '/tokens$' });
    emu.injectFault({ status: 502, count: 1, pathPattern: '/tokens$' });
    expect((await source.mint()).claims.v).toBe(2);
    expect(slept[0]).toBe(2000);
    expect(slept[1]).toBeGreaterThan(0);
    expect(slept[1]).toBeLessThan(1000);
  });

  it('fails at once when Retry-After exceeds the cap, and after bounded 5xx retries', async () => {
    const source = await createTokenSource(base);
    await source.userId();
    slept.length = 0;
    emu.injectFault({ status: 429, count: 1, retryAfterSeconds: 60, pathPattern: '/tokens$' });
    await expect(source.mint()).rejects.toMatchObject({ code: 'CLERK_API', message: expect.stringContaining('asks to wait 60 s') });
    expect(slept).toEqual([]);
    emu.injectFault({ status: 500, count: 4, pathPattern: '/tokens$' });
    await expect(source.mint()).rejects.toMatchObject({
      code: 'CLERK_API',
      message: `the Clerk Backend API at ${emu.url} answered 500 internal_clerk_error 4 times while trying to mint a session token`,
    });
    expect(slept).toHaveLength(3);
  });

  it('explains an unknown CLERK_TEST_USER_ID and an unknown template', async () => {
    const byId = await createTokenSource({ ...base, testUserId: 'user_2abcdefghijklmnopqrstuvwxyz0' });
    await expect(byId.mint()).rejects.toMatchObject({
      code: 'CLERK_API',
      message: `CLERK_TEST_USER_ID user_2abcdefghijklmnopqrstuvwxyz0: no such user in the Clerk instance at ${emu.url}`,
      hint: expect.stringContaining('unset CLERK_TEST_USER_ID'),
    });
    const source = await createTokenSource(base);
    await expect(source.mint({ template: 'nope' })).rejects.toMatchObject({ message: `JWT template "nope" does not exist at ${emu.url}; available: server-token` });
    expect(await source.listTemplates()).toEqual([{ id: expect.stringMatching(/^jtmp_/), name: 'server-token', lifetime: 60, allowedClockSkew: 5, claims: {} }]);
  });
});
