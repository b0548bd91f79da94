/**
 * Read the backend's env file the way dotenv does (values), and remember where each key is
 * assigned (lines), so evidence can say ".env.local:7".
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'dotenv';
import { MAX_ENV_FILE_BYTES } from '../../config/env-files.js';
import { readUserFileSync } from '../../config/user-file.js';
import type { EnvEntry } from '../types.js';

export interface EnvFileRead {
  path: string;
  display: string;
  values: Record<string, EnvEntry>;
  mtimeMs: number;
}

/** `file` relative to cwd when inside it, else absolute: what the user typed, more or less. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** The line assigning each key; the last one wins, as in dotenv. */
function assignmentLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]/.exec(line);
    if (m) lines.set(m[1], i + 1);
  });
  return lines;
}

/**
 * Throws for the caller to turn into an outcome: UserFileError (problem "missing", a dangling
 * symlink, a directory/FIFO/device, too large, UTF-16) or an fs error. Only regular files are
 * read, and at most MAX_ENV_FILE_BYTES of them: /dev/zero or a FIFO never blocks doctor.
 */
export async function readBackendEnv(file: string, cwd: string): Promise<EnvFileRead> {
  const full = path.resolve(cwd, file);
  const what = `env file ${displayPath(full, cwd)}`;
  const text = readUserFileSync(full, { what, code: 'ENV_FILE', maxBytes: MAX_ENV_FILE_BYTES });
  const info = await stat(full);
  const parsed = parse(text);
  const lines = assignmentLines(text);
  const values: Record<string, EnvEntry> = {};
  for (const [k, v] of Object.entries(parsed)) values[k] = { value: v, line: lines.get(k) ?? 0 };
  return { path: full, display: displayPath(full, cwd), values, mtimeMs: info.mtimeMs };
}

/** "file:line KEY" for evidence. */
export function where(env: { display: string; values: Record<string, EnvEntry> }, key: string): string {
  const line = env.values[key]?.line;
  return line ? `${env.display}:${line}` : env.display;
}
