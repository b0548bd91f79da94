/**
 * Capabilities a case may need, how to tell whether a context has them, and the reason shown to
 * the user when one is missing. The reasons say what to do, not only what is missing.
 */
import type { CaseContext, CaseDef, Need } from './types.js';

export const NEED_REASONS: Record<Need, string> = {
  'trusted-signer':
    'needs a signing key the target trusts, which only the emulator has: run against the emulator (CLERK_API_URL from `clerk-harness emulator`)',
  template: 'needs a JWT template: set CLERK_JWT_TEMPLATE (or `template:` in the suite) to a template name of your instance',
  'public-key': 'needs the PEM public key the target trusts: set CLERK_JWT_KEY (or run against the emulator)',
  'expired-real-token': 'needs a genuine token that has already expired (minted early in the run against real Clerk)',
};

export function hasNeed(ctx: CaseContext, need: Need): boolean {
  switch (need) {
    case 'trusted-signer':
      return typeof ctx.trustedSigner === 'function';
    case 'template':
      return typeof ctx.template === 'string' && ctx.template.length > 0;
    case 'public-key':
      return typeof ctx.publicKeyPem === 'string' && ctx.publicKeyPem.includes('BEGIN');
    case 'expired-real-token':
      return typeof ctx.expiredToken === 'function';
  }
}

/** The skip reason when `ctx` lacks what `def` needs, else undefined. */
export function missingNeedReason(def: Pick<CaseDef, 'needs' | 'needsAnyOf'>, ctx: CaseContext): string | undefined {
  const missing = def.needs.find((n) => !hasNeed(ctx, n));
  if (missing) return NEED_REASONS[missing];
  const anyOf = def.needsAnyOf ?? [];
  if (anyOf.length > 0 && !anyOf.some((n) => hasNeed(ctx, n))) {
    return `${anyOf.map((n) => NEED_REASONS[n]).join('; or ')}`;
  }
  return undefined;
}
