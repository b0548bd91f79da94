/**
 * Shared by the audit tests: entries in the shape the source documents give for
 * logs/audit/jobs/audit_YYYYMMDD.jsonl (user_id from sub, user_email may be null, token_iat from
 * iat, alcoa_attributable, alcoa_contemporaneous "timestamp captured", an event and a timestamp;
 * a refused request as {"event":"auth_failed","reason":"Token expired","user_id":null,
 * "alcoa_attributable":false,...}), and temp dirs.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AUDIT_SCHEMA } from '../src/audit/schema.js';

export const SUB = 'user_2xAbc123';
export const IAT = 1763824800;
export const STAMP = '2026-11-22T16:40:00.123Z';

/** An accepted request's line: job_created, attributed to the token, with a timestamp beside alcoa_contemporaneous. */
export function successEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event: 'job_created',
    job_id: 'job_1',
    user_id: SUB,
    user_email: null,
    token_iat: IAT,
    alcoa_attributable: true,
    alcoa_contemporaneous: true,
    timestamp: STAMP,
    ...overrides,
  };
}

/** The same line where alcoa_contemporaneous holds the captured time itself (no timestamp field). */
export function capturedTimeEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...without(successEntry(), 'timestamp'), alcoa_contemporaneous: STAMP, ...overrides };
}

/** A refused request's line, as the documents show it. */
export function failureEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event: 'auth_failed',
    reason: 'Token expired',
    user_id: null,
    alcoa_attributable: false,
    timestamp: STAMP,
    ...overrides,
  };
}

/** Drop keys from an entry (a target that omits a field). */
export function without(entry: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...entry };
  for (const k of keys) delete copy[k];
  return copy;
}

export const line = (entry: unknown): string => `${JSON.stringify(entry)}\n`;

/**
 * A user schema that extends the bundled one (a copy next to it, by $ref) and declares `x-unique`
 * fields, as a team would to require a unique request id. Returns the user schema's path.
 */
export async function writeUniqueSchema(dir: string, unique: string[], name = 'unique.schema.json'): Promise<string> {
  await copyFile(DEFAULT_AUDIT_SCHEMA, join(dir, 'bundled.schema.json'));
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    'x-unique': unique,
    allOf: [{ $ref: 'bundled.schema.json' }],
  }));
  return path;
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `clerk-harness-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
