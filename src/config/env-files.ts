import path from 'node:path';
import { parse } from 'dotenv';
import { readUserFileSync, userFileExists } from './user-file.js';

/** Where a variable's value came from, for error messages ("CLERK_SECRET_KEY (from .env.local)"). */
export interface EnvValue {
  value: string;
  source: string;
  /**
   * The variable is also set in the environment, but empty there: an empty environment variable
   * means "unset" (CI templates leave them so), so the file's value stands and messages say so.
   */
  emptyInEnvironment?: boolean;
}

export type EnvMap = Record<string, EnvValue>;

/** Env files larger than this are refused (they are read whole). */
export const MAX_ENV_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Read `.env.local`, then `.env`, then the real environment; earlier files win over later ones and
 * the real environment wins over both (the dotenv convention, and what CI expects), except that
 * an empty environment variable does not hide a file's value. Files are read once, only when they
 * are regular UTF-8 files (a directory, FIFO, device, dangling symlink or UTF-16 file is an
 * ENV_FILE error naming it); nothing is written to process.env.
 */
export function readEnv(options: { cwd?: string; files?: string[]; environment?: NodeJS.ProcessEnv } = {}): EnvMap {
  const cwd = options.cwd ?? process.cwd();
  const files = options.files ?? ['.env.local', '.env'];
  const out: EnvMap = {};
  for (const file of [...files].reverse()) {
    const full = path.resolve(cwd, file);
    if (!userFileExists(full)) continue;
    const text = readUserFileSync(full, { what: `env file ${file}`, code: 'ENV_FILE', maxBytes: MAX_ENV_FILE_BYTES });
    for (const [k, v] of Object.entries(parse(text))) out[k] = { value: v, source: file };
  }
  const environment = options.environment ?? process.env;
  for (const [k, v] of Object.entries(environment)) {
    if (v === undefined) continue;
    const fromFile = out[k];
    if (v.trim() === '' && fromFile && fromFile.value.trim() !== '') fromFile.emptyInEnvironment = true;
    else out[k] = { value: v, source: 'environment' };
  }
  return out;
}
