/**
 * Token issuer: builds Clerk-shaped header and claims and signs them. Knows no HTTP and no store;
 * callers pass ids, times and template data in. Shapes follow the reference (clerk-wire-format §1):
 * session tokens are v2 (`v:2`, `nbf = iat - 10`, `exp = iat + 60`), template tokens carry the
 * default claims plus the template's own, and neither carries `azp` unless an origin is configured.
 */
import { sign as rsaSign } from 'node:crypto';
import { newJti } from './ids.js';
import type { KeyMaterial } from './keys.js';
import { resolveShortcodes, type ShortcodeContext } from './template-claims.js';

export const SESSION_TOKEN_CATEGORY = 'cl_B7d4PD111AAA';
export const TEMPLATE_TOKEN_CATEGORY = 'cl_B7d4PD222AAA';
export const DEFAULT_SESSION_LIFETIME_SECONDS = 60;
/** Session tokens are backdated by 10 s (MONO fixtures, SDK docstring). */
export const SESSION_NBF_BACKDATE_SECONDS = 10;

export interface JwtParts {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface SessionTokenInput {
  kid: string;
  issuer: string;
  userId: string;
  sessionId: string;
  /** Seconds since the epoch, on the emulator's (possibly offset) clock. */
  nowSeconds: number;
  /** When the session was created, for `fva` (minutes since the first factor). */
  sessionCreatedAtSeconds?: number;
  expiresInSeconds?: number;
  authorizedParty?: string;
  status?: 'active' | 'pending';
}

/** Clerk serialises claims in key order (Go maps); verifiers don't care, humans reading JSON do. */
function sorted(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function sessionTokenParts(input: SessionTokenInput): JwtParts {
  const iat = input.nowSeconds;
  const minutesSinceSignIn = Math.max(0, Math.floor((iat - (input.sessionCreatedAtSeconds ?? iat)) / 60));
  const payload: Record<string, unknown> = {
    exp: iat + (input.expiresInSeconds ?? DEFAULT_SESSION_LIFETIME_SECONDS),
    fva: [minutesSinceSignIn, -1],
    iat,
    iss: input.issuer,
    jti: newJti(),
    nbf: iat - SESSION_NBF_BACKDATE_SECONDS,
    sid: input.sessionId,
    sts: input.status ?? 'active',
    sub: input.userId,
    v: 2,
  };
  if (input.authorizedParty) payload.azp = input.authorizedParty;
  return {
    header: { alg: 'RS256', cat: SESSION_TOKEN_CATEGORY, kid: input.kid, typ: 'JWT' },
    payload: sorted(payload),
  };
}

export interface TemplateTokenInput {
  kid: string;
  issuer: string;
  userId: string;
  nowSeconds: number;
  template: { claims: Record<string, unknown>; lifetime: number; allowed_clock_skew: number };
  /** Values shortcodes resolve against: { user, session, ... }. */
  context: ShortcodeContext;
  expiresInSeconds?: number;
  authorizedParty?: string;
}

export function templateTokenParts(input: TemplateTokenInput): JwtParts {
  const iat = input.nowSeconds;
  const custom = resolveShortcodes(input.template.claims, input.context) as Record<string, unknown>;
  // The template's claims cannot override the default claims (DOCS jwt-templates.mdx).
  const defaults: Record<string, unknown> = {
    exp: iat + (input.expiresInSeconds ?? input.template.lifetime),
    iat,
    iss: input.issuer,
    jti: newJti(),
    nbf: iat - input.template.allowed_clock_skew,
    sub: input.userId,
  };
  if (input.authorizedParty) defaults.azp = input.authorizedParty;
  else delete custom.azp;
  return {
    header: { alg: 'RS256', cat: TEMPLATE_TOKEN_CATEGORY, kid: input.kid, typ: 'JWT' },
    payload: sorted({ ...custom, ...defaults }),
  };
}

const HASH_FOR_ALG: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

/**
 * Sign `header` and `payload` exactly as given (no claim is added or checked), so negative cases
 * can ask for any shape. RS384/RS512 in the header select that hash; any other `alg` value is
 * kept verbatim in the header and signed RS256 (the caller asked for a mismatch on purpose).
 */
export function signJwt(key: KeyMaterial, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const hash = HASH_FOR_ALG[String(header.alg)] ?? 'sha256';
  const signature = rsaSign(hash, Buffer.from(input), key.privateKeyObject).toString('base64url');
  return `${input}.${signature}`;
}
