/**
 * The exp / nbf / iat checks of @clerk/backend's verifyJwt, against a clock the caller supplies.
 *
 * Why this exists: verifyToken reads Date.now() itself, and its clockSkewInMs widens the window
 * symmetrically but cannot shift it. To reproduce a server whose clock is off (clockOffsetSeconds)
 * the reference target lets verifyToken check everything else with its time checks neutralised
 * (a clock skew of ~100 years), then runs these checks against the shifted clock. The rules,
 * reasons and messages are Clerk's, verbatim (node_modules/@clerk/backend, jwt/assertions.ts).
 */

export const CLERK_DEFAULT_CLOCK_SKEW_MS = 5_000;
/** Passed as clockSkewInMs when the time checks are done here instead (must be finite). */
export const TIME_CHECKS_DISABLED_SKEW_MS = 100 * 365 * 24 * 3600 * 1000;

export interface TimeCheckFailure {
  reason: 'token-expired' | 'token-not-active-yet' | 'token-iat-in-the-future' | 'token-verification-failed';
  message: string;
}

function secondsToDate(seconds: number): Date {
  const d = new Date(0);
  d.setUTCSeconds(seconds);
  return d;
}

/**
 * First failing lifetime check, or undefined. `ignoreExp` skips the exp comparison (the
 * accept-expired flaw); a missing exp is the caller's business (verifyToken rejects it first).
 */
export function checkTokenTimes(
  claims: Record<string, unknown>,
  nowMs: number,
  options: { skewMs?: number; ignoreExp?: boolean } = {},
): TimeCheckFailure | undefined {
  const skew = options.skewMs ?? CLERK_DEFAULT_CLOCK_SKEW_MS;
  const current = new Date(nowMs);
  const { exp, nbf, iat } = claims;
  if (exp !== undefined && !options.ignoreExp) {
    if (typeof exp !== 'number') return invalidType('exp', 'expiry date', exp);
    const expiry = secondsToDate(exp);
    if (expiry.getTime() <= current.getTime() - skew) {
      return { reason: 'token-expired', message: `JWT is expired. Expiry date: ${expiry.toUTCString()}, Current date: ${current.toUTCString()}.` };
    }
  }
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return invalidType('nbf', 'not before date', nbf);
    const notBefore = secondsToDate(nbf);
    if (notBefore.getTime() > current.getTime() + skew) {
      return {
        reason: 'token-not-active-yet',
        message: `JWT cannot be used prior to not before date claim (nbf). Not before date: ${notBefore.toUTCString()}; Current date: ${current.toUTCString()};`,
      };
    }
  }
  if (iat !== undefined) {
    if (typeof iat !== 'number') return invalidType('iat', 'issued at date', iat);
    const issuedAt = secondsToDate(iat);
    if (issuedAt.getTime() > current.getTime() + skew) {
      return {
        reason: 'token-iat-in-the-future',
        message: `JWT issued at date claim (iat) is in the future. Issued at date: ${issuedAt.toUTCString()}; Current date: ${current.toUTCString()};`,
      };
    }
  }
  return undefined;
}

function invalidType(claim: string, label: string, value: unknown): TimeCheckFailure {
  return { reason: 'token-verification-failed', message: `Invalid JWT ${label} claim (${claim}) ${JSON.stringify(value)}. Expected number.` };
}
