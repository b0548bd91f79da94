/**
 * `doctor explain` on real strings: @clerk/backend and jose errors produced here by the libraries
 * themselves, PyJWT / python-jose / FastAPI / fastapi-clerk-auth / seed-app strings verbatim from
 * the failure catalogue (reference §5), tokens built with controlled clocks.
 */
import { verifyToken } from '@clerk/backend';
import { TokenVerificationErrorReason, type TokenVerificationError } from '@clerk/backend/errors';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey as JoseKey } from 'jose';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { explainInput } from '../src/doctor/explain/explain.js';
import { excerptAround, matchMessages } from '../src/doctor/explain/match.js';
import { responseMessages } from '../src/doctor/explain/parse-input.js';
import { renderExplanation } from '../src/doctor/explain/render.js';
import { loadDiagnostics } from '../src/doctor/data.js';
import type { Paint } from '../src/cli/output.js';

const NOW = 1_790_000_000; // fixed "now" (seconds) for every token test
let priv: JoseKey;
let pub: JoseKey;
let otherPriv: JoseKey;
let pem: string;

beforeAll(async () => {
  const kp = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  priv = kp.privateKey;
  pub = kp.publicKey;
  pem = await exportSPKI(kp.publicKey);
  otherPriv = (await generateKeyPair('RS256', { modulusLength: 2048 })).privateKey;
});

/** A Clerk-shaped session token; `claims` overrides (undefined removes a claim). */
async function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: JoseKey = priv): Promise<string> {
  const iat = NOW - 5;
  const base: Record<string, unknown> = { sub: 'user_2abcDEF', sid: 'sess_2abc', iss: 'https://cuddly-cat-11.clerk.accounts.dev', iat, nbf: iat - 10, exp: iat + 60, v: 2, ...claims };
  for (const [k, v] of Object.entries(base)) if (v === undefined) delete base[k];
  return new SignJWT(base).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'ins_2abcDEFghiJKL', ...header } as { alg: string }).sign(key);
}

