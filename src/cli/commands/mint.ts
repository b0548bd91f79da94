/**
 * `clerk-harness mint`: argv and wiring only. Mints a fresh token through the one token source and
 * prints it (bare, json, bash, powershell, dotenv), persists it to an env file, or runs a command
 * with it in CLERK_TOKEN ("chain generation and testing without delay").
 *
 * The full token goes to stdout (or the named file, or the child's environment) on purpose: that
 * is what the user asked for. Notes and errors go to stderr and never contain it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { valueProblem } from '../../config/placeholders.js';
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { checkPersistTarget, persistEnvVar } from '../../tokens/env-persist.js';
import { formatToken, isTokenFormat, secondsLeft, TOKEN_FORMATS, type TokenFormat } from '../../tokens/format.js';
import { intFlag, parseCommandArgs, type Command, type CommandContext } from '../command.js';

const help = `Usage: clerk-harness mint [options]
       clerk-harness mint [options] --exec -- COMMAND [ARGS...]

Mint a fresh Clerk session token (or JWT-template token) for the test user, from real Clerk or the
emulator (whichever CLERK_API_URL points at), and print, persist or use it at once.

Options:
  --format FORMAT       ${TOKEN_FORMATS.join(', ')} (default bare: the token alone)
                          json: token, decoded header and claims, seconds left
                          bash: export CLERK_TOKEN='…'   powershell: $env:CLERK_TOKEN = '…'
  --template NAME       mint from this JWT template (e.g. server-token)
  --expires-in SECONDS  token lifetime, 30 to 315360000 (default: 60 s, or the template's)
  --user-id ID          mint for this user (default CLERK_TEST_USER_ID, else find or create
                        CLERK_TEST_USER_EMAIL)
  --persist FILE        set CLERK_TOKEN in FILE (e.g. .env.local) atomically; every other line,
                        comment, quote style and line ending stays as it was
  --exec -- CMD ARGS    run CMD with CLERK_TOKEN in its environment. Exit status: 0 when CMD
                        succeeds, 1 when it fails (any non-zero code or a signal; the real code is
                        printed), 2 when it cannot be started.
  -h, --help            show this help
With --persist or --exec nothing is printed to stdout unless --format is given.

Configuration: CLERK_SECRET_KEY (required), CLERK_API_URL (default https://api.clerk.com),
CLERK_TEST_USER_ID / CLERK_TEST_USER_EMAIL, from .env.local, .env or the environment. With none of
them set, a \`clerk-harness emulator\` running in this folder is used.

Examples:
  eval "$(clerk-harness mint --format bash)"
  clerk-harness mint --format powershell | Invoke-Expression
  clerk-harness mint --template server-token --persist .env.local
  clerk-harness mint --exec -- sh -c 'curl -H "Authorization: Bearer $CLERK_TOKEN" http://127.0.0.1:8000/jobs'`;

const OPTIONS = {
  format: { type: 'string' },
  template: { type: 'string' },
  'expires-in': { type: 'string' },
  'user-id': { type: 'string' },
  persist: { type: 'string' },
  exec: { type: 'boolean' },
} as const;

/** Split argv at the first `--`: options before, the command to exec after. */
function splitExec(argv: string[]): { own: string[]; exec?: string[] } {
  const at = argv.indexOf('--');
  return at === -1 ? { own: argv } : { own: argv.slice(0, at), exec: argv.slice(at + 1) };
}

function checkUserId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const problem = valueProblem(id);
  if (problem) throw new HarnessError('USAGE', `mint: --user-id ${problem.detail}`, { hint: 'pass a real user id such as user_2abcXYZ… (no angle brackets)' });
  if (!/^user_[A-Za-z0-9]{6,}$/.test(id)) throw new HarnessError('USAGE', `mint: --user-id "${id}" is not a Clerk user id (user_ followed by letters and digits)`);
  return id;
}

/** A template name goes into the Backend API path: letters, digits, _ . - only, never `..`. */
function checkTemplate(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || /^\.+$/.test(name)) {
    const shown = JSON.stringify(name.length > 70 ? `${name.slice(0, 67)}...` : name);
    throw new HarnessError('USAGE', `mint: --template ${shown} is not a JWT template name (1-64 letters, digits, _ . -; no / or ..)`, {
      hint: 'use the name exactly as in Dashboard → JWT templates (`clerk-harness templates` lists them)',
    });
  }
  return name;
}

