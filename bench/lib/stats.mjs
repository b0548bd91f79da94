/**
 * Summaries for benchmarks: median and min–max over rounds, ratios paired by round (a ratio is
 * taken inside one round, where both phases saw the same machine load, then summarised).
 */

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summary(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** Per-round ratios a[i] / b[i] of two sample lists taken in the same rounds. */
export function pairedRatios(a, b) {
  return a.map((x, i) => x / b[i]);
}

/** "12.3 (11.9–13.0)" with `digits` decimals (or a formatter). */
export function fmtRange(values, digits = 2) {
  const f = typeof digits === 'function' ? digits : (x) => x.toFixed(digits);
  const s = summary(values);
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export const int = (x) => Math.round(x).toLocaleString('en');

/** Left-aligned first column, right-aligned others. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]?.length ?? 0)));
  return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

/** One line naming the machine, so figures are never read without their context. */
export async function machineLine() {
  const os = await import('node:os');
  const cpus = os.cpus();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return `node ${process.version}, ${process.platform}/${process.arch}, ${cpus.length} × ${cpus[0]?.model?.trim() ?? '?'}, load avg ${load} (shared machine: figures are noisy)`;
}
