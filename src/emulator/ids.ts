/**
 * Clerk-shaped identifiers: a prefix plus 27 base62 characters (`user_`, `sess_`, `client_`,
 * `idn_`, `jtmp_`, `ins_`), and the 20-hex-character `jti` of session tokens.
 */
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 27;

/** Base62 digits of `bytes` read as one big-endian number, left-padded with '0' to `length`. */
export function base62(bytes: Uint8Array, length = ID_LENGTH): string {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while (n > 0n && out.length < length) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(length, '0').slice(0, length);
}

/** A fresh random id such as `user_2xhFjEI5X2qWRvtV13BzSj8H6Dk`. 21 random bytes > 27 base62 digits. */
export function newId(prefix: string): string {
  return `${prefix}_${base62(randomBytes(21))}`;
}

/**
 * A stable id derived from some text (a key thumbprint): the same input always gives the same id,
 * different inputs practically never collide. Used for the `kid`, so a kid is never reused for
 * other key material and verifiers' JWKS caches cannot mix keys up.
 */
export function derivedId(prefix: string, input: string): string {
  return `${prefix}_${base62(createHash('sha256').update(input).digest())}`;
}

/** `jti` as Clerk issues it: 20 lowercase hex characters. */
export function newJti(): string {
  return randomBytes(10).toString('hex');
}

/** A random alphanumeric string (secret keys, testing tokens). */
export function randomAlnum(length: number): string {
  return base62(randomBytes(Math.ceil(length * 0.75) + 4), length);
}
