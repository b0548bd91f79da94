import { parseArgs, type ParseArgsConfig } from 'node:util';
import { echoValue, isHttpUrl, URL_RULES } from '../config/url.js';
import { HarnessError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';

/** What every command receives: argv after the command name and the streams to write to. */
export interface CommandContext {
  argv: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** One line for the top-level help. */
  summary: string;
  /** Full help text (usage, options, examples). */
  help: string;
  run(ctx: CommandContext): Promise<ExitCode>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * util.parseArgs with user-facing errors: an unknown flag or a missing value becomes a USAGE
 * HarnessError that names the flag and points at --help.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  config: { allowPositionals?: boolean } = {},
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: config.allowPositionals ?? false, strict: true });
  } catch (cause) {
    const msg = (cause as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new HarnessError('USAGE', `${command}: ${msg}`, { hint: `run \`clerk-harness ${command} --help\` for the options` });
  }
}

/** The largest TCP port. */
export const MAX_PORT = 65535;

/**
 * Parse a flag value as a positive integer or throw a USAGE error naming the flag. A flag named
 * `port` is a TCP port in every command: over 65535 it is refused here, before anything starts
 * (not as a RangeError from listen() once tokens are minted).
 */
export function intFlag(command: string, flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new HarnessError('USAGE', `${command}: --${flag} must be a whole number, got "${value}"`);
  }
  if (flag === 'port' && n > MAX_PORT) {
    throw new HarnessError('USAGE', `${command}: --port must be 0-${MAX_PORT} (0 = any free port), got ${value}`);
  }
  return n;
}

/**
 * An http(s) URL flag (--target, --url), checked as Node will open it, before anything starts: a
 * port over 65535 or an unclosed IPv6 bracket is a USAGE error naming the flag, not a TypeError
 * from the first request.
 */
export function urlFlag(command: string, flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isHttpUrl(value)) {
    throw new HarnessError('USAGE', `${command}: --${flag} must be an http(s) URL such as http://127.0.0.1:8000, got ${echoValue(value)} (${URL_RULES})`);
  }
  return value;
}
