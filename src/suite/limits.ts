import type { RunPlan } from './plan.js';

/**
 * Requests in flight at once without an audit log. Against the emulator a wider window lets the
 * runner's event loop batch its work (socket writes, promise turns): a 700-case run takes ~10% less
 * CPU at 32 than at 8 (bench/run.bench.mjs). Against real Clerk every case mints through the
 * Backend API, under its rate limit; 8 keeps the mint rate where it was.
 */
export const CONCURRENCY = { emulator: 32, clerk: 8 } as const;
/**
 * With an audit log: cases under way at once, and the most requests one audit window holds (one
 * quiet period each). Against the emulator, more cases than one window sends keep tokens being
 * made while a window waits out its quiet period, and the window takes in those that are ready
 * while it sends (bench/run.bench.mjs, 10 endpoints: 7 windows at 128, 2-3 at 512). Against real
 * Clerk every case mints through the Backend API as it starts, so fewer are under way, and their
 * mints still go CLERK_MINTS_IN_FLIGHT (8) at a time (src/tokens/clerk-source.ts).
 */
export const AUDITED_CONCURRENCY = { emulator: 512, clerk: 128 } as const;
/** Requests of one audit window in flight to the target at once. */
export const AUDITED_SENDS_IN_FLIGHT = 128;

/** How many cases of this plan run at once (both schedulers: vitest's and runPlan). */
export function concurrencyOf(plan: Pick<RunPlan, 'mode'> & { suite: Pick<RunPlan['suite'], 'audit'> }): number {
  return (plan.suite.audit ? AUDITED_CONCURRENCY : CONCURRENCY)[plan.mode];
}

/**
 * How long one case may take before vitest calls it a timeout: three request timeouts and a margin;
 * against real Clerk a minute more, since the expired-token case may wait ~50 s for its genuine
 * token to age. With an audit log a case may also wait for a whole window ahead of it, whose
 * requests go out AUDITED_SENDS_IN_FLIGHT at a time: one request timeout more per such round.
 */
export function testTimeoutOf(plan: Pick<RunPlan, 'mode'> & { suite: Pick<RunPlan['suite'], 'timeoutMs'> & Partial<Pick<RunPlan['suite'], 'audit'>> }): number {
  const rounds = plan.suite.audit ? Math.ceil(AUDITED_CONCURRENCY[plan.mode] / AUDITED_SENDS_IN_FLIGHT) : 0;
  return Math.max(30_000, plan.suite.timeoutMs * 3 + 10_000) + rounds * plan.suite.timeoutMs + (plan.mode === 'clerk' ? 60_000 : 0);
}
