/**
 * `clerk-harness emulator`: argv and wiring only. Starts the bundled Clerk emulator, prints the
 * env lines a backend needs (or writes them to an env file), logs one line per request and runs
 * until Ctrl-C. `emulator rotate` / `emulator fault` drive one that is already running.
 *
 * Secrets: the emulator's secret key is a throwaway test key, but a backend and `mint` need it,
 * so it is printed in full exactly once, in the env block; with --write-env it goes to the file
 * only and the terminal shows it redacted. Request logs never contain headers.
 */
import path from 'node:path';
import { HarnessError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { redactSecretKey } from '../../redact.js';
import type { FaultInjection } from '../../emulator/types.js';
import { checkFault } from '../../emulator/faults.js';
import { intFlag, parseCommandArgs, type Command, type CommandContext } from '../command.js';
import { paint, useColor } from '../output.js';

const DEFAULT_PORT = 4600;
const DEFAULT_KEY_FILE = path.join('.clerk-harness', 'emulator-key.json');
/** Template tokens usually exist to carry the email a session token lacks. */
const DEFAULT_TEMPLATE_CLAIMS = { email: '{{user.primary_email_address}}' };

const OPTIONS = {
  port: { type: 'string' },
  'key-file': { type: 'string' },
  ephemeral: { type: 'boolean' },
  'write-env': { type: 'string' },
  'secret-key': { type: 'string' },
  template: { type: 'string', multiple: true },
  rotate: { type: 'boolean' },
  fault: { type: 'string', multiple: true },
  'authorized-party': { type: 'string' },
  'clock-offset': { type: 'string' },
  quiet: { type: 'boolean' },
  url: { type: 'string' },
  status: { type: 'string' },
  count: { type: 'string' },
  'retry-after': { type: 'string' },
  path: { type: 'string' },
  'env-file': { type: 'string', multiple: true },
  timeout: { type: 'string' },
} as const;

const help = `Usage: clerk-harness emulator [options]
       clerk-harness emulator rotate [--url URL] [--secret-key KEY]
       clerk-harness emulator fault --status N [--count N] [--retry-after S] [--path REGEX] [--url URL] [--secret-key KEY]
       clerk-harness emulator wait [--env-file FILE]... [--timeout SECS]

Start a local stand-in for Clerk's Backend API and JWKS on 127.0.0.1. @clerk/backend, PyJWT or
jose accept its tokens once your backend has the env lines it prints. Runs until Ctrl-C.

Options:
  --port N                port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)
  --key-file FILE         keep the signing key and secret key here across restarts
                          (default ${DEFAULT_KEY_FILE}; mode 0600, never commit it)
  --ephemeral             use a throwaway key and secret key (no key file)
  --rotate                replace the stored key with a new one at start (reproduce a rotation)
  --write-env FILE        set the env lines in FILE (e.g. .env.local), keeping every other line
  --secret-key KEY        secret key to accept (sk_test_ + letters/digits; default: generated)
  --template NAME[:SECS]  create a JWT template (claims: {"email": "{{user.primary_email_address}}"},
                          lifetime SECS, default 60); repeatable
  --authorized-party URL  put this origin in \`azp\` (default: none, as BAPI-minted tokens)
  --clock-offset SECS     shift the emulator's clock (negative = behind) to reproduce skew
  --fault SPEC            fail the next requests: STATUS[xCOUNT][,retry-after=S][,path=REGEX],
                          e.g. 429x2,retry-after=1 or 503; repeatable
  --quiet                 no request log
  -h, --help              show this help

Subcommands (for a running emulator; --url/--secret-key default to CLERK_API_URL/CLERK_SECRET_KEY):
  rotate                  replace its signing key now; the old kid leaves the JWKS
  fault                   make the next --count requests answer --status
  wait                    wait until the emulator each --env-file names (default: the one commands
                          in this folder use) answers, accepts the file's secret key and serves the
                          file's PEM; exit 1 after --timeout (default 30) s. A stale file never passes

Examples:
  clerk-harness emulator --write-env .env.local --template server-token
  clerk-harness mint --format json          # in another shell, same folder
  clerk-harness emulator fault --status 429 --count 2 --retry-after 1
  clerk-harness emulator --write-env ../backend/.env.local --quiet &
  clerk-harness emulator wait --env-file ../backend/.env.local --timeout 30`;

export function parseFaultSpec(spec: string): FaultInjection {
  const [head, ...opts] = spec.split(',');
  const m = /^(\d{3})(?:x(\d+))?$/.exec(head.trim());
  if (!m) throw new HarnessError('USAGE', `emulator: --fault "${spec}" must look like 429x2,retry-after=1 or 503`);
  const fault: FaultInjection = { status: Number(m[1]), count: m[2] ? Number(m[2]) : 1 };
  for (const opt of opts) {
    const [k, ...v] = opt.split('=');
    const value = v.join('=');
    if (k.trim() === 'retry-after' && /^\d+$/.test(value)) fault.retryAfterSeconds = Number(value);
    else if (k.trim() === 'path' && value) fault.pathPattern = value;
    else throw new HarnessError('USAGE', `emulator: unknown --fault option "${opt}" (use retry-after=SECONDS or path=REGEX)`);
  }
  return checkedFault(fault);
}

/** The emulator's own check (status, count, a path pattern compiled as it will run: RE2, no backtracking), as a usage error. */
function checkedFault(fault: FaultInjection): FaultInjection {
  try {
    checkFault(fault);
  } catch (err) {
    if (err instanceof TypeError) throw new HarnessError('USAGE', `emulator: --fault: ${err.message}`, { hint: 'e.g. --fault 503:2,path=^/v1/sessions' });
    throw err;
  }
  return fault;
}

/** Clerk's bounds for a JWT template's token lifetime, in seconds. */
const MIN_LIFETIME = 30;
const MAX_LIFETIME = 315_360_000;
/** Ten years either way: more is not clock skew, and Date cannot show 1e308 s. */
const MAX_CLOCK_OFFSET = 315_360_000;

function parseTemplate(spec: string): { name: string; lifetime?: number; claims: Record<string, unknown> } {
  const m = /^([A-Za-z0-9_.-]{1,64})(?::(\d+))?$/.exec(spec);
  if (!m || m[1] === '.' || m[1] === '..') throw new HarnessError('USAGE', `emulator: --template "${spec}" must be NAME or NAME:SECONDS (letters, digits, _ . -)`);
  const lifetime = m[2] ? Number(m[2]) : undefined;
  if (lifetime !== undefined && (lifetime < MIN_LIFETIME || lifetime > MAX_LIFETIME)) {
    throw new HarnessError('USAGE', `emulator: --template "${spec}": the lifetime must be ${MIN_LIFETIME} to ${MAX_LIFETIME} seconds, got ${m[2]}`, { hint: `e.g. --template ${m[1]}:60` });
  }
  return { name: m[1], lifetime, claims: DEFAULT_TEMPLATE_CLAIMS };
}

/** --authorized-party is an origin (scheme, host, port), as `azp` holds and authorizedParties lists. */
function checkAuthorizedParty(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let origin: string | undefined;
  try {
    const u = new URL(value);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname && value.replace(/\/$/, '') === u.origin) origin = u.origin;
  } catch {
    // not a URL
  }
  if (!origin) {
    throw new HarnessError('USAGE', `emulator: --authorized-party must be an origin such as https://app.example.com or http://localhost:3000, got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`, { hint: 'scheme, host and port only: no path, no trailing text' });
  }
  return origin;
}

