/**
 * Latency percentiles in constant memory: a log-linear histogram of microseconds (64 sub-buckets
 * per power of two, so a percentile is within 1.6 % of the true value), plus the exact max.
 * autocannon's own histogram offers no p95, so the runner records every response here.
 */
const SUB = 64;
const BUCKETS = 2 * SUB + 26 * SUB; // exact below 128 us, then 64 buckets per octave up to ~2^33 us

function indexOf(us: number): number {
  if (us < 2 * SUB) return us;
  const msb = 31 - Math.clz32(us);
  const shift = msb - 6;
  return 2 * SUB + (shift - 1) * SUB + ((us >>> shift) - SUB);
}

/** Highest value (us) that lands in bucket `i` (what HdrHistogram calls "highest equivalent"). */
function upperOf(i: number): number {
  if (i < 2 * SUB) return i;
  const shift = Math.floor((i - 2 * SUB) / SUB) + 1;
  const mantissa = ((i - 2 * SUB) % SUB) + SUB;
  return (mantissa + 1) * 2 ** shift - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  maxMs = 0;
  private sumMs = 0;

  record(ms: number): void {
    if (!(ms >= 0)) return;
    const us = Math.min(Math.round(ms * 1000), 2 ** 32 - 1);
    this.counts[Math.min(indexOf(us), BUCKETS - 1)]! += 1;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get meanMs(): number {
    return this.count ? this.sumMs / this.count : 0;
  }

  /** The value at percentile `p` (0-100) in ms, never above the exact max; 0 when empty. */
  percentileMs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperOf(i) / 1000, this.maxMs);
    }
    return this.maxMs;
  }
}
