/**
 * clerk.clock and target.clock: compare Date headers with the local clock. Thresholds come from
 * the check's `rules` in checks.yaml (defaults: within 2.5 s passes, beyond 5 s fails - Clerk's
 * default clock skew; PyJWT's default leeway is 0).
 */
import { describeOffset } from '../lib/http.js';
import type { CheckContext, CheckModule, CheckOutput } from '../types.js';

function verdictFor(ctx: CheckContext, offsetMs: number): CheckOutput {
  const rules = (ctx.spec.params.rules ?? {}) as { in_sync_within_s?: number; fail_beyond_s?: number };
  const within = (rules.in_sync_within_s ?? 2.5) * 1000;
  const failBeyond = (rules.fail_beyond_s ?? 5) * 1000;
  const { skew, direction } = describeOffset(offsetMs);
  const abs = Math.abs(offsetMs);
  const outcome = abs <= within ? 'in-sync' : abs <= failBeyond ? 'skewed' : 'far';
  return { outcome, vars: { skew, direction }, evidence: [`Date header vs local clock: ${offsetMs >= 0 ? '+' : '-'}${skew} (header resolution 1 s)`] };
}

export const clerkClock: CheckModule = {
  id: 'clerk.clock',
  async run(ctx, facts) {
    if (facts.clerkOffsetMs === undefined) return { outcome: 'in-sync', vars: { skew: 'an unknown amount (no Date header)' } };
    return verdictFor(ctx, facts.clerkOffsetMs);
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
