/**
 * Named token mutations for the negative cases: small, pure-ish functions over a JWT's three
 * segments. Signing goes through jose; only what jose rightly refuses to produce (alg "none" in any
 * spelling, HMAC with a zero-length key) is encoded by hand here. Attacker keys live in
 * forge-keys.ts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { CompactSign } from 'jose/jws/compact/sign';
import * as base64url from 'jose/base64url';
import type { CryptoKey, KeyObject } from 'jose';

export type JwtHeader = Record<string, unknown>;
export type JwtClaims = Record<string, unknown>;

export interface DecodedToken {
  header: JwtHeader;
  claims: JwtClaims;
  /** The three segments exactly as they appear in the token. */
  raw: { header: string; payload: string; signature: string };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** base64url(JSON) of a header or payload, without padding, as JWS compact serialization wants. */
export function encodeSegment(value: unknown): string {
  return base64url.encode(encoder.encode(JSON.stringify(value)));
}

const PLAIN_BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * base64url bytes of a segment. A token's own segments (base64url characters only, a possible
 * length) decode natively, as jose's decoder would decode them; anything else goes through jose's
 * decoder itself, so hostile segments are accepted or refused exactly as before.
 */
export function decodeBase64url(segment: string): Uint8Array {
  if (segment.length % 4 !== 1 && PLAIN_BASE64URL.test(segment)) return Buffer.from(segment, 'base64url');
  return base64url.decode(segment);
}

/** Inverse of encodeSegment; throws on a segment that is not base64url JSON. */
export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(decoder.decode(decodeBase64url(segment))) as Record<string, unknown>;
}

/** Split and decode a compact JWT (no verification). Throws when it is not three decodable parts. */
export function decodeToken(token: string): DecodedToken {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWT: ${parts.length} part(s), expected 3`);
  const [header, payload, signature] = parts as [string, string, string];
  return { header: decodeSegment(header), claims: decodeSegment(payload), raw: { header, payload, signature } };
}

/** Sign header+claims with an asymmetric key through jose (alg taken from the header, RS256 by default). */
export async function signWithKey(header: JwtHeader, claims: JwtClaims, key: CryptoKey | KeyObject): Promise<string> {
  const protectedHeader = { alg: 'RS256', ...header } as JwtHeader & { alg: string };
  return new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader(protectedHeader).sign(key);
}

/**
 * HS256 over header+claims with arbitrary key bytes (a PEM's text, "1", or nothing at all).
 * jose signs any non-empty key; it refuses a zero-length key, which the blank-password and
 * kid-path-traversal attacks need, so that one case is signed with node:crypto directly.
 */
export async function signHs256(header: JwtHeader, claims: JwtClaims, key: string | Uint8Array): Promise<string> {
  const keyBytes = typeof key === 'string' ? encoder.encode(key) : key;
  const fullHeader = { ...header, alg: 'HS256' };
  if (keyBytes.length > 0) {
    return new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader(fullHeader).sign(keyBytes);
  }
  const signingInput = `${encodeSegment(fullHeader)}.${encodeSegment(claims)}`;
  const mac = createHmac('sha256', Buffer.alloc(0)).update(signingInput).digest();
  return `${signingInput}.${base64url.encode(mac)}`;
}

/** The spellings of "none" that naive, case-insensitive or blocklist-based verifiers trip over. */
export const ALG_NONE_SPELLINGS = ['none', 'None', 'NONE', 'nOnE'] as const;
export type AlgNoneSpelling = (typeof ALG_NONE_SPELLINGS)[number];

/**
 * An unsecured JWT: the given header with `alg` replaced by a spelling of none (other fields such
 * as `kid` kept, as jwt_tool does), and an empty signature: `header.payload.`.
 */
export function algNoneToken(header: JwtHeader, claims: JwtClaims, alg: string = 'none'): string {
  return `${encodeSegment({ ...header, alg })}.${encodeSegment(claims)}.`;
}

/** The token with its signature removed but its header (alg RS256) kept: `h.p.` (jwt_tool "null signature"). */
export function stripSignature(token: string): string {
  const { raw } = decodeToken(token);
  return `${raw.header}.${raw.payload}.`;
}

/**
 * The token with some signature bytes inverted in the middle, so it still decodes and has the
 * right length but no longer matches. Flipping whole bytes (not a base64 character) avoids the
 * trap where changing the last character only touches padding bits and leaves the bytes equal.
 */
export function alterSignature(token: string): string {
  const { raw } = decodeToken(token);
  const bytes = base64url.decode(raw.signature);
  if (bytes.length === 0) throw new Error('token has no signature to alter');
  const mid = Math.floor(bytes.length / 2);
  for (let i = mid; i < Math.min(mid + 4, bytes.length); i++) bytes[i] = bytes[i]! ^ 0xff;
  return `${raw.header}.${raw.payload}.${base64url.encode(bytes)}`;
}

/** The token cut short by `chars` characters from its end (a copy/paste truncation). */
export function truncateToken(token: string, chars = 8): string {
  return token.slice(0, Math.max(0, token.length - chars));
}

/** Replace claims in the payload but keep the original header and signature bytes (tampering). */
export function tamperClaims(token: string, patch: JwtClaims): string {
  const { claims, raw } = decodeToken(token);
  return `${raw.header}.${encodeSegment({ ...claims, ...patch })}.${raw.signature}`;
}

/** Copy of `claims` without the named keys. */
export function withoutClaims(claims: JwtClaims, ...names: string[]): JwtClaims {
  const out = { ...claims };
  for (const n of names) delete out[n];
  return out;
}

/** Clerk session-token times around `now`: iat = now, nbf = now - 10, exp = now + lifetime. */
export function freshTimes(nowSeconds: number, lifetimeSeconds = 60): { iat: number; nbf: number; exp: number } {
  return { iat: nowSeconds, nbf: nowSeconds - 10, exp: nowSeconds + lifetimeSeconds };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random Clerk-shaped id: prefix + 27 base62 characters (`ins_…`, `user_…`, `sess_…`). */
export function randomClerkId(prefix: 'ins' | 'user' | 'sess' | 'job'): string {
  const bytes = randomBytes(27);
  let out = '';
  for (const b of bytes) out += BASE62[b % 62];
  return `${prefix}_${out}`;
}
