/**
 * A sliding-window limit on Backend API calls ("N requests per W seconds", the unit Clerk
 * documents its limits in), plus a pause that a 429's Retry-After imposes on every caller: Clerk
 * limits per instance (secret key), so one refused call means all of them should wait.
 */
export interface RateLimit {
  /** Calls allowed in any window of `perMs`. */
  calls: number;
  perMs: number;
}

/**
 * Clerk's documented Backend API limits: 100 requests per 10 s for development instances, 1000
 * per 10 s for production (https://clerk.com/docs/guides/how-clerk-works/system-limits). The
 * supply takes a fifth of the development limit by default, leaving the rest to the API under
 * test, `run` and anything else sharing the key.
 */
export const DEFAULT_MINT_RATE: RateLimit = { calls: 20, perMs: 10_000 };

export class SlidingWindowLimiter {
  private readonly log: number[] = [];
  private blockedUntil = 0;
  /** Every call admitted, in order (for the report and the tests: rate under the limit). */
  readonly history: number[] = [];

  constructor(readonly limit: RateLimit) {
    if (!Number.isInteger(limit.calls) || limit.calls < 1) throw new RangeError(`rate limit calls must be a whole number >= 1, got ${limit.calls}`);
    if (!(limit.perMs > 0)) throw new RangeError(`rate limit window must be > 0 ms, got ${limit.perMs}`);
  }

  /** When `cost` calls may start (now or later), given the window and any Retry-After pause. */
  nextSlot(now: number, cost = 1): number {
    this.prune(now);
    const cost1 = Math.min(cost, this.limit.calls);
    let at = Math.max(now, this.blockedUntil);
    const excess = this.log.length + cost1 - this.limit.calls;
    // The window frees a slot when its oldest entry leaves it.
    if (excess > 0) at = Math.max(at, this.log[excess - 1]! + this.limit.perMs);
    return at;
  }

  /** Take `cost` slots now; false (nothing taken) when they are not free yet. */
  tryTake(now: number, cost = 1): boolean {
    if (this.nextSlot(now, cost) > now) return false;
    for (let i = 0; i < Math.min(cost, this.limit.calls); i++) {
      this.log.push(now);
      this.history.push(now);
    }
    return true;
  }

  /** A 429 asked every caller to wait until `until`. */
  pauseUntil(until: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }

  get pausedUntil(): number {
    return this.blockedUntil;
  }

  private prune(now: number): void {
    while (this.log.length && this.log[0]! <= now - this.limit.perMs) this.log.shift();
  }
}

/** Most calls of `times` (sorted) inside any window of `perMs`: the peak the limit must bound. */
export function peakInWindow(times: readonly number[], perMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= perMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}
