/**
 * clerk.clock and target.clock: compare Date headers with the local clock. Thresholds come from
 * the check's `rules` in checks.yaml (defaults: within 2.5 s passes, beyond 5 s fails - Clerk's
 * default clock skew; PyJWT's default leeway is 0).
 */
import { describeOffset } from '../lib/http.js';
import type { CheckContext, CheckModule, CheckOutput } from '../types.js';

/** `offsetMs`: the Date header minus the local clock. `speaksOfLocal`: the verdict's subject is this machine's clock. */
function verdictFor(ctx: CheckContext, offsetMs: number, speaksOfLocal = false): CheckOutput {
  const rules = (ctx.spec.params.rules ?? {}) as { in_sync_within_s?: number; fail_beyond_s?: number };
  const within = (rules.in_sync_within_s ?? 2.5) * 1000;
  const failBeyond = (rules.fail_beyond_s ?? 5) * 1000;
  const { skew, direction } = describeOffset(speaksOfLocal ? -offsetMs : offsetMs);
  const abs = Math.abs(offsetMs);
  const outcome = abs <= within ? 'in-sync' : abs <= failBeyond ? 'skewed' : 'far';
  return { outcome, vars: { skew, direction }, evidence: [`Date header vs local clock: ${offsetMs >= 0 ? '+' : '-'}${skew} (header resolution 1 s)`] };
}

export const clerkClock: CheckModule = {
  id: 'clerk.clock',
  async run(ctx, facts) {
    if (facts.clerkOffsetMs === undefined) return { outcome: 'in-sync', vars: { skew: 'an unknown amount (no Date header)' } };
    // The verdict speaks of this machine's clock against Clerk's ("local clock is 2 min ahead of
    // Clerk's"): the offset measured is Clerk's minus ours, so the direction turns round.
    return verdictFor(ctx, facts.clerkOffsetMs, true);
  },
};

export const targetClock: CheckModule = {
  id: 'target.clock',
  async run(ctx, facts) {
    const offset = facts.target?.offsetMs;
    if (offset === undefined) return { outcome: 'no-date' };
    return verdictFor(ctx, offset);
  },
};