function checkSecretKey(key: string | undefined): string | undefined {
  if (key !== undefined && !/^sk_(test|live)_[A-Za-z0-9]{8,}$/.test(key)) {
    throw new HarnessError('USAGE', 'emulator: --secret-key must be sk_test_ followed by at least 8 letters or digits');
  }
  return key;
}

/** --url / --secret-key of a running emulator, defaulting to the configuration. */
async function remoteTarget(ctx: CommandContext, values: { url?: string; 'secret-key'?: string }): Promise<{ url: string; secretKey: string }> {
  const { loadConfig } = await import('../../config/load.js');
  const config = loadConfig({ cwd: ctx.cwd, environment: ctx.env, require: values['secret-key'] ? [] : ['CLERK_SECRET_KEY'] });
  const url = values.url ?? (config.sources.CLERK_API_URL ? config.clerkApiUrl : `http://127.0.0.1:${DEFAULT_PORT}`);
  return { url, secretKey: values['secret-key'] ?? config.clerkSecretKey! };
}

async function runSubcommand(ctx: CommandContext, sub: string, values: Record<string, unknown>): Promise<0> {
  const target = await remoteTarget(ctx, values as { url?: string; 'secret-key'?: string });
  const [{ injectRemoteFault, rotateRemoteKey }, { checkIsEmulator }] = await Promise.all([import('../../emulator/admin-client.js'), import('../../tokens/mode.js')]);
  // Something else at that URL (200 {} to everything, a huge body, garbage bytes) is said so
  // before the admin call reads its answer.
  await checkIsEmulator(target.url, target.secretKey);
  if (sub === 'rotate') {
    const answer = await rotateRemoteKey(target.url, target.secretKey);
    const { kid, public_pem: pem } = (answer ?? {}) as { kid?: unknown; public_pem?: unknown };
    if (typeof kid !== 'string' || typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
      throw new HarnessError('CLERK_API', `${target.url} answered the rotation without a new kid and public key; it does not answer like a clerk-harness emulator`, {
        hint: 'pass the URL `clerk-harness emulator` printed with --url (or set CLERK_API_URL to it)',
      });
    }
    const { formatEnvValue } = await import('../../tokens/env-persist.js');
    ctx.stdout.write(
      [
        `rotated the key of ${target.url}: new kid ${kid}`,
        'Backends that pin CLERK_JWT_KEY / CLERK_PEM_PUBLIC_KEY now reject new tokens until they get the new PEM',
        '(a running `clerk-harness emulator --write-env FILE` has updated FILE) and are restarted:',
        `CLERK_PEM_PUBLIC_KEY=${formatEnvValue(pem)}`,
        `CLERK_JWT_KEY=${formatEnvValue(pem)}`,
      ].join('\n') + '\n',
    );
    return EXIT.OK;
  }
  if (values.status === undefined) throw new HarnessError('USAGE', 'emulator fault: --status is required (e.g. --status 429)');
  const fault = checkedFault({
    status: intFlag('emulator fault', 'status', values.status as string, 0),
    count: intFlag('emulator fault', 'count', values.count as string | undefined, 1),
    retryAfterSeconds: values['retry-after'] === undefined ? undefined : intFlag('emulator fault', 'retry-after', values['retry-after'] as string, 0),
    pathPattern: values.path as string | undefined,
  });
  await injectRemoteFault(target.url, target.secretKey, fault);
  ctx.stdout.write(`the next ${fault.count} matching request(s) to ${target.url} will answer ${fault.status}\n`);
  return EXIT.OK;
}

