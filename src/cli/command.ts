import { parseArgs, type ParseArgsConfig } from 'node:util';
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

/** Parse a flag value as a positive integer or throw a USAGE error naming the flag. */
export function intFlag(command: string, flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new HarnessError('USAGE', `${command}: --${flag} must be a whole number, got "${value}"`);
  }
  return n;
}
