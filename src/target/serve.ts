/**
 * Run the reference target in the foreground, like a backend process: read the env file once,
 * start, print `listening on http://127.0.0.1:PORT` (tests and scripts parse this line), and stop
 * cleanly on SIGINT/SIGTERM. Shared by server-main.ts and `clerk-harness target`.
 */
import path from 'node:path';
import { parse } from 'dotenv';
import { MAX_ENV_FILE_BYTES } from '../config/env-files.js';
import { readUserFileSync, UserFileError } from '../config/user-file.js';
import { HarnessError } from '../errors.js';
import { startReferenceTarget } from './reference.js';
import { targetOptionsFromEnv, type PlainEnv } from './settings.js';
import type { ReferenceTarget, ReferenceTargetOptions } from './types.js';

/**
 * The variables of an env file (dotenv syntax), read through the bounded user-file reader: a
 * directory, FIFO, device or UTF-16 file is an ENV_FILE error naming it, never a hang.
 */
export function readEnvFile(file: string, cwd = process.cwd()): PlainEnv {
  try {
    return parse(readUserFileSync(path.resolve(cwd, file), { what: `env file ${file}`, code: 'ENV_FILE', maxBytes: MAX_ENV_FILE_BYTES }));
  } catch (err) {
    if (!(err instanceof UserFileError)) throw err;
    throw new UserFileError(err.code, err.problem, err.message, err.hint ?? 'pass an existing file to --env-file (e.g. the env lines printed by `clerk-harness emulator`)', err.cause);
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
