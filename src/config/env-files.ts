import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { HarnessError } from '../errors.js';

/** Where a variable's value came from, for error messages ("CLERK_SECRET_KEY (from .env.local)"). */
export interface EnvValue {
  value: string;
  source: string;
}

export type EnvMap = Record<string, EnvValue>;

/**
 * Read `.env.local`, then `.env`, then the real environment; earlier files win over later ones and
 * the real environment wins over both (the dotenv convention, and what CI expects). Files are read
 * once; nothing is written to process.env.
 */
export function readEnv(options: { cwd?: string; files?: string[]; environment?: NodeJS.ProcessEnv } = {}): EnvMap {
  const cwd = options.cwd ?? process.cwd();
  const files = options.files ?? ['.env.local', '.env'];
  const out: EnvMap = {};
  for (const file of [...files].reverse()) {
    const full = path.resolve(cwd, file);
    if (!existsSync(full)) continue;
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (cause) {
      throw new HarnessError('ENV_FILE', `cannot read env file ${file}: ${(cause as Error).message}`, { cause });
    }
    for (const [k, v] of Object.entries(parse(text))) out[k] = { value: v, source: file };
  }
  const environment = options.environment ?? process.env;
  for (const [k, v] of Object.entries(environment)) {
    if (v !== undefined) out[k] = { value: v, source: 'environment' };
  }
  return out;
}
