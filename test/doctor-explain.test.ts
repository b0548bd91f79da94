/**
 * `doctor explain` on real strings: @clerk/backend and jose errors produced here by the libraries
 * themselves, PyJWT / python-jose / FastAPI / fastapi-clerk-auth / seed-app strings verbatim from
 * the failure catalogue (reference §5), tokens built with controlled clocks.
 */
import { verifyToken } from '@clerk/backend';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, jwtVerify, SignJWT, type CryptoKey as JoseKey } from 'jose';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { explainInput } from '../src/doctor/explain/explain.js';
import { excerptAround } from '../src/doctor/explain/match.js';

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
      // token-verification-failed covers several claims: only the message tells them apart.
      if (reason !== 'token-verification-failed') expect(first(`x-clerk-auth-reason: ${reason}`).cause, reason).toBe(cause);
      else expect(causesOf(`x-clerk-auth-reason: ${reason}`)).toEqual([]);
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

  it('the SDK read its config before the env file (clerk/javascript #623) → env-not-loaded, with the whole note', () => {
    const got = first('Error: Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.');
    expect(got.cause).toBe('env-not-loaded');
    expect(got.evidence).toContain('the SDK read its configuration before the env file was loaded (clerk/javascript #623)');
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
