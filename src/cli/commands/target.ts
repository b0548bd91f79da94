import path from 'node:path';
import type { Command } from '../command.js';
import { intFlag, parseCommandArgs } from '../command.js';
import { EXIT } from '../../exit-codes.js';
import { parse } from 'dotenv';
import { MAX_ENV_FILE_BYTES, readEnv } from '../../config/env-files.js';
import { readUserFileSync } from '../../config/user-file.js';
import { HarnessError } from '../../errors.js';
import { FLAWS, TARGET_FLAWS, parseFlaws } from '../../target/flaws.js';
import { serveUntilSignal, startFromSettings } from '../../target/serve.js';
import type { PlainEnv } from '../../target/settings.js';

/** A TCP port flag: 0 (any free port) to 65535. */
export function portFlag(command: string, value: string): number {
  const port = intFlag(command, 'port', value, 0);
  if (port > 65535) throw new HarnessError('USAGE', `${command}: --port must be 0-65535 (0 = any free port), got ${value}`);
  return port;
}

const flawLines = TARGET_FLAWS.map((f) => `  ${f.padEnd(22)} ${FLAWS[f].summary}`).join('\n');

const command: Command = {
  summary: 'start the reference target API (optionally with deliberate flaws)',
  help: `Usage: clerk-harness target [--port N] [--env-file FILE] [--flaw NAME ...] [--audit-dir DIR]

Start the reference target: a small API verifying Clerk session tokens with @clerk/backend
(GET /health, POST /jobs with an audit JSONL line). It runs in the foreground until Ctrl-C and
prints "listening on http://127.0.0.1:PORT".

Settings are read once at startup, like a real backend: from --env-file if given, else from
.env.local, .env and the environment. Variables: CLERK_SECRET_KEY + CLERK_API_URL (JWKS) or
CLERK_JWT_KEY / CLERK_PEM_PUBLIC_KEY (networkless), CLERK_ISSUER, CLERK_JWT_AUDIENCE,
TARGET_FLAWS, TARGET_CLOCK_OFFSET_SECONDS, AUDIT_DIR, PORT.

Options:
  --port N            port on 127.0.0.1 (default: PORT, else any free port)
  --env-file FILE     read settings from FILE only (e.g. the lines \`clerk-harness emulator\` prints)
  --flaw NAME         add a deliberate flaw (repeatable, or a comma list)
  --audit-dir DIR     audit root; lines go to DIR/jobs/audit_YYYYMMDD.jsonl (default logs/audit)
  --log-failures      also write an auth.rejected line for each refused request

Flaws:
${flawLines}

Example:
  clerk-harness target --env-file .env.target --flaw accept-expired --audit-dir /tmp/audit`,
  async run(ctx) {
    const { values } = parseCommandArgs('target', ctx.argv, {
      port: { type: 'string' },
      'env-file': { type: 'string' },
      flaw: { type: 'string', multiple: true },
      'audit-dir': { type: 'string' },
      'log-failures': { type: 'boolean' },
    });
    const flaws = parseFlaws(values.flaw ?? [], '--flaw');
    const envFile = values['env-file'];
    // Regular UTF-8 files only: a directory, FIFO, /dev/zero or dangling symlink is named, never read.
    const env: PlainEnv = envFile
      ? parse(readUserFileSync(path.resolve(ctx.cwd, envFile), { what: `env file ${envFile}`, code: 'ENV_FILE', maxBytes: MAX_ENV_FILE_BYTES }))
      : Object.fromEntries(Object.entries(readEnv({ cwd: ctx.cwd, environment: ctx.env })).map(([k, v]) => [k, v.value]));
    const { target, options } = await startFromSettings({
      env,
      envSource: envFile ?? '.env.local/.env/environment',
      cwd: ctx.cwd,
      overrides: {
        port: values.port === undefined ? undefined : portFlag('target', values.port),
        flaws,
        auditDir: values['audit-dir'] === undefined ? undefined : path.resolve(ctx.cwd, values['audit-dir']),
        logFailures: values['log-failures'],
      },
    });
    const active = options.flaws ?? [];
    ctx.stderr.write(
      `reference target: verifying with ${options.jwtKey ? 'CLERK_JWT_KEY (networkless)' : options.secretKey ? `the JWKS of ${options.apiUrl ?? 'https://api.clerk.com'}` : 'NO KEYS (every protected request answers 500)'}` +
        `; audit log under ${target.auditDir}${active.length ? `; flaws: ${active.join(', ')}` : ''}\n`,
    );
    await serveUntilSignal(target, { stdout: ctx.stdout });
    return EXIT.OK;
  },
};
export default command;
