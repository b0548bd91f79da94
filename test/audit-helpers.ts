/** Shared by the audit tests: entries in the shape the project agrees on, and temp dirs. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SUB = 'user_2xAbc123';
export const IAT = 1763824800;

const ALCOA = {
  alcoa_attributable: true,
  alcoa_legible: true,
  alcoa_contemporaneous: true,
  alcoa_original: true,
  alcoa_accurate: true,
};

export function successEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    event: 'job.created',
    outcome: 'success',
    timestamp: '2026-11-22T16:40:00.123Z',
    user_id: SUB,
    user_email: null,
    session_id: 'sess_2xSess1',
    token_iat: IAT,
    method: 'POST',
    path: '/jobs',
    status: 201,
    resource_id: 'job_1',
    ...ALCOA,
    ...overrides,
  };
}

export function failureEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    event: 'auth.rejected',
    outcome: 'failure',
    timestamp: '2026-11-22T16:40:00.123Z',
    user_id: null,
    token_iat: null,
    method: 'POST',
    path: '/jobs',
    status: 401,
    reason: 'Token expired',
    ...ALCOA,
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

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `clerk-harness-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
