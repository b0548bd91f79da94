/**
 * The unchanged @clerk/backend client against the emulator: every call the harness makes, the
 * wire details the SDK depends on, and Clerk errors with the right codes.
 */
import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { Agent, request } from 'node:http';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';

let emu: Emulator;
let clerk: ReturnType<typeof createClerkClient>;

beforeAll(async () => {
  emu = await startEmulator({
    templates: [{ name: 'server-token', claims: { email: '{{user.primary_email_address}}', role: 'tester' }, lifetime: 300, allowed_clock_skew: 7 }],
  });
  clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, telemetry: { disabled: true } });
});
afterAll(() => emu?.stop());

/** The Clerk error a promise rejects with: status and first error code. */
async function clerkError(p: Promise<unknown>): Promise<{ status?: number; code?: string; retryAfter?: number }> {
  try {
    await p;
  } catch (err) {
    if (!isClerkAPIResponseError(err)) throw err;
    return { status: err.status, code: err.errors[0]?.code, retryAfter: err.retryAfter };
  }
  throw new Error('expected the call to fail');
}

describe('@clerk/backend against the emulator', () => {
  it('creates, gets, lists and counts users', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['sdk+clerk_test@example.com'], firstName: 'Ada', skipPasswordRequirement: true });
    expect(user.id).toMatch(/^user_[0-9A-Za-z]{27}$/);
    expect(user.primaryEmailAddress?.emailAddress).toBe('sdk+clerk_test@example.com');
    expect(user.emailAddresses[0].verification?.status).toBe('verified');
    expect(user.createdAt).toBeGreaterThan(1e12); // ms, not seconds

    const fetched = await clerk.users.getUser(user.id);
    expect(fetched.firstName).toBe('Ada');

    const list = await clerk.users.getUserList({ emailAddress: ['sdk+clerk_test@example.com'] });
    expect(list.totalCount).toBe(1);
    expect(list.data.map((u) => u.id)).toEqual([user.id]);
    expect(await clerk.users.getCount()).toBeGreaterThanOrEqual(1);

    const dup = await clerkError(clerk.users.createUser({ emailAddress: ['sdk+clerk_test@example.com'] }));
    expect(dup).toMatchObject({ status: 422, code: 'form_identifier_exists' });
  });

  it('creates a session and gets a Clerk-shaped session token', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['session+clerk_test@example.com'] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    expect(session.id).toMatch(/^sess_/);
    expect(session.status).toBe('active');
    const { jwt } = await clerk.sessions.getToken(session.id);
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    expect(header).toEqual({ alg: 'RS256', cat: 'cl_B7d4PD111AAA', kid: emu.currentKey().kid, typ: 'JWT' });
    expect(header.kid).toMatch(/^ins_[0-9A-Za-z]{27}$/);
    expect(claims).toMatchObject({ sub: user.id, sid: session.id, iss: emu.issuer, v: 2, sts: 'active', fva: [0, -1] });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(claims.iat! - claims.nbf!).toBe(10);
    expect(claims.jti).toMatch(/^[0-9a-f]{20}$/);
    expect(claims).not.toHaveProperty('azp');

    const longer = decodeJwt((await clerk.sessions.getToken(session.id, undefined, 600)).jwt);
    expect(longer.exp! - longer.iat!).toBe(600);
    const tooShort = await clerkError(clerk.sessions.getToken(session.id, undefined, 5));
    expect(tooShort).toMatchObject({ status: 422, code: 'form_param_value_invalid' });

    const listed = await clerk.sessions.getSessionList({ userId: user.id });
    expect(listed.totalCount).toBe(1);
    expect((await clerk.sessions.revokeSession(session.id)).status).toBe('revoked');
    expect(await clerkError(clerk.sessions.getToken(session.id))).toMatchObject({ status: 404, code: 'resource_not_found' });
  });

  it('mints template tokens and manages templates', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['tpl+clerk_test@example.com'] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    const { jwt } = await clerk.sessions.getToken(session.id, 'server-token');
    const claims = decodeJwt(jwt);
    expect(decodeProtectedHeader(jwt).cat).toBe('cl_B7d4PD222AAA');
    expect(claims).toMatchObject({ sub: user.id, email: 'tpl+clerk_test@example.com', role: 'tester', iss: emu.issuer });
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims.iat! - claims.nbf!).toBe(7);
    expect(claims).not.toHaveProperty('sid');
    expect(claims).not.toHaveProperty('v');

    const created = await clerk.jwtTemplates.create({ name: 'short', claims: { sub: 'cannot-override', aud: 'api' }, lifetime: 30 });
    expect(created.id).toMatch(/^jtmp_/);
    const short = decodeJwt((await clerk.sessions.getToken(session.id, 'short')).jwt);
    expect(short).toMatchObject({ sub: user.id, aud: 'api' });
    const list = await clerk.jwtTemplates.list();
    expect(list.data.map((t) => t.name).sort()).toEqual(['server-token', 'short']);
    expect(list.totalCount).toBe(2);
    expect((await clerk.jwtTemplates.get(created.id)).lifetime).toBe(30);
    const updated = await clerk.jwtTemplates.update({ templateId: created.id, name: 'short', claims: { aud: 'api2' }, lifetime: 45, allowedClockSkew: 0 });
    expect(updated).toMatchObject({ lifetime: 45, allowedClockSkew: 0, claims: { aud: 'api2' } });
    expect(await clerkError(clerk.jwtTemplates.create({ name: 'bad', claims: {}, lifetime: 5 }))).toMatchObject({ status: 422, code: 'form_param_value_invalid' });
    expect((await clerk.jwtTemplates.delete(created.id)).deleted).toBe(true);
    expect(await clerkError(clerk.jwtTemplates.get(created.id))).toMatchObject({ status: 404, code: 'resource_not_found' });
  });

  it('serves the JWKS, testing tokens and deletes users', async () => {
    const res = await fetch(`${emu.url}/v1/jwks`, { headers: { Authorization: `Bearer ${emu.secretKey}` } });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ keys: [{ use: 'sig', kty: 'RSA', kid: emu.currentKey().kid, alg: 'RS256', n: expect.any(String), e: 'AQAB' }] });
    const testing = (await clerk.testingTokens.createTestingToken()) as unknown as { object: string; token: string };
    expect(testing.object).toBe('testing_token');
    const user = await clerk.users.createUser({ emailAddress: ['gone+clerk_test@example.com'] });
    expect((await clerk.users.deleteUser(user.id)).id).toBe(user.id);
    expect(await clerkError(clerk.users.getUser(user.id))).toMatchObject({ status: 404, code: 'resource_not_found' });
  });

  it('answers errors with the codes Clerk uses', async () => {
    const bad = createClerkClient({ secretKey: 'sk_test_wrongwrongwrong', apiUrl: emu.url, telemetry: { disabled: true } });
    expect(await clerkError(bad.users.getCount())).toMatchObject({ status: 401, code: 'clerk_key_invalid' });
    expect(await clerkError(clerk.sessions.getToken('sess_doesnotexist'))).toMatchObject({ status: 404, code: 'resource_not_found' });
    const user = await clerk.users.createUser({ emailAddress: ['err+clerk_test@example.com'] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    expect(await clerkError(clerk.sessions.getToken(session.id, 'no-such-template'))).toMatchObject({ status: 404, code: 'resource_not_found' });
    expect(await clerkError(clerk.sessions.createSession({ userId: 'user_missing' }))).toMatchObject({ status: 404, code: 'resource_not_found' });
    const res = await fetch(`${emu.url}/v1/users/nope`, { headers: { Authorization: `Bearer ${emu.secretKey}` } });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ errors: [{ code: 'resource_not_found', message: expect.any(String), long_message: expect.any(String) }] });
  });

  it('injects 429 with Retry-After and 5xx, then resumes', async () => {
    emu.injectFault({ status: 429, count: 1, retryAfterSeconds: 3 });
    emu.injectFault({ status: 503, count: 1 });
    expect(await clerkError(clerk.users.getCount())).toEqual({ status: 429, code: 'too_many_requests', retryAfter: 3 });
    expect(await clerkError(clerk.users.getCount())).toMatchObject({ status: 503, code: 'internal_clerk_error' });
    expect(await clerk.users.getCount()).toBeGreaterThan(0);
  });

  it('answers the token route with exact wire headers, one Date, on a kept-alive connection', async () => {
    const user = await clerk.users.createUser({ emailAddress: ['wire+clerk_test@example.com'] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const raw = (body?: string) =>
      new Promise<{ status: number; headers: string[]; text: string; reused: boolean }>((resolve, reject) => {
        const req = request(`${emu.url}/v1/sessions/${session.id}/tokens`, {
          method: 'POST',
          agent,
          headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json', ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.rawHeaders, text, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const first = await raw();
      const second = await raw(JSON.stringify({ expires_in_seconds: 120 }));
      for (const r of [first, second]) {
        expect(r.status).toBe(200);
        const names = r.headers.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
        expect(names.filter((h) => h === 'date')).toHaveLength(1);
        const value = (h: string) => r.headers[r.headers.findIndex((x, i) => i % 2 === 0 && x.toLowerCase() === h) + 1];
        expect(value('content-type')).toBe('application/json');
        expect(value('cache-control')).toBe('no-store');
        expect(value('x-clerk-emulator')).toBe('1');
        expect(Math.abs(Date.parse(value('date')) - Date.now())).toBeLessThan(5000);
        expect(Number(value('content-length'))).toBe(Buffer.byteLength(r.text));
        const body = JSON.parse(r.text);
        expect(Object.keys(body)).toEqual(['object', 'jwt']);
        expect(body.object).toBe('token');
      }
      expect(second.reused).toBe(true);
      const claims = decodeJwt(JSON.parse(second.text).jwt);
      expect(claims.exp! - claims.iat!).toBe(120);
    } finally {
      agent.destroy();
    }
  });
});
