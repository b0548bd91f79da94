import { readFileSync } from 'node:fs';
import { isHarnessError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { redact } from '../redact.js';
import type { Command, CommandContext } from './command.js';

/** Commands load lazily so `--help` and `doctor` never pay for the runner's imports. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: { summary: 'write a starter suite (or one from your OpenAPI document) into your project', load: async () => (await import('./commands/init.js')).default },
  run: { summary: 'run the auth suites against a target (fresh token per test) and write reports', load: async () => (await import('./commands/run.js')).default },
  doctor: { summary: 'walk the troubleshooting tree for a 401/500 and name the root cause', load: async () => (await import('./commands/doctor.js')).default },
  mint: { summary: 'mint a fresh session token (print, export, persist, or run a command with it)', load: async () => (await import('./commands/mint.js')).default },
  templates: { summary: 'list the JWT templates of the Clerk instance', load: async () => (await import('./commands/templates.js')).default },
  audit: { summary: 'validate audit JSONL files against their JSON Schema (audit validate FILE...)', load: async () => (await import('./commands/audit.js')).default },
  emulator: { summary: 'start the bundled Clerk emulator (Backend API + JWKS) on 127.0.0.1', load: async () => (await import('./commands/emulator.js')).default },
  target: { summary: 'start the reference target API (optionally with deliberate flaws)', load: async () => (await import('./commands/target.js')).default },
  load: { summary: 'load-test one endpoint with always-fresh tokens (req/s, p50/p95/p99, refusals by cause, SLOs)', load: async () => (await import('./commands/load.js')).default },
  tokens: { summary: 'serve always-fresh tokens on loopback for other load tools (tokens serve)', load: async () => (await import('./commands/tokens.js')).default },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'clerk-harness — test and diagnose APIs protected by Clerk session JWTs',
    '',
    'Usage: clerk-harness <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show help (also: clerk-harness <command> --help)',
    '  -v, --version  print the version',
    '',
    'Exit codes: 0 ok, 1 findings or failed checks, 2 usage or configuration error, 3 internal error.',
    'Configuration is read from .env.local, then .env, then the environment (the environment wins).',
  ].join('\n');
}

export interface MainIO {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The entry point. The one place that turns outcomes and errors into exit codes. */
export async function main(argv: string[], io: MainIO = {}): Promise<ExitCode> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    if (target && COMMANDS[target]) {
      stdout.write((await COMMANDS[target].load()).help + '\n');
      return EXIT.OK;
    }
    (name === undefined ? stderr : stdout).write(topHelp() + '\n');
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '-v' || name === '--version') {
    stdout.write(version() + '\n');
    return EXIT.OK;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    const near = Object.keys(COMMANDS).find((k) => k.startsWith(name.slice(0, 2)));
    stderr.write(`clerk-harness: unknown command "${name}"${near ? ` (did you mean "${near}"?)` : ''}\nRun \`clerk-harness --help\` for the list of commands.\n`);
    return EXIT.USAGE;
  }
  const command = await entry.load();
  if (rest.includes('-h') || rest.includes('--help')) {
    const dd = rest.indexOf('--');
    const helpAt = Math.max(rest.indexOf('-h'), rest.indexOf('--help'));
    if (dd === -1 || helpAt < dd) {
      stdout.write(command.help + '\n');
      return EXIT.OK;
    }
  }
  const ctx: CommandContext = { argv: rest, stdout, stderr, cwd: io.cwd ?? process.cwd(), env: io.env ?? process.env };
  try {
    return await command.run(ctx);
  } catch (err) {
    if (isHarnessError(err)) {
      // Messages may already name the command ("run: --target ..."); say it once.
      const message = err.message.startsWith(`${name}: `) ? err.message.slice(name.length + 2) : err.message;
      stderr.write(`clerk-harness ${name}: ${redact(message)}\n`);
      if (err.hint) stderr.write(`  fix: ${redact(err.hint)}\n`);
      return EXIT.USAGE;
    }
    stderr.write(`clerk-harness ${name}: internal error (this is a bug in clerk-harness, please report it)\n`);
    stderr.write(redact((err as Error)?.stack ?? String(err)) + '\n');
    return EXIT.BUG;
  }
}
