/**
 * The clock margins the lifetime cases are built around. `@clerk/backend` allows 5 s of clock skew
 * by default; PyJWT setups commonly add a 10 s leeway. "Within leeway" sits well inside the 5 s,
 * "beyond leeway" sits far outside both, so the outcome never depends on a second's jitter.
 */
export const CLERK_DEFAULT_SKEW_SECONDS = 5;
export const TYPICAL_LEEWAY_SECONDS = 10;

/** iat this far ahead / exp this far past: every sensible verifier still accepts (skew 5 s). */
export const IAT_AHEAD_WITHIN_LEEWAY_SECONDS = 3;
export const EXP_PASSED_WITHIN_LEEWAY_SECONDS = 2;

/** Offsets for forged times "beyond leeway" (2 minutes: outside any default skew or leeway). */
export const BEYOND_LEEWAY_SECONDS = 120;

/**
 * A genuine (real Clerk) token counts as "expired beyond skew + leeway" once its exp is at least
 * this many seconds in the past: 5 s skew + 10 s leeway + margin for the two clocks.
 */
export const EXPIRED_REAL_TOKEN_MIN_AGE_SECONDS = 20;

/** Size of the padding claim in the oversized-token case (beyond Node's 16 KiB header limit once encoded). */
export const OVERSIZED_CLAIM_BYTES = 16 * 1024;
