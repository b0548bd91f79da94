/**
 * Interleaved rounds: every round runs each phase once (A B C, then B C A, then C A B, ...), so a
 * slow spell of the machine, JIT warm-up or a growing heap lands on every phase alike instead of
 * on whichever runs first or last. Warm-up rounds run the same way and are discarded.
 */

/** Phase order of round `r`: the list rotated by r. */
export function rotation(names, r) {
  const k = r % names.length;
  return [...names.slice(k), ...names.slice(0, k)];
}

/**
 * phases: { name: async (round) => number | Record<string, number> }.
 * Returns { samples: { name: { metric: number[] } }, orders: string[][] }; a bare number is
 * recorded as metric "value".
 */
export async function interleave(phases, { rounds = 5, warmup = 1, log } = {}) {
  const names = Object.keys(phases);
  const samples = Object.fromEntries(names.map((n) => [n, {}]));
  const orders = [];
  for (let r = 0; r < warmup + rounds; r++) {
    const order = rotation(names, r);
    const measured = r >= warmup;
    for (const name of order) {
      const out = await phases[name](r);
      if (!measured) continue;
      const metrics = typeof out === 'number' ? { value: out } : out;
      for (const [metric, value] of Object.entries(metrics)) (samples[name][metric] ??= []).push(value);
    }
    if (measured) orders.push(order);
    log?.(`${measured ? 'round' : 'warm-up'} ${measured ? r - warmup + 1 : r + 1}: ${order.join(' → ')}`);
  }
  return { samples, orders };
}

/** Time `n` sequential awaits of fn; microseconds per call. */
export async function timePerOp(fn, n) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t) * 1000) / n;
}