/** A signed token with exactly these claims (SignJWT checks claim types; a broken issuer does not). */
async function rawToken(claims: Record<string, unknown>): Promise<string> {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'ins_2abcDEFghiJKL' })}.${b64(claims)}`;
  const { createSign, KeyObject } = await import('node:crypto');
  const signature = createSign('RSA-SHA256').update(input).sign(KeyObject.from(priv as unknown as CryptoKey));
  return `${input}.${signature.toString('base64url')}`;
}

/** The message a verifier produced, as a log line would carry it. */
async function clerkError(t: string, options: Record<string, unknown> = {}): Promise<{ reason: string; message: string }> {
  try {
    await verifyToken(t, { jwtKey: pem, ...options });
  } catch (err) {
    const e = err as { reason: string; message: string };
    return { reason: e.reason, message: e.message };
  }
  throw new Error('verifyToken accepted the token');
}

const plainPaint = new Proxy({}, { get: () => (s: string) => s }) as unknown as Paint;
const causesOf = (input: string, now = NOW) => explainInput(input, { nowSeconds: now }).causes.map((c) => c.cause);
const first = (input: string, now = NOW) => explainInput(input, { nowSeconds: now }).causes[0];

describe('explain: @clerk/backend errors (produced by verifyToken itself)', () => {
  const cases: Array<[string, () => Promise<string>, Record<string, unknown>, string]> = [
    ['expired', () => token({ iat: Math.floor(Date.now() / 1000) - 600, nbf: undefined, exp: Math.floor(Date.now() / 1000) - 540 }), {}, 'expired'],
    ['iat in the future', () => token({ iat: Math.floor(Date.now() / 1000) + 120, nbf: undefined, exp: Math.floor(Date.now() / 1000) + 180 }), {}, 'iat-future'],
    ['nbf in the future', () => token({ nbf: Math.floor(Date.now() / 1000) + 120, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 180 }), {}, 'nbf-future'],
    ['foreign signature', () => token({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }, {}, otherPriv), {}, 'signature-invalid'],
    ['no sub', () => token({ sub: undefined, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }), {}, 'sub-missing'],
    ['no exp', () => token({ exp: undefined, iat: Math.floor(Date.now() / 1000) }), {}, 'exp-missing'],
    ['azp not allowed', () => token({ azp: 'https://evil.example', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }), { authorizedParties: ['http://localhost:3000'] }, 'azp-rejected'],
    ['malformed', async () => 'not-a-jwt', {}, 'malformed-token'],
  ];
  for (const [name, make, options, cause] of cases) {
    it(`${name} → ${cause} (message alone, and reason header alone)`, async () => {
      const { reason, message } = await clerkError(await make(), options);
      expect(first(`Error: ${message}`).cause).toBe(cause);
      expect(first(`Error: ${message}`).verifiers).toContain('@clerk/backend');
      // token-verification-failed covers several claims: alone it says only "rejected, reason
      // unreadable"; next to the message, the message decides and the reason is its evidence.
      if (reason !== 'token-verification-failed') expect(first(`x-clerk-auth-reason: ${reason}`).cause, reason).toBe(cause);
      else {
        expect(causesOf(`x-clerk-auth-reason: ${reason}`)).toEqual(['rejected-unknown']);
        const both = explainInput(`HTTP/1.1 401 Unauthorized\nx-clerk-auth-reason: ${reason}\nx-clerk-auth-message: ${message}\n`, { nowSeconds: NOW });
        expect(both.causes.map((c) => c.cause)).toEqual([cause]);
        expect(both.causes[0].evidence).toContain(`"x-clerk-auth-reason: ${reason}"`);
      }
    });
  }

  it('alg HS256 → alg-not-allowed', async () => {
    const hs = await new SignJWT({ sub: 'user_1' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-secret-of-32-bytes-or-more-here!!'));
    const { message } = await clerkError(hs);
    expect(message).toMatch(/Invalid JWT algorithm "HS256"/);
    expect(first(message).cause).toBe('alg-not-allowed');
  });

  it('a full 401 answer: the reason header and the clock in the message are both used', () => {
    const e = explainInput(
      'HTTP/1.1 401 Unauthorized\nx-clerk-auth-reason: token-expired\nx-clerk-auth-message: JWT is expired. Expiry date: Sat, 22 Nov 2025 10:00:00 GMT, Current date: Sat, 22 Nov 2025 10:01:05 GMT.\n\n{"detail":"JWT is expired."}',
    );
    expect(e.kind).toBe('response');
    expect(e.causes[0].cause).toBe('expired');
    expect(e.causes[0].evidence.join('\n')).toMatch(/65 s past the token's exp/);
  });

  it('"Missing Clerk Secret Key" is a missing key (not "env not loaded"); the load-order reading (clerk/javascript #623) is a note', () => {
    const got = first('Error: Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.');
    expect(got.cause).toBe('env-key-missing');
    expect(got.fix).toMatch(/^add CLERK_SECRET_KEY to the env file/);
    expect(got.evidence).toContain('the SDK read its configuration before the env file was loaded (clerk/javascript #623)');
    expect(causesOf('Error: Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.')).not.toContain('env-not-loaded');
  });

  it('a reason header and a message of the same SDK name it once', () => {
    const e = explainInput('HTTP/1.1 401 Unauthorized\nx-clerk-auth-reason: token-invalid-signature\n\n{"detail":"JWT signature is invalid."}');
    expect(e.causes[0].cause).toBe('signature-invalid');
    expect(e.causes[0].verifiers).toEqual(['@clerk/backend']);
    // A catalogue entry naming two verifiers ("PyJWT, python-jose") lists each once, next to another PyJWT entry.
    const py = first('jwt.exceptions.InvalidSignatureError: Signature verification failed');
    expect(py.verifiers).toEqual([...new Set(py.verifiers)]);
  });

  it('exp written as a string ("1795367408"): its own cause, not a malformed token (verifyToken\'s own message, and the token)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stringExp = await rawToken({ sub: 'user_2abcDEF', iss: 'https://cuddly-cat-11.clerk.accounts.dev', iat: now, exp: String(now + 60) });
    const { message } = await clerkError(stringExp);
    expect(message).toMatch(/Invalid JWT expiry date claim \(exp\) "\d+"\. Expected number\./);
    expect(first(message).cause).toBe('time-claim-not-number');
    const e = explainInput(stringExp, { nowSeconds: now });
    expect(e.summary).toMatch(/^a token a correct verifier rejects/);
    expect(e.causes[0]).toMatchObject({ cause: 'time-claim-not-number', severity: 'fail', title: 'the issuer writes exp/iat/nbf as strings; JWT times are numbers (NumericDate)' });
    expect(e.causes[0].evidence[0]).toMatch(/^exp: "exp" is the string "\d+", which would be 20\d\d-/);
    expect(e.causes.map((c) => c.cause)).not.toContain('malformed-token');
    // A missing exp stays exp-missing.
    expect(first('Invalid JWT expiry date claim (exp) undefined. Expected number.').cause).toBe('exp-missing');
  });
});

describe('explain: jose errors (produced by jose itself)', () => {
  async function joseError(run: () => Promise<unknown>): Promise<{ code: string; message: string; name: string }> {
    try {
      await run();
    } catch (err) {
      const e = err as { code: string; message: string; name: string };
      return { code: e.code, message: e.message, name: e.name };
    }
    throw new Error('jose accepted');
  }
  it.each([
    ['expired', async () => jwtVerify(await token(), pub, { currentDate: new Date((NOW + 3600) * 1000) }), 'expired', true],
    ['aud required', async () => jwtVerify(await token(), pub, { currentDate: new Date(NOW * 1000), requiredClaims: ['aud'] }), 'aud-required', false],
    ['aud unexpected', async () => jwtVerify(await token({ aud: 'a' }), pub, { currentDate: new Date(NOW * 1000), audience: 'b' }), 'aud-unexpected', false],
    ['signature', async () => jwtVerify(await token({}, {}, otherPriv), pub, { currentDate: new Date(NOW * 1000) }), 'signature-invalid', true],
    ['alg not allowed', async () => jwtVerify(await token(), pub, { algorithms: ['ES256'] }), 'alg-not-allowed', true],
    ['issuer', async () => jwtVerify(await token(), pub, { currentDate: new Date(NOW * 1000), issuer: 'https://other.clerk.accounts.dev' }), 'issuer-mismatch', false],
    [
      'no matching kid',
      async () => {
        const jwk = await exportJWK((await generateKeyPair('RS256')).publicKey);
        return jwtVerify(await token(), createLocalJWKSet({ keys: [{ ...jwk, kid: 'ins_other', alg: 'RS256' }] }), { currentDate: new Date(NOW * 1000) });
      },
      'kid-mismatch',
      true,
    ],
  ] as const)('%s', async (_name, run, cause, codeDecides) => {
    const { code, message, name } = await joseError(run as () => Promise<unknown>);
    expect(first(`${name}: ${message}`).cause).toBe(cause);
    expect(first(`${name}: ${message}`).verifiers).toContain('jose');
    // ERR_JWT_CLAIM_VALIDATION_FAILED covers several claims: there the message decides.
    if (codeDecides) expect(first(`error code ${code}`).cause).toBe(cause);
    else expect(code).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
});

describe('explain: PyJWT, python-jose, FastAPI, fastapi-clerk-auth and seed-app strings (verbatim)', () => {
  const table: Array<[string, string, string]> = [
    ['jwt.exceptions.ExpiredSignatureError: Signature has expired', 'expired', 'PyJWT'],
    ['jose.exceptions.ExpiredSignatureError: Signature has expired.', 'expired', 'python-jose'],
    ['jwt.exceptions.InvalidSignatureError: Signature verification failed', 'signature-invalid', 'PyJWT'],
    ['jose.exceptions.JWTError: Signature verification failed.', 'signature-invalid', 'python-jose'],
    ['jwt.exceptions.ImmatureSignatureError: The token is not yet valid (iat)', 'iat-future', 'PyJWT'],
    ['ImmatureSignatureError: The token is not yet valid (nbf)', 'nbf-future', 'PyJWT, python-jose'],
    ['jwt.exceptions.MissingRequiredClaimError: Token is missing the "aud" claim', 'aud-required', 'PyJWT'],
    ['jwt.exceptions.InvalidAudienceError: Invalid audience', 'aud-unexpected', 'PyJWT, python-jose'],
    ['jwt.exceptions.InvalidIssuerError: Invalid issuer', 'issuer-mismatch', 'PyJWT, python-jose'],
    ['jwt.exceptions.DecodeError: Not enough segments', 'malformed-token', 'PyJWT, python-jose'],
    ['jwt.exceptions.InvalidAlgorithmError: The specified alg value is not allowed', 'alg-not-allowed', 'PyJWT, python-jose'],
    ['jwt.exceptions.InvalidKeyError: Could not parse the provided public key.', 'pem-unparsable', 'PyJWT'],
    ['jwt.exceptions.PyJWKClientError: Unable to find a signing key that matches: "ins_2xyz"', 'kid-mismatch', 'PyJWT (PyJWKClient)'],
    ['jwt.exceptions.DecodeError: It is required that you pass in a value for the "algorithms" argument when calling decode().', 'algorithms-missing', 'PyJWT'],
    ['HTTP/1.1 403 Forbidden\ncontent-type: application/json\n\n{"detail":"Not authenticated"}', 'forbid-missing-header', 'FastAPI HTTPBearer < 0.122'],
    ['HTTP/1.1 401 Unauthorized\nwww-authenticate: Bearer\n\n{"detail":"Not authenticated"}', 'missing-authorization', 'FastAPI HTTPBearer >= 0.122'],
    ['HTTP/1.1 403 Forbidden\n\n{"detail":"Invalid Authentication Credentials"}', 'cause-hidden', 'fastapi-clerk-auth'],
    ['HTTP/1.1 403 Forbidden\n\n{"detail":"Not Authenticated"}', 'forbid-missing-header', 'fastapi-clerk-auth'],
    ['HTTP/1.1 500 Internal Server Error\n\n{"detail":"CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)"}', 'env-not-loaded', 'seed FastAPI app'],
    ['{"detail":"Token validation failed: Token is missing the \\"aud\\" claim"}', 'aud-required', 'PyJWT'],
    ['{"detail":"Token expired"}', 'expired', 'seed FastAPI app'],
    ['401 Unauthorized: {"detail":"Invalid token signature"}', 'signature-invalid', 'seed FastAPI app'],
    ["JWT missing 'email' claim", 'email-required', 'seed FastAPI app'],
    ['Token is invalid and could not be verified.', 'signature-invalid', 'clerk-backend-api (Python)'],
  ];
  it.each(table)('%s', (input, cause, verifier) => {
    const got = first(input);
    expect(got.cause).toBe(cause);
    expect(got.verifiers.join(', ')).toContain(verifier);
  });

  it('FastAPI\'s "Not authenticated" without a status line: the two readings as alternatives, not two certain causes', () => {
    const e = explainInput('{"detail":"Not authenticated"}');
    expect(e.causes.map((c) => c.cause).sort()).toEqual(['forbid-missing-header', 'missing-authorization']);
    expect(e.causes.every((c) => c.severity === 'warn')).toBe(true);
    const forbid = e.causes.find((c) => c.cause === 'forbid-missing-header')!;
    expect(forbid.evidence[0]).toMatch(/^either this, if the answer was 403, or "the request carried no Authorization header" if it was 401/);
    expect(e.summary).toMatch(/either of 2 readings, depending on the HTTP status/);
    // With the status known, one cause and it is certain.
    expect(explainInput('HTTP/1.1 401 Unauthorized\n\n{"detail":"Not authenticated"}').causes.map((c) => [c.cause, c.severity])).toEqual([['missing-authorization', 'fail']]);
  });

  it('Starlette\'s default 500 body "Internal Server Error" → an unhandled exception: check the log, run doctor', () => {
    const e = explainInput('Internal Server Error');
    expect(e.recognised).toBe(true);
    expect(e.causes[0].cause).toBe('server-exception');
    expect(e.causes[0].fix).toMatch(/check the server's log .*run `clerk-harness doctor` for the env checks/);
    expect(first('HTTP/1.1 500 Internal Server Error\ncontent-type: text/plain\n\nInternal Server Error').cause).toBe('server-exception');
  });

  it('matched text is cut on word boundaries', () => {
    const e = first('jwt.exceptions.ExpiredSignatureError: Signature has expired');
    expect(e.evidence[0]).toBe('"jwt.exceptions.ExpiredSignatureError: Signature has expired"');
    const long = `${'prefix '.repeat(10)}averyveryveryveryveryveryveryverylongwordwithoutanyspaces Signature has expired and then a lot of words follow after the match here`;
    const cut = excerptAround(long, long.indexOf('Signature'), 'Signature has expired'.length);
    const words = new Set(long.split(/\s+/));
    for (const w of cut.replace(/…/g, '').trim().split(/\s+/)) expect(words.has(w), `"${w}" is a whole word`).toBe(true);
    expect(cut).toMatch(/Signature has expired/);
  });

  it('a bare status line lists the usual causes as warnings', () => {
    const e = explainInput('HTTP/1.1 403 Forbidden');
    expect(e.kind).toBe('status');
    expect(e.causes.map((c) => c.cause)).toEqual(['forbid-missing-header', 'cause-hidden']);
    expect(e.causes.every((c) => c.severity === 'warn')).toBe(true);
  });

  it('does not pretend to know what it does not', () => {
    const e = explainInput('the weather is nice today');
    expect(e.recognised).toBe(false);
    expect(e.causes).toEqual([]);
  });
});

describe('explain: tokens (decoded, never verified; the claim at fault is named)', () => {
  it('expired: by how much, with lifetime and age', async () => {
    const t = await token({ iat: NOW - 185, nbf: NOW - 195, exp: NOW - 125 });
    const e = explainInput(t, { nowSeconds: NOW });
    expect(e.kind).toBe('token');
    expect(e.causes[0].cause).toBe('expired');
    expect(e.causes[0].evidence[0]).toMatch(/^exp: expired 125 s ago .*lifetime 60 s, issued 185 s ago/);
  });

  it('iat and nbf in the future', async () => {
    const t = await token({ iat: NOW + 30, nbf: NOW + 20, exp: NOW + 90 });
    expect(causesOf(t)).toEqual(expect.arrayContaining(['iat-future', 'nbf-future']));
    expect(first(t).evidence[0]).toMatch(/30 s in the future|another 20 s/);
  });

  it('no sub, no exp', async () => {
    const t = await token({ sub: undefined, exp: undefined });
    expect(causesOf(t)).toEqual(expect.arrayContaining(['sub-missing', 'exp-missing']));
  });

  it('alg none (any spelling) and HS256', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'nOnE', typ: 'JWT' })}.${b64({ sub: 'user_1', exp: NOW + 60, iat: NOW })}.`;
    expect(first(none).cause).toBe('alg-not-allowed');
    expect(first(none).evidence[0]).toMatch(/alg is "nOnE": the token is unsigned/);
    const hs = await new SignJWT({ sub: 'user_1', exp: NOW + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(pem));
    expect(first(hs).cause).toBe('alg-not-allowed');
    expect(first(hs).evidence[0]).toMatch(/key-confusion/);
  });

  it('aud present is a warning, aud/azp/email absent are notes; a good token is recognised with no failure', async () => {
    const withAud = explainInput(await token({ aud: 'my-api' }), { nowSeconds: NOW });
    expect(withAud.causes.find((c) => c.cause === 'aud-unexpected')?.severity).toBe('warn');
    const good = explainInput(await token(), { nowSeconds: NOW });
    expect(good.recognised).toBe(true);
    expect(good.causes.filter((c) => c.severity === 'fail')).toEqual([]);
    expect(good.summary).toMatch(/valid right now/);
    expect(good.notes.join('\n')).toMatch(/no "aud".*\n?[\s\S]*no "azp"[\s\S]*no "email"/);
    expect(good.notes.join('\n')).toMatch(/signed by instance key ins_2abcDEFghiJKL/);
  });

  it('a truncated token is malformed; a token after "Bearer " is found', async () => {
    const t = await token();
    expect(first(t.split('.').slice(0, 2).join('.')).cause).toBe('malformed-token');
    expect(explainInput(`Authorization: Bearer ${t}`, { nowSeconds: NOW }).kind).toBe('token');
  });

  it('a secret or publishable key where a token belongs is named, never echoed', () => {
    const sk = 'sk_test_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const e = explainInput(`Bearer ${sk}`);
    expect(e.kind).toBe('secret-key');
    expect(e.causes[0].cause).toBe('key-as-bearer');
    expect(JSON.stringify(e)).not.toContain(sk);
    expect(explainInput('pk_test_Y3VkZGx5LWNhdC0xMS5jbGVyay5hY2NvdW50cy5kZXYk').kind).toBe('publishable-key');
  });
});

