/**
 * PEM public keys as backends keep them in env files: real newlines, literal \n escapes, or one
 * long line. Parse with node:crypto, compare with JWKS keys by modulus and exponent.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/** The variables a networkless verifier reads its PEM from; the order is the reference target's preference. */
export const PEM_KEYS = ['CLERK_JWT_KEY', 'CLERK_PEM_PUBLIC_KEY'];

/** Who reads each PEM variable, for fixes that must say which one the backend uses. */
export const PEM_READERS: Record<string, string> = {
  CLERK_JWT_KEY: "@clerk/backend, @clerk/express and Clerk's other SDKs (and the reference target, ahead of CLERK_PEM_PUBLIC_KEY)",
  CLERK_PEM_PUBLIC_KEY: "the seeds' FastAPI/PyJWT app",
};

const PRIVATE_ARMOUR = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** A private key where a public key belongs: a secret that must leave the file. */
export function isPrivateKeyPem(value: string): boolean {
  return PRIVATE_ARMOUR.test(value);
}

export type PemParse =
  | { ok: true; jwk: JWK; bits: number; newlines: 'real newlines' | 'escaped \\n' | 'one line'; /** Parsed only after repair (\\n escapes expanded, or newlines restored): how. */ repaired?: string }
  | { ok: false; error: string; /** The value is a private key (a leaked secret, not just a bad value). */ private?: boolean };

/** Problems of the armour alone (no parsing): for env.formats. */
export function pemArmourProblem(value: string): string | undefined {
  const v = value.trim();
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(v)) {
    if (isPrivateKeyPem(v)) return 'is a PRIVATE key; the backend needs the public key';
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
  if (isPrivateKeyPem(v)) {
    // createPublicKey would derive the public half and "parse" it; a verifier must never hold this.
    return { ok: false, private: true, error: 'it is a PRIVATE key: remove it from the file and paste the PUBLIC key (Dashboard → API keys → Show JWT public key)' };
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

/** The SPKI PEM of a JWKS key (public: safe to print). */
export function jwkToPem(jwk: JWK): string {
  return createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** `KEY="-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----"`: one line to paste into an env file (dotenv and python-dotenv expand \n inside double quotes). */
export function envLine(key: string, pem: string): string {
  return `${key}="${pem.trim().replace(/\r?\n/g, '\\n')}"`;
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