/** Run the child with CLERK_TOKEN set; map its outcome onto the CLI's exit codes (see help). */
function runWithToken(ctx: CommandContext, cmd: string[], token: string): Promise<ExitCode> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = cmd;
    // Ctrl-C reaches the child through the terminal; we stay alive to report its exit status.
    // SIGTERM/SIGHUP (a CI timeout, a closed terminal) reach only us: pass them on, never orphan it.
    // The handlers go in before the child starts: the child may print (and a supervisor react to
    // it with SIGTERM) before spawn() has returned here, and a signal with no handler yet would
    // kill this process and orphan the child. Handlers run from the event loop, after spawn().
    let child: ReturnType<typeof spawn> | undefined;
    const ignore = () => undefined;
    const forward = (signal: NodeJS.Signals) => child?.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    try {
      child = spawn(file, args, {
        cwd: ctx.cwd,
        env: { ...ctx.env, CLERK_TOKEN: token },
        stdio: 'inherit',
        shell: process.platform === 'win32', // .cmd/.bat shims need the shell on Windows
      });
    } catch (err) {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      throw err;
    }
    const done = () => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      const why = err.code === 'ENOENT' ? 'command not found' : err.message;
      reject(new HarnessError('USAGE', `--exec: cannot start "${file}": ${why}`, { hint: 'check the command after `--` (it is run without a shell; use sh -c "..." for shell syntax)', cause: err }));
    });
    child.on('exit', (code, signal) => {
      done();
      if (code === 0) return resolve(EXIT.OK);
      ctx.stderr.write(`clerk-harness mint: "${file}" ${signal ? `was killed by ${signal}` : `exited with code ${code}`} (reported as exit 1)\n`);
      resolve(EXIT.FINDINGS);
    });
  });
}

const command: Command = {
  summary: 'mint a fresh session token (print, export, persist, or run a command with it)',
  help,
  async run(ctx) {
    const { own, exec } = splitExec(ctx.argv);
    const { values, positionals } = parseCommandArgs('mint', own, OPTIONS, { allowPositionals: true });
    if (positionals.length) throw new HarnessError('USAGE', `mint: unexpected argument "${positionals[0]}"`, { hint: 'to run a command with the token use: clerk-harness mint --exec -- COMMAND ARGS' });
    if (values.exec && (!exec || exec.length === 0)) throw new HarnessError('USAGE', 'mint: --exec needs a command after `--`', { hint: 'e.g. clerk-harness mint --exec -- npm test' });
    if (exec && !values.exec) throw new HarnessError('USAGE', 'mint: arguments after `--` need --exec before them', { hint: 'e.g. clerk-harness mint --exec -- npm test' });
    const format = values.format ?? 'bare';
    if (!isTokenFormat(format)) throw new HarnessError('USAGE', `mint: --format must be one of ${TOKEN_FORMATS.join(', ')}, got "${format}"`);
    const expiresIn = values['expires-in'] === undefined ? undefined : intFlag('mint', 'expires-in', values['expires-in'], 60);
    if (expiresIn !== undefined && (expiresIn < 30 || expiresIn > 315_360_000)) {
      throw new HarnessError('USAGE', `mint: --expires-in must be between 30 and 315360000 seconds, got ${expiresIn}`);
    }
    const userId = checkUserId(values['user-id']);
    const template = checkTemplate(values.template);
    if (values.persist !== undefined && values.persist.trim() === '') {
      throw new HarnessError('USAGE', 'mint: --persist needs a file name, got an empty one', { hint: 'e.g. --persist .env.local (the token is not printed when --persist is given)' });
    }
    // A file that cannot be edited safely is refused before a token exists.
    if (values.persist !== undefined) await checkPersistTarget(path.resolve(ctx.cwd, values.persist));
    // Loaded only now, so `mint --help` and flag errors never pay for @clerk/backend, jose or ajv.
    const [{ createTokenSource }, { loadClerkSettings }] = await Promise.all([import('../../tokens/clerk-source.js'), import('../../tokens/local-emulator.js')]);

    const { config, fromEmulatorFile } = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env });
    if (fromEmulatorFile) ctx.stderr.write(`clerk-harness mint: using the emulator at ${config.clerkApiUrl} (no CLERK_SECRET_KEY configured; found ${fromEmulatorFile})\n`);
    const source = await createTokenSource({
      apiUrl: config.clerkApiUrl,
      secretKey: config.clerkSecretKey!,
      testUserId: userId ?? config.testUserId,
      testUserIdFrom: userId ? '--user-id' : 'CLERK_TEST_USER_ID',
      testUserEmail: config.testUserEmail,
    });
    const minted = await source.mint({ template, expiresInSeconds: expiresIn });
    const left = secondsLeft(minted);
    const about = `${values.template ? `"${values.template}" template token` : 'session token'} for ${String(minted.claims.sub)}, expires in ${left ?? '?'} s`;

    if (values.persist) {
      const result = await persistEnvVar(path.resolve(ctx.cwd, values.persist), 'CLERK_TOKEN', minted.token);
      ctx.stderr.write(`clerk-harness mint: CLERK_TOKEN ${result.created ? 'written to new file' : result.actions.CLERK_TOKEN === 'replaced' ? 'replaced in' : 'added to'} ${values.persist} (${about})\n`);
    }
    const explicitFormat = values.format !== undefined;
    if (explicitFormat || (!values.persist && !exec)) ctx.stdout.write(formatToken(minted, format as TokenFormat) + '\n');
    if (exec) return runWithToken(ctx, exec, minted.token);
    return EXIT.OK;
  },
};
export default command;
