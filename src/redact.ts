/**
 * The one redaction helper every output path uses (terminal, reports, logs, doctor evidence).
 * Secret keys, JWTs and PEM private keys never appear in full; a short, stable fingerprint stays so
 * a user can still tell two values apart.
 */

import { setOwn } from './own-property.js';

// A whole JWT, or one cut inside its payload ("eyJhbGci….eyJzdWIi", a length limit that came
// before redaction): both go, so no caller can leak a token by cutting first.
// No leading \b: a token glued to a word ("access_token_eyJ…", "xeyJ…") is still a token.
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.(?:[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*|eyJ[A-Za-z0-9_-]*)/g;
// alg:none tokens and other two-dot strings whose header is base64url JSON but do not start eyJ
// are rare; the eyJ prefix ({") catches every JSON header the harness produces.
// No leading \b: a key glued to other text ("xsk_test_…", "key=sk_test_…") is still a key.
const SECRET_KEY = /(sk|rk)_(test|live)_[A-Za-z0-9]{4,}/g;
const PRIVATE_PEM = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
const PRIVATE_PEM_ESCAPED = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=\s])*?-----END \1PRIVATE KEY-----/g;
// A private key whose END line is missing (cut by a length limit, a truncated paste): its armour
// and everything base64-like after it go.
const PRIVATE_PEM_CUT = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----(?:\\[nr]|[A-Za-z0-9+/=\s])*/g;
const BEARER = /\b(Bearer)\s+([A-Za-z0-9._~+/-]{16,}=*)/g;

/** Redact one token: keep the header segment's first characters and the length. */
export function redactToken(token: string): string {
  if (token.length <= 12) return '[redacted]';
  return `${token.slice(0, 10)}…[redacted ${token.length} chars]`;
}

/** Redact one secret key: keep the prefix and the last four characters. */
export function redactSecretKey(key: string): string {
  const m = /^(sk|rk)_(test|live)_/.exec(key);
  const prefix = m ? m[0] : '';
  return `${prefix}…${key.length > 12 ? key.slice(-4) : ''}`;
}

// Every pattern above needs one of these: a string without any of them has nothing to redact.
const MAYBE_SECRET = /-----BEGIN|eyJ|_(?:test|live)_|Bearer/;

/** Replace every secret-looking substring of `text`. Safe on any string; idempotent. */
export function redact(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  return text
    .replace(PRIVATE_PEM, '[redacted private key]')
    .replace(PRIVATE_PEM_ESCAPED, '[redacted private key]')
    .replace(PRIVATE_PEM_CUT, '[redacted private key]')
    .replace(JWT, (t) => redactToken(t))
    .replace(SECRET_KEY, (k) => redactSecretKey(k))
    .replace(BEARER, (_m, scheme: string, value: string) => `${scheme} ${value.includes('[redacted') ? value : redactToken(value)}`);
}

/** Values nested deeper than this are replaced by a marker: redaction must never blow the stack. */
export const MAX_REDACT_DEPTH = 64;

/**
 * Deep-redact a JSON-able value (for reports): every string, property names included, goes
 * through `redact`. A value nested deeper than MAX_REDACT_DEPTH becomes a marker (a 100k-deep
 * claim or audit line must not overflow the stack here or in JSON.stringify after).
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return `[nested deeper than ${MAX_REDACT_DEPTH} levels]` as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    setOwn(out, redact(k), redactDeep(v, depth + 1));
  }
  return out as T;
}