describe('doctor explain through the CLI (in-process)', () => {
  function capture() {
    let text = '';
    const stream = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb(); } });
    return { stream, text: () => text };
  }

  it('prints the cause and fix, exit 0; unknown input exit 1; --json has the documented shape; tokens never printed', async () => {
    const out = capture();
    const err = capture();
    const code = await main(['doctor', 'explain', 'jwt.exceptions.ImmatureSignatureError: The token is not yet valid (iat)'], { stdout: out.stream, stderr: err.stream, env: { NO_COLOR: '1' } });
    expect(code).toBe(0);
    expect(out.text()).toMatch(/✗ the server clock is behind Clerk's, so fresh tokens look issued in the future \(iat\)\n\s+• said by PyJWT/);
    expect(out.text()).toMatch(/fix: sync the server clock/);

    const unknown = capture();
    expect(await main(['doctor', 'explain', 'hello there'], { stdout: unknown.stream, stderr: err.stream, env: { NO_COLOR: '1' } })).toBe(1);
    expect(unknown.text()).toMatch(/does not recognise/);

    const t = await token({ iat: NOW - 185, nbf: NOW - 195, exp: NOW - 125 });
    const json = capture();
    expect(await main(['doctor', 'explain', '--json', t], { stdout: json.stream, stderr: err.stream, env: {} })).toBe(0);
    const parsed = JSON.parse(json.text());
    expect(Object.keys(parsed).sort()).toEqual(['causes', 'kind', 'notes', 'recognised', 'summary', 'token']);
    expect(parsed.causes[0]).toMatchObject({ cause: 'expired', severity: 'fail' });
    expect(json.text()).not.toContain(t);
    expect(err.text()).toBe('');
  });
});

describe('explain on absurd claim values', () => {
  it('does not crash on times beyond what a Date can show', () => {
    const seg = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const exp of ['99999999999999999999', 1e20]) {
      const token = `${seg({ alg: 'RS256', typ: 'JWT', kid: 'ins_x' })}.${seg({ sub: 'user_abc', iat: 1e20, exp })}.c2ln`;
      const e = explainInput(token, { nowSeconds: NOW });
      expect(e.recognised).toBe(true);
      expect(JSON.stringify(e)).toMatch(/out of range/);
    }
  });
});

/**
 * Issue 9: every verifier message the catalogue knows, as the library itself writes it. Each row:
 * the input as a log line would carry it, the cause, the file the string was copied from, and the
 * literal as it stands in that file (dynamic parts cut), checked against the file when it is on
 * this machine - so a row cannot drift from its source.
 */
const PYJWT = '/usr/lib/python3/dist-packages/jwt'; // PyJWT 2.6.0
const CRYPTOGRAPHY = '/usr/lib/python3/dist-packages/cryptography/hazmat/backends/openssl/backend.py'; // cryptography 38.0.4
const FASTAPI = '/usr/lib/python3/dist-packages/fastapi/security/http.py'; // FastAPI 0.92.0
const REFERENCE = '/work/shared/reference/failure-catalogue-and-anchors.md'; // python-jose 3.5, newer PyJWT, fastapi-clerk-auth, clerk-backend-api
const CLERK_BACKEND = 'node_modules/@clerk/backend/dist'; // @clerk/backend 3.25.0 (src/jwt/*, src/tokens/*)
const CLERK_SHARED = 'node_modules/@clerk/shared/dist/keys.mjs'; // parsePublishableKey, used by @clerk/backend and @clerk/express
const CLERK_EXPRESS = 'node_modules/@clerk/express/dist/index.mjs';
const JOSE = 'node_modules/jose/dist/webapi'; // jose 6.2.17

