/** Flag values of `load` and `tokens serve`: durations (30s, 200ms, 2m), percentages, rates (20/10s). */
import { HarnessError } from '../errors.js';
import type { RateLimit } from './rate-limit.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "30s", "200ms", "1.5m", or a bare number in `bareUnit` ("s" for durations). */
export function parseDuration(flag: string, value: string, bareUnit: 'ms' | 's' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?\s*$/i.exec(value);
  if (!m) throw new HarnessError('USAGE', `--${flag} must be a duration such as 30s, 200ms or 2m, got "${value}"`);
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? bareUnit).toLowerCase()]!;
  if (!(ms > 0)) throw new HarnessError('USAGE', `--${flag} must be more than 0, got "${value}"`);
  return ms;
}

/** "0.1%" -> 0.001; "0.001" -> 0.001. */
export function parseFraction(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(value);
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(n >= 0 && n <= 1)) throw new HarnessError('USAGE', `--${flag} must be a percentage such as 0.1% (or a fraction 0..1), got "${value}"`);
  return n;
}

/** "20/10s", "2/s", "100/min": calls per window. */
export function parseRate(flag: string, value: string): RateLimit {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|sec|m|min|h)\s*$/i.exec(value);
  if (!m || Number(m[1]) < 1) throw new HarnessError('USAGE', `--${flag} must be calls per window such as 20/10s, 2/s or 100/min, got "${value}"`);
  return { calls: Number(m[1]), perMs: Number(m[2] ?? 1) * UNIT_MS[m[3]!.toLowerCase()]! };
}

export function formatRate(limit: RateLimit): string {
  const s = limit.perMs / 1000;
  return `${limit.calls}/${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}
