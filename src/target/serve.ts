/**
 * Run the reference target in the foreground, like a backend process: read the env file once,
 * start, print `listening on http://127.0.0.1:PORT` (tests and scripts parse this line), and stop
 * cleanly on SIGINT/SIGTERM. Shared by server-main.ts and `clerk-harness target`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { HarnessError } from '../errors.js';
import { startReferenceTarget } from './reference.js';
import { targetOptionsFromEnv, type PlainEnv } from './settings.js';
import type { ReferenceTarget, ReferenceTargetOptions } from './types.js';

/** The variables of an env file (dotenv syntax), or an ENV_FILE error naming the file. */
export function readEnvFile(file: string, cwd = process.cwd()): PlainEnv {
  const full = path.resolve(cwd, file);
  try {
    return parse(readFileSync(full, 'utf8'));
  } catch (cause) {
    throw new HarnessError('ENV_FILE', `cannot read env file ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, {
      hint: 'pass an existing file to --env-file (e.g. the env lines printed by `clerk-harness emulator`)',
      cause,
    });
  }
}

export interface ServeInput {
  /** Settings from the env file (or environment) before flag overrides. */
  env: PlainEnv;
  envSource: string;
  cwd: string;
  overrides?: Partial<ReferenceTargetOptions>;
}

/** Resolve settings and start the target; EADDRINUSE and friends become one-line HarnessErrors. */
export async function startFromSettings(input: ServeInput): Promise<{ target: ReferenceTarget; options: ReferenceTargetOptions }> {
  const base = targetOptionsFromEnv(input.env, { source: input.envSource, cwd: input.cwd });
  const o = input.overrides ?? {};
  const options: ReferenceTargetOptions = {
    ...base,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    flaws: [...new Set([...(base.flaws ?? []), ...(o.flaws ?? [])])],
  };
  try {
    return { target: await startReferenceTarget(options), options };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new HarnessError('USAGE', `cannot listen on port ${options.port}: ${code === 'EADDRINUSE' ? 'already in use' : 'permission denied'}`, {
        hint: 'choose another --port (or PORT=0 for any free port)',
        cause,
      });
    }
    throw cause;
  }
}

/** Resolves when the process is asked to stop (SIGINT/SIGTERM), after the target has stopped. */
export async function serveUntilSignal(target: ReferenceTarget, io: { stdout: NodeJS.WritableStream }): Promise<void> {
  io.stdout.write(`listening on ${target.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await target.stop();
}