type Row = [input: string, cause: string, source: string, literal: string];
const VERIFIER_STRINGS: Row[] = [
  // ---- PyJWT 2.6.0 (jwt/api_jws.py, api_jwt.py, algorithms.py, exceptions.py, jwks_client.py)
  ['jwt.exceptions.DecodeError: Not enough segments', 'malformed-token', `${PYJWT}/api_jws.py`, 'Not enough segments'],
  ['jwt.exceptions.DecodeError: Invalid header padding', 'malformed-token', `${PYJWT}/api_jws.py`, 'Invalid header padding'],
  ['jwt.exceptions.DecodeError: Invalid header string: must be a json object', 'malformed-token', `${PYJWT}/api_jws.py`, 'Invalid header string: must be a json object'],
  ['jwt.exceptions.DecodeError: Invalid payload string: must be a json object', 'malformed-token', `${PYJWT}/api_jwt.py`, 'Invalid payload string: must be a json object'],
  ['jwt.exceptions.DecodeError: Invalid crypto padding', 'malformed-token', `${PYJWT}/api_jws.py`, 'Invalid crypto padding'],
  ['jwt.exceptions.DecodeError: It is required that you pass in a value for the "algorithms" argument when calling decode().', 'algorithms-missing', `${PYJWT}/api_jwt.py`, 'It is required that you pass in a value for the "algorithms" argument when calling decode().'],
  ['jwt.exceptions.InvalidAlgorithmError: The specified alg value is not allowed', 'alg-not-allowed', `${PYJWT}/api_jws.py`, 'The specified alg value is not allowed'],
  ['jwt.exceptions.InvalidAlgorithmError: Algorithm not supported', 'alg-not-allowed', `${PYJWT}/api_jws.py`, 'raise InvalidAlgorithmError("Algorithm not supported")'],
  ['jwt.exceptions.InvalidKeyError: The specified key is an asymmetric key or x509 certificate and should not be used as an HMAC secret.', 'alg-not-allowed', `${PYJWT}/algorithms.py`, 'should not be used as an HMAC secret.'],
  ['TypeError: Expecting a PEM-formatted key.', 'verifier-key-missing', `${PYJWT}/algorithms.py`, 'raise TypeError("Expecting a PEM-formatted key.")'],
  ['jwt.exceptions.InvalidSignatureError: Signature verification failed', 'signature-invalid', `${PYJWT}/api_jws.py`, 'InvalidSignatureError("Signature verification failed")'],
  ['jwt.exceptions.ExpiredSignatureError: Signature has expired', 'expired', `${PYJWT}/api_jwt.py`, 'ExpiredSignatureError("Signature has expired")'],
  ['jwt.exceptions.ImmatureSignatureError: The token is not yet valid (nbf)', 'nbf-future', `${PYJWT}/api_jwt.py`, 'The token is not yet valid (nbf)'],
  ['jwt.exceptions.ImmatureSignatureError: The token is not yet valid (iat)', 'iat-future', `${PYJWT}/api_jwt.py`, 'The token is not yet valid (iat)'],
  ['jwt.exceptions.InvalidIssuedAtError: Issued At claim (iat) must be an integer.', 'time-claim-not-number', `${PYJWT}/api_jwt.py`, 'Issued At claim (iat) must be an integer.'],
  ['jwt.exceptions.DecodeError: Expiration Time claim (exp) must be an integer.', 'time-claim-not-number', `${PYJWT}/api_jwt.py`, 'Expiration Time claim (exp) must be an integer.'],
  ['jwt.exceptions.DecodeError: Not Before claim (nbf) must be an integer.', 'time-claim-not-number', `${PYJWT}/api_jwt.py`, 'Not Before claim (nbf) must be an integer.'],
  ['jwt.exceptions.MissingRequiredClaimError: Token is missing the "aud" claim', 'aud-required', `${PYJWT}/exceptions.py`, 'Token is missing the "{self.claim}" claim'],
  ['jwt.exceptions.MissingRequiredClaimError: Token is missing the "exp" claim', 'exp-missing', `${PYJWT}/exceptions.py`, 'Token is missing the "{self.claim}" claim'],
  ['jwt.exceptions.MissingRequiredClaimError: Token is missing the "iss" claim', 'issuer-mismatch', `${PYJWT}/exceptions.py`, 'Token is missing the "{self.claim}" claim'],
  ['jwt.exceptions.MissingRequiredClaimError: Token is missing the "sub" claim', 'sub-missing', `${PYJWT}/exceptions.py`, 'Token is missing the "{self.claim}" claim'],
  ['jwt.exceptions.InvalidAudienceError: Invalid audience', 'aud-unexpected', `${PYJWT}/api_jwt.py`, 'InvalidAudienceError("Invalid audience")'],
  ['jwt.exceptions.InvalidIssuerError: Invalid issuer', 'issuer-mismatch', `${PYJWT}/api_jwt.py`, 'InvalidIssuerError("Invalid issuer")'],
  ['jwt.exceptions.PyJWKClientError: Unable to find a signing key that matches: "ins_2xyz"', 'kid-mismatch', `${PYJWT}/jwks_client.py`, 'Unable to find a signing key that matches: '],
  ['jwt.exceptions.PyJWKClientError: The JWKS endpoint did not contain any signing keys', 'jwks-unreachable', `${PYJWT}/jwks_client.py`, 'The JWKS endpoint did not contain any signing keys'],
  ['jwt.exceptions.PyJWKClientConnectionError: Fail to fetch data from the url, err: "<urlopen error [Errno 111] Connection refused>"', 'jwks-unreachable', `${PYJWT}/jwks_client.py`, 'Fail to fetch data from the url, err: '],
  // ---- PyJWT after 2.6 (reference §5.1; not in the installed 2.6.0)
  ['jwt.exceptions.InvalidKeyError: Could not parse the provided public key.', 'pem-unparsable', REFERENCE, 'Could not parse the provided public key.'],
  ['jwt.exceptions.InvalidAlgorithmError: Algorithm not specified', 'alg-not-allowed', REFERENCE, 'Algorithm not specified'],
  ["jwt.exceptions.InvalidAudienceError: Audience doesn't match", 'aud-unexpected', REFERENCE, "Audience doesn't match"],
  ['jwt.exceptions.InvalidSubjectError: Subject must be a string', 'sub-missing', REFERENCE, 'Subject must be a string'],
  // ---- cryptography 38 (hazmat/backends/openssl/backend.py _handle_key_loading_error), as PyJWT 2.6 lets it through
  [
    "ValueError: ('Could not deserialize key data. The data may be in an incorrect format, it may be encrypted with an unsupported algorithm, or it may be an unsupported key type (e.g. EC curves with explicit parameters).', [_OpenSSLErrorWithText(code=75497580, lib=9, reason=108, reason_text=b'error:0480006C:PEM routines::no start line')])",
    'pem-unparsable', CRYPTOGRAPHY, 'or it may be an unsupported key type (e.g. EC',
  ],
  [
    "ValueError: ('Could not deserialize key data. The data may be in an incorrect format, it may be encrypted with an unsupported algorithm, or it may be an unsupported key type (e.g. EC curves with explicit parameters).', [<OpenSSLError(code=151584876, lib=9, func=108, reason=108, reason_text=b'error:0909006C:PEM routines:get_name:no start line')>])",
    'pem-unparsable', CRYPTOGRAPHY, 'Could not deserialize key data. The data may be in an ',
  ],
  ['ValueError: Could not deserialize key data. The data may be in an incorrect format or it may be encrypted with an unsupported algorithm.', 'pem-unparsable', CRYPTOGRAPHY, 'incorrect format or it may be encrypted with an unsupported '],
  ["[<OpenSSLError(code=151584876, lib=9, func=108, reason=108, reason_text=b'error:0909006C:PEM routines:get_name:no start line')>]", 'pem-unparsable', REFERENCE, ''],
  // ---- python-jose 3.5 (reference §5.2; not installed)
  ['jose.exceptions.JWTError: Not enough segments', 'malformed-token', REFERENCE, 'Not enough segments'],
  ['jose.exceptions.JWTError: Error decoding token headers.', 'malformed-token', REFERENCE, 'Error decoding token headers.'],
  ['jose.exceptions.JWTError: The specified alg value is not allowed', 'alg-not-allowed', REFERENCE, 'The specified alg value is not allowed'],
  ['jose.exceptions.JWTError: No algorithm was specified in the JWS header.', 'alg-not-allowed', REFERENCE, 'No algorithm was specified in the JWS header.'],
  ['jose.exceptions.JWTError: Signature verification failed.', 'signature-invalid', REFERENCE, 'Signature verification failed.'],
  ['jose.exceptions.ExpiredSignatureError: Signature has expired.', 'expired', REFERENCE, 'Signature has expired.'],
  ['jose.exceptions.JWTClaimsError: The token is not yet valid (nbf)', 'nbf-future', REFERENCE, 'The token is not yet valid (nbf)'],
  ['jose.exceptions.JWTClaimsError: Invalid audience', 'aud-unexpected', REFERENCE, 'Invalid audience'],
  ['jose.exceptions.JWTClaimsError: Invalid issuer', 'issuer-mismatch', REFERENCE, 'Invalid issuer'],
  ['jose.exceptions.JWTClaimsError: Subject must be a string.', 'sub-missing', REFERENCE, 'Subject must be a string.'],
  // ---- @clerk/backend 3.25.0 (dist/*.mjs; src/jwt/assertions.ts, verifyJwt.ts, tokens/keys.ts, request.ts)
  ['Invalid JWT form. A JWT consists of three parts separated by dots.', 'malformed-token', CLERK_BACKEND, 'Invalid JWT form. A JWT consists of three parts separated by dots.'],
  ['Invalid JWT form. The header, payload, or signature could not be decoded.', 'malformed-token', CLERK_BACKEND, 'Invalid JWT form. The header, payload, or signature could not be decoded.'],
  ['Invalid JWT type "at+jwt". Expected "JWT".', 'token-type-mismatch', CLERK_BACKEND, 'Invalid JWT type ${JSON.stringify(typ)}. Expected "${allowed.join(", ")}".'],
  ['Invalid session token category.', 'token-type-mismatch', CLERK_BACKEND, 'Invalid session token category.'],
  ['Invalid JWT algorithm "HS256". Supported: RS256,RS384,RS512.', 'alg-not-allowed', CLERK_BACKEND, 'Invalid JWT algorithm ${JSON.stringify(alg)}. Supported: ${algs}.'],
  ['JWT signature is invalid.', 'signature-invalid', CLERK_BACKEND, 'JWT signature is invalid.'],
  ['Handshake signature is invalid.', 'signature-invalid', CLERK_BACKEND, 'Handshake signature is invalid.'],
  ['Error verifying JWT signature. Error: JWK "alg" does not match the requested algorithm', 'alg-not-allowed', CLERK_BACKEND, 'Error verifying JWT signature. ${signatureErrors[0]}'],
  ['Error verifying JWT signature. Error: Invalid keyData', 'pem-unparsable', CLERK_BACKEND, 'Error verifying JWT signature. ${signatureErrors[0]}'],
  ['Subject claim (sub) is required and must be a string. Received undefined.', 'sub-missing', CLERK_BACKEND, 'Subject claim (sub) is required and must be a string. Received ${JSON.stringify(sub)}.'],
  ['Invalid JWT audience claim (aud) "a". Is not included in "["b"]".', 'aud-unexpected', CLERK_BACKEND, 'Invalid JWT audience claim (aud) ${JSON.stringify(aud)}. Is not included in "'],
  ['Invalid JWT audience claim array (aud) ["a"]. Is not included in "["b"]".', 'aud-unexpected', CLERK_BACKEND, 'Invalid JWT audience claim array (aud) ${JSON.stringify(aud)}. Is not included in "'],
  ['Invalid JWT Authorized party claim (azp) "https://evil.example". Expected "http://localhost:3000".', 'azp-rejected', CLERK_BACKEND, 'Invalid JWT Authorized party claim (azp) ${JSON.stringify(azp)}. Expected "${authorizedParties}".'],
  ['Invalid JWT issuer claim (iss) "https://a.clerk.accounts.dev". Expected "https://b.clerk.accounts.dev".', 'issuer-mismatch', CLERK_BACKEND, 'Invalid JWT issuer claim (iss) ${JSON.stringify(iss)}. Expected "${issuerList}".'],
  ['Invalid JWT expiry date claim (exp) undefined. Expected number.', 'exp-missing', CLERK_BACKEND, 'Invalid JWT expiry date claim (exp) ${JSON.stringify(exp)}. Expected number.'],
  ['Invalid JWT expiry date claim (exp) "1795367408". Expected number.', 'time-claim-not-number', CLERK_BACKEND, 'Invalid JWT expiry date claim (exp) ${JSON.stringify(exp)}. Expected number.'],
  ['Invalid JWT not before date claim (nbf) "1795367408". Expected number.', 'time-claim-not-number', CLERK_BACKEND, 'Invalid JWT not before date claim (nbf) ${JSON.stringify(nbf)}. Expected number.'],
  ['Invalid JWT issued at date claim (iat) null. Expected number.', 'time-claim-not-number', CLERK_BACKEND, 'Invalid JWT issued at date claim (iat) ${JSON.stringify(iat)}. Expected number.'],
  ['JWT is expired. Expiry date: Sat, 22 Nov 2025 10:00:00 GMT, Current date: Sat, 22 Nov 2025 10:01:05 GMT.', 'expired', CLERK_BACKEND, 'JWT is expired. Expiry date: ${expiryDate.toUTCString()}, Current date: ${currentDate.toUTCString()}.'],
  ['JWT cannot be used prior to not before date claim (nbf). Not before date: Sat, 22 Nov 2025 10:00:00 GMT; Current date: Sat, 22 Nov 2025 09:59:00 GMT;', 'nbf-future', CLERK_BACKEND, 'JWT cannot be used prior to not before date claim (nbf). Not before date: '],
  ['JWT issued at date claim (iat) is in the future. Issued at date: Sat, 22 Nov 2025 10:00:00 GMT; Current date: Sat, 22 Nov 2025 09:59:00 GMT;', 'iat-future', CLERK_BACKEND, 'JWT issued at date claim (iat) is in the future. Issued at date: '],
  ['Missing local JWK.', 'verifier-key-missing', CLERK_BACKEND, 'Missing local JWK.'],
  ['Failed to resolve JWK during verification.', 'verifier-key-missing', CLERK_BACKEND, 'Failed to resolve JWK during verification.'],
  ['Failed to load JWKS from Clerk Backend or Frontend API.', 'jwks-unreachable', CLERK_BACKEND, 'Failed to load JWKS from Clerk Backend or Frontend API.'],
  ['The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.', 'jwks-unreachable', CLERK_BACKEND, 'The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.'],
  ['Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=401', 'backend-secret-key-rejected', CLERK_BACKEND, 'Error loading Clerk JWKS from ${url.href} with code=${response.status}'],
  ['Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=503', 'jwks-unreachable', CLERK_BACKEND, 'Error loading Clerk JWKS from ${url.href} with code=${response.status}'],
  ['Missing Clerk Secret Key or API Key. Go to https://dashboard.clerk.com and get your key for your instance.', 'env-key-missing', CLERK_BACKEND, 'Missing Clerk Secret Key or API Key. Go to https://dashboard.clerk.com and get your key for your instance.'],
  ['Error: Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.', 'env-key-missing', CLERK_BACKEND, 'Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.'],
  [
    "Unable to find a signing key in JWKS that matches the kid='ins_2other' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.",
    'kid-mismatch', CLERK_BACKEND, 'Unable to find a signing key in JWKS that matches the kid=',
  ],
  // ---- @clerk/shared parsePublishableKey (thrown by @clerk/backend and @clerk/express)
  ['Error: Publishable key not valid (expected format: pk_test_... or pk_live_...).', 'env-malformed', CLERK_SHARED, 'Publishable key not valid (expected format: pk_test_... or pk_live_...).'],
  ['Error: Publishable key not valid: Failed to decode key.', 'env-malformed', CLERK_SHARED, 'Publishable key not valid: Failed to decode key.'],
  ['Error: Publishable key not valid: Decoded key has invalid format.', 'env-malformed', CLERK_SHARED, 'Publishable key not valid: Decoded key has invalid format.'],
  ['Error: Publishable key is missing.', 'env-key-missing', CLERK_SHARED, 'Publishable key is missing.'],
  // ---- @clerk/express 2.1.70
  ['Error: 🔒 Clerk: The "clerkMiddleware" should be registered before using "getAuth".', 'middleware-missing', CLERK_EXPRESS, 'The "clerkMiddleware" should be registered before using "${fnName}".'],
  // ---- jose 6.2.17 (dist/webapi/util/errors.js, lib/jwt_claims_set.js, lib/key.js, jws/flattened/verify.js)
  ['JWSInvalid: Invalid Compact JWS', 'malformed-token', JOSE, 'Invalid Compact JWS'],
  ['JWTInvalid: JWT Claims Set must be a top-level JSON object', 'malformed-token', JOSE, 'JWT Claims Set must be a top-level JSON object'],
  ['JOSEAlgNotAllowed: "alg" (Algorithm) Header Parameter value not allowed', 'alg-not-allowed', JOSE, '"alg" (Algorithm) Header Parameter value not allowed'],
  ['JWSInvalid: JWS "alg" (Algorithm) Header Parameter missing or invalid', 'alg-not-allowed', JOSE, 'JWS "alg" (Algorithm) Header Parameter missing or invalid'],
  ['TypeError: CryptoKey does not support this operation, its algorithm.hash must be SHA-512', 'alg-not-allowed', JOSE, 'CryptoKey does not support this operation, its ${prop} must be ${name}'],
  ['TypeError: Invalid key for this operation, its "alg" must be "RS512" when present', 'alg-not-allowed', JOSE, 'Invalid key for this operation, its "alg" must be "${alg}" when present'],
  ['JWSSignatureVerificationFailed: signature verification failed', 'signature-invalid', JOSE, 'signature verification failed'],
  ['JWTExpired: "exp" claim timestamp check failed', 'expired', JOSE, '"exp" claim timestamp check failed'],
  ['JWTClaimValidationFailed: "nbf" claim timestamp check failed', 'nbf-future', JOSE, '"nbf" claim timestamp check failed'],
  ['JWTClaimValidationFailed: "iat" claim timestamp check failed (it should be in the past)', 'iat-future', JOSE, '"iat" claim timestamp check failed (it should be in the past)'],
  ['JWTClaimValidationFailed: missing required "aud" claim', 'aud-required', JOSE, 'missing required "${claim}" claim'],
  ['JWTClaimValidationFailed: missing required "exp" claim', 'exp-missing', JOSE, 'missing required "${claim}" claim'],
  ['JWTClaimValidationFailed: missing required "sub" claim', 'sub-missing', JOSE, 'missing required "${claim}" claim'],
  ['JWTClaimValidationFailed: unexpected "aud" claim value', 'aud-unexpected', JOSE, 'unexpected "${claim}" claim value'],
  ['JWTClaimValidationFailed: unexpected "iss" claim value', 'issuer-mismatch', JOSE, 'unexpected "${claim}" claim value'],
  ['JWTClaimValidationFailed: unexpected "typ" JWT header value', 'token-type-mismatch', JOSE, 'unexpected "typ" JWT header value'],
  ['JWTClaimValidationFailed: "exp" claim must be a number', 'time-claim-not-number', JOSE, '"${claim}" claim must be a number'],
  ['JWKSNoMatchingKey: no applicable key found in the JSON Web Key Set', 'kid-mismatch', JOSE, 'no applicable key found in the JSON Web Key Set'],
  // ---- FastAPI 0.92.0 HTTPBearer (fastapi/security/http.py): 403 before 0.122
  ['HTTP/1.1 403 Forbidden\n\n{"detail":"Not authenticated"}', 'forbid-missing-header', FASTAPI, 'detail="Not authenticated"'],
  ['HTTP/1.1 403 Forbidden\n\n{"detail":"Invalid authentication credentials"}', 'malformed-token', FASTAPI, 'detail="Invalid authentication credentials"'],
  ['HTTP/1.1 401 Unauthorized\nwww-authenticate: Bearer\n\n{"detail":"Not authenticated"}', 'missing-authorization', REFERENCE, 'both → **401** `{"detail":"Not authenticated"}`'],
  // ---- fastapi-clerk-auth (reference §5.6; not installed)
  ['HTTP/1.1 403 Forbidden\n\n{"detail":"Invalid Authentication Credentials"}', 'cause-hidden', REFERENCE, '"Invalid Authentication Credentials"'],
  ['HTTP/1.1 403 Forbidden\n\n{"detail":"Not Authenticated"}', 'forbid-missing-header', REFERENCE, '"Not Authenticated"'],
  // ---- clerk-backend-api, Python (reference §5.4)
  ['Token has expired and is no longer valid.', 'expired', REFERENCE, 'Token has expired and is no longer valid.'],
  ['Token is invalid and could not be verified.', 'signature-invalid', REFERENCE, 'Token is invalid and could not be verified.'],
  ['Token audience claim (aud) does not match one of the expected audience values.', 'aud-unexpected', REFERENCE, 'Token audience claim (aud) does not match one of the expected audience values.'],
  ['Token is not yet valid. Not Before claim (nbf) is in the future.', 'nbf-future', REFERENCE, 'Token is not yet valid. Not Before claim (nbf) is in the future.'],
  ['Failed to resolve JWK. Public Key is not in the proper format.', 'pem-unparsable', REFERENCE, 'Failed to resolve JWK. Public Key is not in the proper format.'],
  ['Could not retrieve session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT', 'missing-authorization', REFERENCE, 'Could not retrieve session token.'],
];

