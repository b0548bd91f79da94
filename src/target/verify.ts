/**
 * How the reference target authenticates a request: Authorization: Bearer only, then
 * @clerk/backend verifyToken (networkless with jwtKey, else the instance JWKS via secretKey +
 * apiUrl; authorizedParties deliberately unset because Backend-API-minted tokens carry no azp).
 * No HTTP here: the outcome is data the server turns into a response.
 *
 * Each deliberate flaw is a small, honest deviation from the correct path, marked `FLAW:`.
 */
import { verifyToken } from '@clerk/backend';
import { decodeJwt } from '@clerk/backend/jwt';
import * as base64url from 'jose/base64url';
import { decodeJwt as joseDecodeJwt } from 'jose/jwt/decode';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import type { TargetFlaw } from './types.js';
import { TIME_CHECKS_DISABLED_SKEW_MS, checkTokenTimes } from './time-checks.js';

export interface VerifierConfig {
  jwtKey?: string;
  secretKey?: string;
  apiUrl?: string;
  issuer?: string;
  audience?: string;
  flaws: ReadonlySet<TargetFlaw>;
  /** Seconds the server's clock is off; 0 = verifyToken checks times with its own clock. */
  clockOffsetSeconds: number;
  /** The server's clock (Date.now() + offset). */
  nowMs(): number;
}

export type AuthOutcome =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; status: 401 | 403 | 500; detail: string; reason?: string; message?: string };

export const NOT_CONFIGURED_DETAIL = 'CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)';

/** The token of an `Authorization: Bearer <token>` header; '' when the value is empty, undefined for other schemes. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return '';
  const value = authorization.trim();
  if (value === '') return '';
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  return space === -1 ? '' : value.slice(space + 1).trim();
}

function reject(reason: string, message: string, detail = message): AuthOutcome {
  return { ok: false, status: 401, detail, reason, message };
}

function fromClerkError(err: unknown): AuthOutcome {
  const e = err as { reason?: unknown; message?: unknown };
  if (typeof e?.reason === 'string' && typeof e.message === 'string') return reject(e.reason, e.message);
  throw err; // not a verification failure (a bug, a network fault): let the server answer 500
}

export async function authenticate(authorization: string | undefined, config: VerifierConfig): Promise<AuthOutcome> {
  const { flaws } = config;
  const token = bearerToken(authorization);
  if (token === undefined || token === '') {
    if (flaws.has('forbid-missing-header')) {
      // FLAW: FastAPI < 0.122 HTTPBearer answers 403 where RFC 7235 wants 401.
      return { ok: false, status: 403, detail: token === undefined ? 'Invalid authentication credentials' : 'Not authenticated' };
    }
    return reject('session-token-and-uat-missing', 'No session token in the Authorization: Bearer header.', 'Not authenticated');
  }
  if (flaws.has('env-not-loaded') || (!config.jwtKey && !config.secretKey)) {
    // FLAW env-not-loaded (and the honest outcome of a server started without its keys).
    return { ok: false, status: 500, detail: NOT_CONFIGURED_DETAIL };
  }
  if (flaws.has('crash-on-malformed')) {
    // FLAW: peeks at the payload for logging before verifying, without a try/catch.
    JSON.parse(new TextDecoder().decode(base64url.decode(token.split('.')[1] as string)));
  }

  if (flaws.has('skip-signature') || flaws.has('allow-alg-none')) {
    const unverified = decodeWithoutVerifying(token);
    if (unverified && (flaws.has('skip-signature') || String(unverified.header.alg).toLowerCase() === 'none')) {
      // FLAW: trusts the payload without checking the signature (jwt.decode(verify=False) / alg taken from the token).
      return checkUnverifiedClaims(unverified.claims, config);
    }
  }

  const timesHere = config.clockOffsetSeconds !== 0 || flaws.has('accept-expired');
  let claims: Record<string, unknown>;
  try {
    claims = (await verifyToken(token, {
      jwtKey: config.jwtKey,
      secretKey: config.secretKey,
      apiUrl: config.apiUrl,
      issuer: config.issuer,
      audience: config.audience,
      clockSkewInMs: timesHere ? TIME_CHECKS_DISABLED_SKEW_MS : undefined,
    })) as Record<string, unknown>;
  } catch (err) {
    if (!(flaws.has('accept-no-exp') && isMissingExpError(err))) return fromClerkError(err);
    // FLAW: PyJWT-like, exp is optional. verifyJwt checks exp only after the signature, sub, aud,
    // azp and iss have passed, so reaching this error means everything but the lifetime is verified.
    claims = decodeJwt(token).payload as Record<string, unknown>;
  }
  if (timesHere || flaws.has('accept-no-exp')) {
    const failed = checkTokenTimes(claims, config.nowMs(), { ignoreExp: flaws.has('accept-expired') });
    if (failed) return reject(failed.reason, failed.message);
  }
  return checkPolicy(claims, flaws);
}

/** Header and payload as a decode-only verifier reads them (the signature segment is never looked at). */
function decodeWithoutVerifying(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  try {
    return { header: decodeProtectedHeader(token) as Record<string, unknown>, claims: joseDecodeJwt(token) as Record<string, unknown> };
  } catch {
    return undefined; // not decodable: the normal path answers token-invalid
  }
}

function isMissingExpError(err: unknown): boolean {
  const e = err as { reason?: unknown; message?: unknown };
  return e?.reason === 'token-verification-failed' && typeof e.message === 'string' && e.message.startsWith('Invalid JWT expiry date claim (exp) undefined');
}

/** The claim checks a decode-only verifier still does (sub, iss, lifetime), for the signature flaws. */
function checkUnverifiedClaims(claims: Record<string, unknown>, config: VerifierConfig): AuthOutcome {
  if (typeof claims.sub !== 'string') {
    return reject('token-verification-failed', `Subject claim (sub) is required and must be a string. Received ${JSON.stringify(claims.sub)}.`);
  }
  if (config.issuer && claims.iss !== config.issuer) {
    return reject('token-invalid-issuer', `Invalid JWT issuer claim (iss) ${JSON.stringify(claims.iss)}. Expected "${config.issuer}".`);
  }
  const failed = checkTokenTimes(claims, config.nowMs(), { ignoreExp: config.flaws.has('accept-expired') });
  if (failed) return reject(failed.reason, failed.message);
  return checkPolicy(claims, config.flaws);
}

/** Application policy after verification; the correct target has none beyond verifyToken. */
function checkPolicy(claims: Record<string, unknown>, flaws: ReadonlySet<TargetFlaw>): AuthOutcome {
  if (flaws.has('require-aud') && claims.aud === undefined) {
    // FLAW: PyJWT with audience= set rejects Clerk session tokens, which carry no aud.
    return reject('token-verification-failed', 'Token is missing the "aud" claim', 'Token validation failed: Token is missing the "aud" claim');
  }
  if (flaws.has('require-email') && typeof claims.email !== 'string') {
    // FLAW: session tokens carry no email unless customised.
    return reject('token-verification-failed', "JWT missing 'email' claim");
  }
  return { ok: true, claims };
}
