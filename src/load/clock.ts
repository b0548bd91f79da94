/**
 * The clock the token supply and the load runner read. Injectable so tests can compress time
 * honestly: a clock that runs N× faster than wall time (with timers N× shorter) lets a 90-second
 * load with 30-second tokens finish in 90/N seconds while every age, lifetime and rate is still
 * measured and enforced in the same (virtual) seconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` after `ms` milliseconds of this clock. */
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * A clock that reads `now()` from `read` (e.g. a Date patched to run `factor`× faster) and whose
 * timers last `ms / factor` real milliseconds: for simulations only.
 */
export function scaledClock(factor: number, read: () => number = () => Date.now()): Clock {
  if (!(factor > 0)) throw new RangeError(`clock factor must be > 0, got ${factor}`);
  return {
    now: read,
    setTimeout(fn, ms) {
      const t = setTimeout(fn, Math.max(0, ms) / factor);
      t.unref?.();
      return { cancel: () => clearTimeout(t) };
    },
  };
}
