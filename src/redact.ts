/**
 * The one redaction helper every output path uses (terminal, reports, logs, doctor evidence).
 * Secret keys, JWTs and PEM private keys never appear in full; a short, stable fingerprint stays so
 * a user can still tell two values apart.
 */

const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
// alg:none tokens and other two-dot strings whose header is base64url JSON but do not start eyJ
// are rare; the eyJ prefix ({") catches every JSON header the harness produces.
const SECRET_KEY = /\b(sk|rk)_(test|live)_[A-Za-z0-9]{4,}/g;
const PRIVATE_PEM = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
const PRIVATE_PEM_ESCAPED = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----(?:\\n|[A-Za-z0-9+/=\s])*?-----END \1PRIVATE KEY-----/g;
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

/** Replace every secret-looking substring of `text`. Safe on any string; idempotent. */
export function redact(text: string): string {
  return text
    .replace(PRIVATE_PEM, '[redacted private key]')
    .replace(PRIVATE_PEM_ESCAPED, '[redacted private key]')
    .replace(JWT, (t) => redactToken(t))
    .replace(SECRET_KEY, (k) => redactSecretKey(k))
    .replace(BEARER, (_m, scheme: string, value: string) => `${scheme} ${value.includes('[redacted') ? value : redactToken(value)}`);
}

/** Deep-redact a JSON-able value (for reports): every string goes through `redact`. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
