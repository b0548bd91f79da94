/** Times as evidence shows them: an ISO instant plus how long ago, from the same clock. */

export function isoSeconds(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `(out of range: ${ms} ms)` : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function span(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 1) return `${Math.round(Math.abs(ms))} ms`;
  if (s < 90) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

/** "2026-11-22T16:30:05Z (3 min ago)". */
export function when(ms: number, now: number): string {
  const d = now - ms;
  return `${isoSeconds(ms)} (${d >= 0 ? `${span(d)} ago` : `in ${span(d)}`})`;
}
