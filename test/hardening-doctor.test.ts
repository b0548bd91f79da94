/**
 * Issue 14, doctor: `doctor explain` on hostile tokens (object header fields, 100k-deep claims,
 * secrets in claims and claim names) and a seeded fuzz run in-process; `doctor --env-file` on
 * files that are not regular files. No exception, no secret in any output.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMain } from './helpers/main-in-process.js';
import { loadDiagnostics } from '../src/doctor/data.js';
import { explainInput } from '../src/doctor/explain/explain.js';
import { renderExplanation } from '../src/doctor/explain/render.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const token = (header: unknown, claims: unknown) => `${b64(header)}.${b64(claims)}.c2ln`;
const noPaint = { red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s, bold: (s: string) => s };
const SK = `sk_test_${'Z'.repeat(30)}`;
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hardening-doctor-'));
  await mkdir(join(dir, 'a-dir'));
  await symlink(join(dir, 'gone.env'), join(dir, 'dangling.env'));
  try {
    execFileSync('mkfifo', [join(dir, 'fifo.env')]);
  } catch {
    // no FIFO row on this system
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function cli(argv: string[]) {
  return callMain(argv, { cwd: dir });
}

describe('doctor explain on hostile tokens', () => {
  const d = loadDiagnostics();
  it('header fields that are objects are named, not crashed on', () => {
    const e = explainInput(token({ alg: { toString: 1 }, kid: { a: 1 }, typ: [1], cat: {}, jku: {} }, { sub: { a: 1 }, exp: { a: 1 }, aud: { toString: 1 } }), { diagnostics: d, nowSeconds: 1.7e9 });
    expect(e.causes.find((c) => c.cause === 'alg-not-allowed')?.evidence.join(' ')).toContain('"alg" is not a string ({"toString":1})');
    expect(() => renderExplanation(e, { paint: noPaint })).not.toThrow();
  });

  it('claims and header values 100k deep are capped, in text and --json', async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const t = `${b64(`{"alg":"RS256","kid":${deep}}`)}.${b64(`{"sub":"user_1","x":${deep}}`)}.c2ln`;
    const e = explainInput(t, { diagnostics: d, nowSeconds: 1.7e9 });
    expect(JSON.stringify(e)).toContain('nested deeper than');
    const r = await cli(['doctor', 'explain', '--json', t]);
    expect(r.code).toBeLessThan(2);
    expect(r.stdout.length).toBeLessThan(20_000);
  });

  it('--json never prints a secret key or PEM private key from a claim or a claim name', async () => {
    const t = token({ alg: 'RS256' }, { sub: 'user_1', k: SK, pem: PEM, [SK]: 1, nested: { deeper: [SK] } });
    for (const argv of [['doctor', 'explain', '--json', t], ['doctor', 'explain', t]]) {
      const r = await cli(argv);
      expect(r.stdout + r.stderr).not.toContain('Z'.repeat(8));
      expect(r.stdout + r.stderr).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7');
    }
  });

  it('a seeded fuzz of 10,000 inputs throws nothing and leaks no key', () => {
    let seed = 20261122;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
    const atoms = ['null', 'true', '1e308', '-1e308', '"x"', '[]', '{}', '{"toString":1}', '{"valueOf":{}}', '"\\u0000"', `"${SK}"`, '1', '"RS256"', '"none"', '"HS256"', '"ins_abc"', '"user_1"', '"1795367408"'];
    const keys = ['alg', 'kid', 'typ', 'cat', 'jku', 'jwk', 'sub', 'exp', 'iat', 'nbf', 'aud', 'azp', 'iss', 'email', '__proto__', 'constructor', 'toString', SK];
    const val = (depth: number): string => (depth > 3 || rnd() < 0.5 ? pick(atoms) : rnd() < 0.5 ? `[${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => val(depth + 1)).join(',')}]` : obj(depth + 1));
    const obj = (depth: number): string => `{${Array.from({ length: Math.floor(rnd() * 6) }, () => `"${pick(keys)}":${val(depth)}`).join(',')}}`;
    const pieces = ['HTTP/1.1 401 Unauthorized\n', 'x-clerk-auth-reason: token-expired\n', 'x-clerk-auth-reason: \n', 'www-authenticate: Bearer\n', '\n', 'Bearer ', SK, ' ', 'ERR_JWT_EXPIRED', '{"detail":', '"Token expired"}', '{"errors":[{"code":1}]}', '(reason=token-invalid)', 'Current date: Sat, 22 Nov 2025 10:00:00 GMT Expiry date: Sat, 22 Nov 2099 10:00:00 GMT', '\u0000', '\ud800', '500', 'eyJ', '.', 'Date: x\n', PEM];
    for (let i = 0; i < 10_000; i++) {
      const r = rnd();
      const input = r < 0.4
        ? `${b64(obj(0))}.${b64(obj(0))}.${rnd() < 0.5 ? 'c2ln' : ''}`
        : r < 0.5
          ? `eyJ${Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => pick('AZaz09-_.='.split(''))).join('')}`
          : Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => (rnd() < 0.3 ? `${b64(obj(0))}.${b64(obj(0))}.s` : pick(pieces))).join('');
      const e = explainInput(input, { diagnostics: d, nowSeconds: 1.7e9 });
      const out = renderExplanation(e, { paint: noPaint, verbose: true }) + JSON.stringify(e);
      if (out.includes('Z'.repeat(8)) || out.includes('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')) throw new Error(`leak for input ${JSON.stringify(input).slice(0, 200)}`);
    }
  }, 60_000);
});

describe('doctor --env-file that is not a regular file', () => {
  it.each([
    ['a-dir', 'is a directory, not a regular file'],
    ['/dev/zero', 'is a device, not a regular file'],
    ['dangling.env', 'is a symlink to'],
    ['fifo.env', 'is a FIFO (named pipe)'],
  ])('%s: a failed check naming it, at once', async (file, fragment) => {
    if (file === 'fifo.env') {
      try {
        execFileSync('test', ['-p', join(dir, 'fifo.env')]);
      } catch {
        return;
      }
    }
    const r = await cli(['doctor', '--only', 'env', '--env-file', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(fragment);
  });
});