/** The text of a cited source: a file, or every .js/.mjs/.py file directly in a folder. */
function sourceText(source: string): string | undefined {
  if (!existsSync(source)) return undefined;
  if (!statSync(source).isDirectory()) return readFileSync(source, 'utf8');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(m?js|py)$/.test(e.name)) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(source);
  return out.join('\n');
}

describe('explain: every verifier string the catalogue knows, copied from the library (issue 9)', () => {
  const sources = new Map<string, string | undefined>();
  const text = (s: string) => {
    if (!sources.has(s)) sources.set(s, sourceText(s));
    return sources.get(s);
  };
  it.each(VERIFIER_STRINGS)('%s → %s', (input, cause, source, literal) => {
    const e = explainInput(input, { nowSeconds: NOW });
    expect(e.recognised).toBe(true);
    expect(e.causes[0]?.cause).toBe(cause);
    // One cause per string: a message that means one thing does not list a second, wrong one.
    expect(e.causes.filter((c) => c.severity === 'fail').map((c) => c.cause)).toEqual([cause]);
    const src = text(source);
    // Python and Markdown sources wrap long strings over lines: compare with whitespace folded.
    const fold = (x: string) => x.replace(/"\s+"/g, '').replace(/\s+/g, ' ');
    if (src !== undefined && literal) expect(fold(src), `${source} holds ${literal}`).toContain(fold(literal));
  });

  it('the cited sources are present here (the table is checked against them, not just typed in)', () => {
    for (const s of [CLERK_BACKEND, CLERK_SHARED, JOSE]) expect(text(s), s).toBeDefined();
  });

  it('every message rule in messages.yaml is exercised by a row of the table', () => {
    const { catalogue } = loadDiagnostics();
    const inputs = VERIFIER_STRINGS.map((r) => r[0]);
    const extra = [
      // seed app and Starlette rules, tested in the block above
      'CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)', "JWT missing 'email' claim", '{"detail":[{"loc":["body","email"],"msg":"Field required","type":"missing"}]}', 'Token expired', 'Invalid token signature', 'Internal Server Error',
      'DataError: JWK "alg" does not match the requested algorithm',
    ];
    const unused = catalogue.messages.filter((rule) => ![...inputs, ...extra].some((t) => rule.pattern.test(t))).map((r) => `${r.verifier}: ${r.source}`);
    expect(unused).toEqual([]);
  });
});

