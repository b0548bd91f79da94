/**
 * Audit file locations: a path pattern relative to a base directory with UTC date tokens, as the
 * seeds' `logs/audit/jobs/audit_YYYYMMDD.jsonl` (one file per UTC day).
 */
import { isAbsolute, resolve } from 'node:path';
import { HarnessError } from '../errors.js';
import type { AuditLocation } from './types.js';

export const DEFAULT_AUDIT_PATTERN = 'logs/audit/jobs/audit_{YYYYMMDD}.jsonl';
const TOKEN = /\{([A-Za-z]+)\}/g;
const DAY_MS = 86_400_000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Absolute path of the audit file for the UTC day of `date`. */
export function auditPathFor(location: AuditLocation, date: Date): string {
  const yyyy = pad(date.getUTCFullYear(), 4);
  const mm = pad(date.getUTCMonth() + 1, 2);
  const dd = pad(date.getUTCDate(), 2);
  const values: Record<string, string> = { YYYYMMDD: `${yyyy}${mm}${dd}`, YYYY: yyyy, MM: mm, DD: dd };
  const relative = location.pattern.replace(TOKEN, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new HarnessError('SUITE_INVALID', `audit path pattern "${location.pattern}" has an unknown token ${whole}`, {
        hint: 'use {YYYYMMDD}, {YYYY}, {MM} or {DD} (UTC date), e.g. logs/audit/jobs/audit_{YYYYMMDD}.jsonl',
      });
    }
    return value;
  });
  return isAbsolute(relative) ? relative : resolve(location.baseDir, relative);
}

/**
 * The files a write "now" may land in: yesterday's, today's and tomorrow's (UTC), deduplicated.
 * Tomorrow covers a date rollover between checkpoint and read; yesterday and tomorrow also cover a
 * target whose clock is a little off around midnight. A pattern without tokens yields one file.
 */
export function candidateAuditPaths(location: AuditLocation, now: Date): string[] {
  const t = now.getTime();
  const paths = [t - DAY_MS, t, t + DAY_MS].map((ms) => auditPathFor(location, new Date(ms)));
  return [...new Set(paths)];
}
