/**
 * Zero-configuration minting: while `clerk-harness emulator` runs it keeps its env lines in
 * .clerk-harness/emulator.env (mode 0600, removed on exit). When CLERK_SECRET_KEY is configured
 * nowhere, commands use that file, as a whole (URL and key together, never mixed with a real key).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'dotenv';
import { loadConfig, type HarnessConfig } from '../config/load.js';
import { HarnessError } from '../errors.js';
import { persistEnvVars } from './env-persist.js';

export const EMULATOR_RUNTIME_FILE = path.join('.clerk-harness', 'emulator.env');

export async function writeRuntimeEnv(cwd: string, env: Record<string, string>): Promise<string> {
  const file = path.join(cwd, EMULATOR_RUNTIME_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  await persistEnvVars(file, env);
  return file;
}

/** Remove the runtime file if it still describes the emulator at `url` (another may have started since). */
export async function removeRuntimeEnv(cwd: string, url: string): Promise<void> {
  const file = path.join(cwd, EMULATOR_RUNTIME_FILE);
  try {
    if (parse(readFileSync(file, 'utf8')).CLERK_API_URL === url) await unlink(file);
  } catch {
    // already gone
  }
}

export interface ClerkSettings {
  config: HarnessConfig;
  /** Set when the settings came from a running emulator's runtime file. */
  fromEmulatorFile?: string;
}

/**
 * The configuration for commands that talk to Clerk: CLERK_SECRET_KEY is required, unless a local
 * emulator's runtime file can supply it (then CLERK_API_URL comes from the same file).
 */
export function loadClerkSettings(options: { cwd: string; environment: NodeJS.ProcessEnv }): ClerkSettings {
  try {
    return { config: loadConfig({ cwd: options.cwd, environment: options.environment, require: ['CLERK_SECRET_KEY'] }) };
  } catch (err) {
    const file = path.join(options.cwd, EMULATOR_RUNTIME_FILE);
    if (!(err instanceof HarnessError) || err.code !== 'CONFIG_MISSING' || !existsSync(file)) throw err;
    const runtime = parse(readFileSync(file, 'utf8'));
    if (!runtime.CLERK_SECRET_KEY || !runtime.CLERK_API_URL) throw err;
    const environment = { ...options.environment, CLERK_API_URL: runtime.CLERK_API_URL, CLERK_SECRET_KEY: runtime.CLERK_SECRET_KEY };
    return { config: loadConfig({ cwd: options.cwd, environment, require: ['CLERK_SECRET_KEY'] }), fromEmulatorFile: EMULATOR_RUNTIME_FILE };
  }
}
