/**
 * Token issuer: builds Clerk-shaped header and claims and signs them. Knows no HTTP and no store;
 * callers pass ids, times and template data in. Shapes follow the reference (clerk-wire-format §1):
 * session tokens are v2 (`v:2`, `nbf = iat - 10`, `exp = iat + 60`), template tokens carry the
 * default claims plus the template's own, and neither carries `azp` unless an origin is configured.
 */
import { sign as rsaSign } from 'node:crypto';
import { newJti } from './ids.js';
import type { KeyMaterial } from './keys.js';
import type { OrganizationClaims } from './org-claims.js';
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
  /** `o` (and `fea`) for the session's active organization (org-claims.ts). */
  organization?: OrganizationClaims;
}

/** Clerk serialises claims in key order (Go maps); verifiers don't care, humans reading JSON do. */
function sorted(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function sessionTokenParts(input: SessionTokenInput): JwtParts {
  const iat = input.nowSeconds;
  const minutesSinceSignIn = Math.max(0, Math.floor((iat - (input.sessionCreatedAtSeconds ?? iat)) / 60));
  // Built in key order (what `sorted` would give) rather than sorted: this runs once per request.
  const payload: Record<string, unknown> = {};
  if (input.authorizedParty) payload.azp = input.authorizedParty;
  payload.exp = iat + (input.expiresInSeconds ?? DEFAULT_SESSION_LIFETIME_SECONDS);
  if (input.organization?.fea) payload.fea = input.organization.fea;
  payload.fva = [minutesSinceSignIn, -1];
  payload.iat = iat;
  payload.iss = input.issuer;
  payload.jti = newJti();
  payload.nbf = iat - SESSION_NBF_BACKDATE_SECONDS;
  if (input.organization) payload.o = input.organization.o;
  payload.sid = input.sessionId;
  payload.sts = input.status ?? 'active';
  payload.sub = input.userId;
  payload.v = 2;
  return { header: sessionTokenHeader(input.kid), payload };
}

/** The protected header of every session token signed with `kid`. */
export function sessionTokenHeader(kid: string): Record<string, unknown> {
  return { alg: 'RS256', cat: SESSION_TOKEN_CATEGORY, kid, typ: 'JWT' };
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

/** One JWS segment: base64url of the JSON text. */
export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Sign `header` and `payload` exactly as given (no claim is added or checked), so negative cases
 * can ask for any shape. RS384/RS512 in the header select that hash; any other `alg` value is
 * kept verbatim in the header and signed RS256 (the caller asked for a mismatch on purpose).
 */
export function signJwt(key: Pick<KeyMaterial, 'privateKeyObject'>, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const hash = HASH_FOR_ALG[String(header.alg)] ?? 'sha256';
  return signEncoded(key, encodeSegment(header), payload, hash);
}

/** `signJwt` with the header already encoded (session tokens reuse one per key). */
export function signEncoded(key: Pick<KeyMaterial, 'privateKeyObject'>, encodedHeader: string, payload: Record<string, unknown>, hash = 'sha256'): string {
  const input = `${encodedHeader}.${encodeSegment(payload)}`;
  const signature = rsaSign(hash, Buffer.from(input), key.privateKeyObject).toString('base64url');
  return `${input}.${signature}`;
}