/** `emulator wait`: poll until every named env file (or this folder's settings) is true for a running emulator. */
async function runWait(ctx: CommandContext, values: { 'env-file'?: string[]; timeout?: string }): Promise<0 | 1> {
  const timeoutS = intFlag('emulator wait', 'timeout', values.timeout, 30);
  const { checkEnvFile, checkEmulatorSettings, pollUntil } = await import('../../emulator/wait.js');
  const files = values['env-file'] ?? [];
  const checks =
    files.length > 0
      ? files.map((f) => () => checkEnvFile(path.resolve(ctx.cwd, f), f))
      : [
          async () => {
            const { loadClerkSettings } = await import('../../tokens/local-emulator.js');
            try {
              const { config, fromEmulatorFile } = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env });
              return checkEmulatorSettings(fromEmulatorFile ?? 'the configuration', { CLERK_API_URL: config.clerkApiUrl, CLERK_SECRET_KEY: config.clerkSecretKey });
            } catch (err) {
              if (err instanceof HarnessError && err.code === 'CONFIG_MISSING') return { ok: false as const, reason: 'no CLERK_SECRET_KEY is configured here and no emulator runs in this folder yet' };
              throw err;
            }
          },
        ];
  const deadline = Date.now() + timeoutS * 1000;
  for (const [i, check] of checks.entries()) {
    const outcome = await pollUntil(check, Math.max(0, deadline - Date.now()));
    const name = files[i] ?? 'this folder';
    if (!outcome.ok) {
      ctx.stderr.write(`emulator wait: not ready after ${timeoutS} s: ${outcome.reason}\n  fix: look at the emulator's output (did it start? is the port taken?), or start it with --write-env ${files[i] ?? '.env.local'}\n`);
      return EXIT.FINDINGS;
    }
    ctx.stdout.write(`emulator at ${outcome.url} is up (kid ${outcome.kid}); ${name} matches it\n`);
  }
  return EXIT.OK;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Flags whose value may be a negative number ("--clock-offset -120"). */