/** Every value of @clerk/backend's AuthErrorReason, read from the installed dist (not exported by the package). */
function authErrorReasons(): string[] {
  const dist = path.join(CLERK_BACKEND);
  for (const f of readdirSync(dist).filter((n) => n.endsWith('.mjs'))) {
    const src = readFileSync(path.join(dist, f), 'utf8');
    const m = /var AuthErrorReason = \{([^}]*)\}/.exec(src);
    if (m) return [...m[1].matchAll(/:\s*"([a-z0-9-]+)"/g)].map((x) => x[1]);
  }
  throw new Error('AuthErrorReason not found in @clerk/backend/dist');
}

describe('explain: x-clerk-auth-reason values, all of them (issue 9)', () => {
  it('every TokenVerificationErrorReason and AuthErrorReason maps to a cause, bare and as a header', () => {
    const all = [...Object.values(TokenVerificationErrorReason), ...authErrorReasons()];
    expect(all.length).toBeGreaterThan(30);
    const missing: string[] = [];
    for (const reason of all) {
      const bare = explainInput(reason);
      const header = explainInput(`x-clerk-auth-reason: ${reason}`);
      if (!bare.causes.length || !header.causes.length || bare.causes[0].cause !== header.causes[0].cause) missing.push(reason);
      else {
        expect(bare.summary, reason).toBe('an x-clerk-auth-reason value (@clerk/backend, @clerk/express)');
        expect(header.summary, reason).toBe('an x-clerk-auth-reason header (@clerk/backend, @clerk/express)');
      }
    }
    expect(missing).toEqual([]);
  });

  it.each([
    ['token-expired', 'expired'],
    ['token-not-active-yet', 'nbf-future'],
    ['token-iat-in-the-future', 'iat-future'],
    ['token-invalid-signature', 'signature-invalid'],
    ['token-invalid-authorized-parties', 'azp-rejected'],
    ['token-invalid-issuer', 'issuer-mismatch'],
    ['token-invalid-algorithm', 'alg-not-allowed'],
    ['jwk-kid-mismatch', 'kid-mismatch'],
    ['jwk-local-missing', 'verifier-key-missing'],
    ['jwk-failed-to-resolve', 'verifier-key-missing'],
    ['jwk-remote-failed-to-load', 'jwks-unreachable'],
    ['secret-key-invalid', 'backend-secret-key-rejected'],
    ['dev-browser-missing', 'missing-authorization'],
    ['session-token-and-uat-missing', 'missing-authorization'],
    ['client-uat-but-no-session-token', 'missing-authorization'],
    ['session-token-expired', 'expired'],
    ['session-token-expired-refresh-non-eligible-non-get', 'expired'],
    ['session-token-expired-refresh-non-eligible-no-refresh-cookie', 'expired'],
    ['session-token-nbf', 'nbf-future'],
    ['session-token-iat-in-the-future', 'iat-future'],
    ['satellite-needs-syncing', 'redirect-instead-of-401'],
    ['token-type-mismatch', 'token-type-mismatch'],
    ['token-verification-failed', 'rejected-unknown'],
    ['unexpected-error', 'rejected-unknown'],
  ])('%s → %s (bare, quoted, as a header, in curl -i output)', (reason, cause) => {
    expect(causesOf(reason)).toEqual([cause]);
    expect(causesOf(`"${reason}"`)).toEqual([cause]);
    expect(causesOf(`x-clerk-auth-reason: ${reason}`)).toEqual([cause]);
    expect(causesOf(`HTTP/1.1 401 Unauthorized\nx-clerk-auth-status: signed-out\nx-clerk-auth-reason: ${reason}\ncontent-length: 0\n`)).toEqual([cause]);
  });

  it('an unknown hyphenated word is not taken for a reason', () => {
    expect(explainInput('not-a-reason').recognised).toBe(false);
    expect(explainInput('token-expiredish').recognised).toBe(false);
  });

  it('@clerk/backend getFullMessage(): the "(reason=..., token-carrier=...)" suffix is read as the reason (issuer mismatch, produced by verifyToken)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await token({ iss: 'https://a.clerk.accounts.dev', iat: now, nbf: now - 10, exp: now + 60 });
    let full = '';
    try {
      await verifyToken(t, { jwtKey: pem, issuer: 'https://b.clerk.accounts.dev' });
    } catch (err) {
      const e = err as TokenVerificationError;
      e.tokenCarrier = 'header';
      full = e.getFullMessage();
    }
    expect(full).toBe('Invalid JWT issuer claim (iss) "https://a.clerk.accounts.dev". Expected "https://b.clerk.accounts.dev". Make sure that this is a valid Clerk-generated JWT. (reason=token-invalid-issuer, token-carrier=header)');
    const e = explainInput(`Clerk: ${full}`);
    expect(e.causes.map((c) => c.cause)).toEqual(['issuer-mismatch']);
    expect(e.causes[0].evidence).toContain('"x-clerk-auth-reason: token-invalid-issuer"');
    // The suffix alone names the cause too (a message doctor has no rule for).
    expect(causesOf('Something new happened (reason=token-iat-in-the-future, token-carrier=cookie)')).toEqual(['iat-future']);
    // A broad reason in the suffix gives way to the message that names the claim.
    expect(causesOf('Invalid JWT expiry date claim (exp) undefined. Expected number. Make sure that this is a valid Clerk-generated JWT. (reason=token-verification-failed, token-carrier=header)')).toEqual(['exp-missing']);
  });
});

