import type { RunPlan } from './plan.js';

/**
 * Requests in flight at once without an audit log. Against the emulator a wider window lets the
 * runner's event loop batch its work (socket writes, promise turns): a 700-case run takes ~10% less
 * CPU at 32 than at 8 (bench/run.bench.mjs). Against real Clerk every case mints through the
 * Backend API, under its rate limit; 8 keeps the mint rate where it was.
 */
export const CONCURRENCY = { emulator: 32, clerk: 8 } as const;
/** With an audit log: requests are sent in windows of up to this many, one quiet period each. */
export const AUDITED_CONCURRENCY = 128;

/** How many cases of this plan run at once (both schedulers: vitest's and runPlan). */
export function concurrencyOf(plan: Pick<RunPlan, 'mode'> & { suite: Pick<RunPlan['suite'], 'audit'> }): number {
  return plan.suite.audit ? AUDITED_CONCURRENCY : CONCURRENCY[plan.mode];
}

/**
 * How long one case may take before vitest calls it a timeout: three request timeouts and a margin;
 * against real Clerk a minute more, since the expired-token case may wait ~50 s for its genuine
 * token to age.
 */
export function testTimeoutOf(plan: Pick<RunPlan, 'mode'> & { suite: Pick<RunPlan['suite'], 'timeoutMs'> }): number {
  return Math.max(30_000, plan.suite.timeoutMs * 3 + 10_000) + (plan.mode === 'clerk' ? 60_000 : 0);
}