const SIGNED_FLAGS = new Set(['--clock-offset']);

/**
 * node:util parseArgs refuses "--clock-offset -120" as ambiguous (the value looks like an option);
 * a negative number after a signed flag is its value, so join it as "--clock-offset=-120".
 */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (SIGNED_FLAGS.has(argv[i]) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** The emulator command's flags and positionals, as parsed from argv. */
export function parseEmulatorArgs(argv: string[]) {
  return parseCommandArgs('emulator', joinNegativeValues(argv), OPTIONS, { allowPositionals: true });
}

const command: Command = {
  summary: 'start the bundled Clerk emulator (Backend API + JWKS) on 127.0.0.1',
  help,
  async run(ctx) {
    const { values, positionals } = parseEmulatorArgs(ctx.argv);
    const [sub, ...extra] = positionals;
    const known = sub === 'rotate' || sub === 'fault' || sub === 'wait';
    if (extra.length > 0 || (sub !== undefined && !known)) {
      throw new HarnessError('USAGE', `emulator: unexpected argument "${known ? extra[0] : sub}"`, { hint: 'run `clerk-harness emulator --help`' });
    }
    checkSecretKey(values['secret-key']);
    if (sub === 'wait') return runWait(ctx, values);
    for (const flag of ['env-file', 'timeout'] as const) {
      if (values[flag] !== undefined) throw new HarnessError('USAGE', `emulator: --${flag} belongs to \`emulator wait\``, { hint: `e.g. clerk-harness emulator wait --${flag === 'timeout' ? 'timeout 30' : 'env-file .env.local'}` });
    }
    if (sub) return runSubcommand(ctx, sub, values);

    const port = intFlag('emulator', 'port', values.port, DEFAULT_PORT);
    if (port > 65535) throw new HarnessError('USAGE', `emulator: --port must be 0-65535 (0 = any free port), got ${values.port}`);
    const offset = values['clock-offset'] === undefined ? 0 : Number(values['clock-offset']);
    if (!Number.isInteger(offset)) throw new HarnessError('USAGE', `emulator: --clock-offset must be a whole number of seconds, got "${values['clock-offset']}"`);
    if (Math.abs(offset) > MAX_CLOCK_OFFSET) throw new HarnessError('USAGE', `emulator: --clock-offset must be within ±${MAX_CLOCK_OFFSET} seconds (ten years), got ${values['clock-offset']}`, { hint: 'e.g. --clock-offset -120 for a clock two minutes behind' });
    const authorizedParty = checkAuthorizedParty(values['authorized-party']);
    const templates = (values.template ?? []).map(parseTemplate);
    if (values.ephemeral && values['key-file']) throw new HarnessError('USAGE', 'emulator: --ephemeral and --key-file exclude each other');
    const keyFile = values.ephemeral ? undefined : path.resolve(ctx.cwd, values['key-file'] ?? DEFAULT_KEY_FILE);
    const faults = (values.fault ?? []).map(parseFaultSpec);
    const colors = paint(useColor(ctx.stderr, ctx.env));
    const log = values.quiet ? undefined : (line: string) => ctx.stderr.write(colors.dim(`[emulator] ${new Date().toISOString().slice(11, 19)} ${line}`) + '\n');

    // Loaded here so `emulator --help` stays instant.
    const [{ startEmulator }, { formatEnvValue, persistEnvVars }, { EMULATOR_RUNTIME_FILE, removeRuntimeEnv, writeRuntimeEnv }] = await Promise.all([
      import('../../emulator/index.js'),
      import('../../tokens/env-persist.js'),
      import('../../tokens/local-emulator.js'),
    ]);
    const writeEnv = values['write-env'] ? path.resolve(ctx.cwd, values['write-env']) : undefined;
    const emu = await startEmulator({
      // A rotation (from `emulator rotate` or --rotate) keeps the --write-env file true.
      onKeyRotated: async (key) => {
        if (!writeEnv) return;
        await persistEnvVars(writeEnv, { CLERK_PEM_PUBLIC_KEY: key.publicPem, CLERK_JWT_KEY: key.publicPem });
        log?.(`key rotated: new kid ${key.kid}; updated CLERK_PEM_PUBLIC_KEY and CLERK_JWT_KEY in ${values['write-env']} (restart backends that pin the PEM)`);
      },
      port,
      keyFile,
      secretKey: values['secret-key'],
      templates,
      authorizedParty,
      clockOffsetSeconds: offset,
      log,
    });
    try {
      if (values.rotate) await emu.rotateKey();
      for (const f of faults) emu.injectFault(f);
      const env = emu.env();
      // Lets `clerk-harness mint` in this folder find the emulator with no configuration at all.
      // No PEM there: it changes on rotation, while URL and keys stay.
      const { CLERK_PEM_PUBLIC_KEY: _pem, CLERK_JWT_KEY: _jwtKey, ...stable } = env;
      await writeRuntimeEnv(ctx.cwd, stable);
      const lines = Object.entries(env).map(([k, v]) => `${k}=${formatEnvValue(v)}`);
      const out: string[] = [`Clerk emulator listening on ${emu.url}  (kid ${emu.currentKey().kid}${keyFile ? `, key file ${path.relative(ctx.cwd, keyFile) || keyFile}` : ', ephemeral key'})`];
      if (values.template?.length) out.push(`JWT templates: ${(values.template ?? []).map((t) => parseTemplate(t).name).join(', ')}`);
      if (writeEnv) {
        const result = await persistEnvVars(writeEnv, env);
        const replaced = Object.values(result.actions).filter((a) => a === 'replaced').length;
        out.push(`Wrote ${lines.length} variables to ${values['write-env']} (${replaced} replaced, ${lines.length - replaced} added; other lines untouched):`);
        out.push(...lines.map((l) => (l.startsWith('CLERK_SECRET_KEY=') ? `CLERK_SECRET_KEY=${redactSecretKey(env.CLERK_SECRET_KEY)}` : l)));
      } else {
        out.push('', '# Env lines for your backend (and for `clerk-harness mint`); or rerun with --write-env .env.local', ...lines);
      }
      out.push(
        '',
        `Mint a token from another shell in this folder: clerk-harness mint --format json`,
        `(with no CLERK_SECRET_KEY configured, commands here use ${EMULATOR_RUNTIME_FILE}, removed on exit)`,
        'Press Ctrl-C to stop.',
      );
      ctx.stdout.write(out.join('\n') + '\n');
      await waitForSignal();
    } finally {
      await removeRuntimeEnv(ctx.cwd, emu.url);
      await emu.stop();
    }
    ctx.stderr.write('[emulator] stopped\n');
    return EXIT.OK;
  },
};
export default command;