describe('explain: an RS512 token against an RS256 key is an algorithm mismatch, not a broken PEM (issue 9)', () => {
  async function rs512(): Promise<{ t: string; key: JoseKey; jwk: Record<string, unknown>; spki: string }> {
    const kp = await generateKeyPair('RS512', { extractable: true });
    const now = Math.floor(Date.now() / 1000);
    const t = await new SignJWT({ sub: 'user_1', iat: now, nbf: now - 10, exp: now + 60 }).setProtectedHeader({ alg: 'RS512', typ: 'JWT', kid: 'ins_2abc' }).sign(kp.privateKey);
    return { t, key: kp.publicKey, jwk: (await exportJWK(kp.publicKey)) as Record<string, unknown>, spki: await exportSPKI(kp.publicKey) };
  }
  const messageOf = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      return `${(err as Error).name}: ${(err as Error).message}`;
    }
    throw new Error('accepted');
  };

  it('@clerk/backend (jwtKey): "Error verifying JWT signature. Error: JWK "alg" does not match the requested algorithm"', async () => {
    const { t, spki } = await rs512();
    const { reason, message } = await clerkError(t, { jwtKey: spki });
    expect(reason).toBe('token-verification-failed');
    expect(message).toBe('Error verifying JWT signature. Error: JWK "alg" does not match the requested algorithm');
    expect(causesOf(message)).toEqual(['alg-not-allowed']);
    expect(causesOf(`HTTP/1.1 401 Unauthorized\nx-clerk-auth-reason: ${reason}\nx-clerk-auth-message: ${message}\n`)).toEqual(['alg-not-allowed']);
  });

  it('Node WebCrypto (what @clerk/backend wraps): DataError: JWK "alg" does not match the requested algorithm', async () => {
    const { jwk } = await rs512();
    const msg = await messageOf(() => crypto.subtle.importKey('jwk', { ...jwk, alg: 'RS256' } as JsonWebKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, false, ['verify']));
    expect(msg).toBe('DataError: JWK "alg" does not match the requested algorithm');
    expect(causesOf(msg)).toEqual(['alg-not-allowed']);
  });

  it('jose: algorithms pinned to RS256, a key made for RS256, a JWK with alg RS256', async () => {
    const { t, key, jwk } = await rs512();
    const pinned = await messageOf(() => jwtVerify(t, key, { algorithms: ['RS256'] }));
    expect(pinned).toBe('JOSEAlgNotAllowed: "alg" (Algorithm) Header Parameter value not allowed');
    const rs256Key = await importJWK({ ...jwk, alg: 'RS256' }, 'RS256');
    const hash = await messageOf(() => jwtVerify(t, rs256Key));
    expect(hash).toBe('TypeError: CryptoKey does not support this operation, its algorithm.hash must be SHA-512');
    const jwkAlg = await messageOf(() => jwtVerify(t, { ...jwk, alg: 'RS256' }));
    expect(jwkAlg).toBe('TypeError: Invalid key for this operation, its "alg" must be "RS512" when present');
    for (const m of [pinned, hash, jwkAlg, `${pinned} (ERR_JOSE_ALG_NOT_ALLOWED)`]) {
      expect(causesOf(m), m).toEqual(['alg-not-allowed']);
      expect(causesOf(m), m).not.toContain('pem-unparsable');
    }
  });
});

