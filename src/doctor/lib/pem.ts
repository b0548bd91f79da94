/**
 * PEM public keys as backends keep them in env files: real newlines, literal \n escapes, or one
 * long line. Parse with node:crypto, compare with JWKS keys by modulus and exponent.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

export const PEM_KEYS = ['CLERK_PEM_PUBLIC_KEY', 'CLERK_JWT_KEY'];

export type PemParse =
  | { ok: true; jwk: JWK; bits: number; newlines: 'real newlines' | 'escaped \\n' | 'one line'; /** Parsed only after repair (\\n escapes expanded, or newlines restored): how. */ repaired?: string }
  | { ok: false; error: string };

/** Problems of the armour alone (no parsing): for env.formats. */
export function pemArmourProblem(value: string): string | undefined {
  const v = value.trim();
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(v)) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) return 'is a PRIVATE key; the backend needs the public key';
    if (/-----BEGIN CERTIFICATE-----/.test(v)) return 'is a certificate, not the public key PEM';
    return 'has no "-----BEGIN PUBLIC KEY-----" line';
  }
  if (!/-----END (RSA )?PUBLIC KEY-----/.test(v)) return 'has no "-----END PUBLIC KEY-----" line (cut off?)';
  const body = v.replace(/-----(BEGIN|END) (RSA )?PUBLIC KEY-----/g, '').replace(/\\n|\\r|\s/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return 'has characters that are not base64 between BEGIN and END';
  return undefined;
}

function tryParse(text: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch {
    return undefined;
  }
}

/** Rebuild a PEM whose newlines were lost (one line, or spaces): 64-column base64 body. */
function rewrap(value: string): string {
  const m = /-----BEGIN ((?:RSA )?PUBLIC KEY)-----(.*)-----END (?:RSA )?PUBLIC KEY-----/s.exec(value);
  if (!m) return value;
  const body = m[2].replace(/\\n|\\r|\s/g, '');
  return `-----BEGIN ${m[1]}-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${m[1]}-----\n`;
}

export function parsePem(value: string): PemParse {
  const v = value.trim();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) {
    // createPublicKey would derive the public half and "parse" it; a verifier must never hold this.
    return { ok: false, error: 'it is a PRIVATE key: paste the PUBLIC key (Dashboard → API keys → Show JWT public key) and remove the private key from the file' };
  }
  const real = v.includes('\n');
  const escaped = v.includes('\\n');
  const direct = tryParse(v);
  const key = direct ?? tryParse(v.replace(/\\r/g, '').replace(/\\n/g, '\n')) ?? tryParse(rewrap(v));
  if (!key) {
    const problem = pemArmourProblem(v);
    return { ok: false, error: problem ? `the value ${problem}` : 'the base64 body is not an RSA public key (a character lost or changed?)' };
  }
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, error: `it is a ${key.asymmetricKeyType} key; Clerk signs with RSA` };
  const jwk = key.export({ format: 'jwk' }) as JWK;
  const bits = Buffer.from(jwk.n ?? '', 'base64url').length * 8;
  const repaired = direct ? undefined : escaped ? 'turning \\n into newlines' : 'restoring its newlines';
  return { ok: true, jwk, bits, newlines: real ? 'real newlines' : escaped ? 'escaped \\n' : 'one line', repaired };
}

/** Same RSA public key? */
export function sameKey(a: JWK, b: JWK): boolean {
  return a.kty === 'RSA' && b.kty === 'RSA' && a.n === b.n && a.e === b.e;
}

/** Short fingerprint for evidence: the modulus' first and last characters. */
export function fingerprint(jwk: JWK): string {
  const n = jwk.n ?? '';
  return n.length > 12 ? `n=${n.slice(0, 6)}…${n.slice(-4)}` : `n=${n}`;
}