describe('explain: input parsing never crashes, tokens never shown (issue 9)', () => {
  const seg = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

  it('header fields that are objects, lists, numbers, or objects that cannot be turned into text', () => {
    const headers = [{ alg: { x: 1 }, typ: ['JWT'], kid: { toString: 1, valueOf: 1 }, cat: { toString: 1 } }, { alg: 7, typ: null, kid: 12 }, { alg: 'RS256', typ: { toString: 1 }, kid: 'ins_x', jwk: { kty: 'RSA' } }];
    for (const h of headers) {
      const t = `${seg(h)}.${seg({ sub: { toString: 1 }, iss: ['x'], aud: { valueOf: 1 }, azp: { toString: 1 }, exp: { toString: 1 }, iat: [1] })}.c2ln`;
      const e = explainInput(t, { nowSeconds: NOW });
      expect(e.kind).toBe('token');
      expect(() => JSON.stringify(e)).not.toThrow();
      expect(() => renderExplanation(e, { paint: plainPaint, verbose: true })).not.toThrow();
    }
  });

  it('a 100k-deep claim and a 100k-deep JSON body: depth is capped, the stack holds', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const t = `${seg({ alg: 'RS256', typ: 'JWT', kid: 'ins_x' })}.${seg(`{"sub":"user_1","exp":${NOW + 60},"iat":${NOW},"nested":${deep},"aud":${deep}}`)}.c2ln`;
    const e = explainInput(t, { nowSeconds: NOW });
    expect(e.kind).toBe('token');
    const json = JSON.stringify(e);
    expect(json).toMatch(/nested deeper than \d+ levels/);
    expect(json.length).toBeLessThan(20_000);
    expect(() => renderExplanation(e, { paint: plainPaint, verbose: true })).not.toThrow();
    const body = explainInput(`HTTP/1.1 401 Unauthorized\ncontent-type: application/json\n\n{"detail":${'{"detail":'.repeat(100_000)}"Signature has expired"${'}'.repeat(100_000)}}`);
    expect(body.kind).toBe('response');
    const list = explainInput(`{"errors":[${'{"message":"x"},'.repeat(50_000)}{"message":"JWT is expired."}]}`);
    expect(() => JSON.stringify(list)).not.toThrow();
    expect(explainInput(deep).recognised).toBe(false);
  });

  it('matchMessages / responseMessages take whatever a caller\'s header object holds', () => {
    const { catalogue } = loadDiagnostics();
    const headers = { 'x-clerk-auth-message': ['JWT is expired.', 'x'], 'www-authenticate': { a: 1 } } as unknown as Record<string, string>;
    const messages = responseMessages('', headers);
    expect(messages).toEqual(['JWT is expired., x']);
    expect(matchMessages(catalogue, { messages, reason: ['token-expired'] as unknown as string }).map((m) => m.cause)).toEqual(['expired']);
    expect(matchMessages(catalogue, { messages: [42, null, { a: 1 }] as unknown as string[], reason: { a: 1 } as unknown as string })).toEqual([]);
    expect(responseMessages(undefined as unknown as string, undefined as unknown as Record<string, string>)).toEqual([]);
    expect(matchMessages(catalogue, { messages: [], joseCodes: ['ERR_JWT_EXPIRED', 'constructor', '__proto__', 'toString'] }).map((m) => m.cause)).toEqual(['expired']);
  });

  it('tokens and keys inside claims, headers, messages and summaries are redacted in --json and text', async () => {
    const inner = await token();
    const sk = 'sk_test_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const t = await token({ note: inner, secret: sk, sub: inner }, { kid: inner });
    const e = explainInput(t, { nowSeconds: NOW });
    const out = JSON.stringify(e) + renderExplanation(e, { paint: plainPaint, verbose: true });
    for (const s of [t, inner, sk]) expect(out).not.toContain(s);
    expect(out).toMatch(/redacted/);
    const msg = explainInput(`jwt.exceptions.ExpiredSignatureError: Signature has expired (token ${inner}, key ${sk})`);
    expect(msg.causes[0].cause).toBe('expired');
    const mout = JSON.stringify(msg) + renderExplanation(msg, { paint: plainPaint });
    for (const s of [inner, sk]) expect(mout).not.toContain(s);
  });
});

describe('explain: authorization refusals of a signed-in caller (issue 11)', () => {
  const member = () => token({ fea: 'o:jobs', o: { id: 'org_2acme', slg: 'acme', rol: 'member', per: 'read', fpm: '1' } });

  it('a 403 naming a role, with the token before it: the role it has against the role wanted', async () => {
    const e = explainInput(`${await member()}\n\nHTTP/1.1 403 Forbidden\ncontent-type: application/json\n\n{"detail":"requires role org:admin"}`, { nowSeconds: NOW });
    expect(e.kind).toBe('response');
    expect(e.causes[0]).toMatchObject({ cause: 'authz-role-missing', severity: 'warn' });
    expect(e.causes[0]!.evidence[0]).toBe('the token has role org:member, the route wants org:admin');
    expect(e.authorization?.token).toMatchObject({ version: 2, orgId: 'org_2acme', orgRole: 'org:member', orgPermissions: ['org:jobs:read'] });
    expect(renderExplanation(e, { paint: plainPaint })).toMatch(/organization: organization org_2acme \(acme\), role org:member \(o\.rol "member"\), permissions org:jobs:read/);
  });

  it('prose roles and tenants: "Admin role required" is org:admin, "Not your organization" another organization', async () => {
    expect(first(`${await member()}\nHTTP/1.1 403 Forbidden\n\n{"detail":"Admin role required"}`).evidence[0]).toBe('the token has role org:member, the route wants org:admin');
    expect(first(`${await member()}\nHTTP/1.1 403 Forbidden\n\n{"detail":"Not your organization"}`).cause).toBe('authz-other-organization');
  });

  it('a 404: the framework\'s "Not Found" is no object; "Job not found" is an object hidden or unknown', () => {
    expect(causesOf('HTTP/1.1 404 Not Found\n\n{"detail":"Not Found"}')).not.toContain('authz-hidden-existence');
    expect(causesOf('HTTP/1.1 404 Not Found\n\nCannot GET /jobs/1')).not.toContain('authz-hidden-existence');
    expect(first('HTTP/1.1 404 Not Found\n\n{"error":"Not Found","detail":"Job not found"}')).toMatchObject({ cause: 'authz-hidden-existence', severity: 'warn' });
  });

  it('a redirect carrying organization words is not a refusal; a bare 403 keeps its two readings', () => {
    expect(causesOf('HTTP/1.1 307 Temporary Redirect\nx-clerk-auth-reason: active-organization-mismatch\nx-clerk-auth-message: active organization mismatch\n\n')).not.toContain('authz-other-organization');
    expect(causesOf('HTTP/1.1 403 Forbidden')).toEqual(['forbid-missing-header', 'cause-hidden']);
  });

  it('a token alone: the organization is described only when it carries one', async () => {
    expect(explainInput(await member(), { nowSeconds: NOW }).authorization?.token?.line).toMatch(/role org:member/);
    expect(explainInput(await token(), { nowSeconds: NOW }).authorization).toBeUndefined();
  });
});
