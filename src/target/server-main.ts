/**
 * The reference target as its own process, the way a user's backend runs:
 *
 *   node dist/target/server-main.js --env-file .env.target [--port N]
 *
 * Settings come from the env file, read once at startup (see settings.ts); without --env-file,
 * from the process environment. Editing the file later changes nothing until a restart, exactly
 * like a real backend, which is what doctor's "server not restarted" check looks for.
 * Prints `listening on http://127.0.0.1:PORT`; exits 0 on SIGINT/SIGTERM, 2 on a settings error.
 */
import { parseArgs } from 'node:util';
import { HarnessError, isHarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { readEnvFile, serveUntilSignal, startFromSettings } from './serve.js';

async function main(argv: string[]): Promise<number> {
  let values: { 'env-file'?: string; port?: string };
  try {
    values = parseArgs({ args: argv, options: { 'env-file': { type: 'string' }, port: { type: 'string' } }, strict: true }).values;
  } catch (cause) {
    throw new HarnessError('USAGE', (cause as Error).message, { hint: 'usage: server-main --env-file FILE [--port N]' });
  }
  const cwd = process.cwd();
  const envFile = values['env-file'];
  const env = envFile ? readEnvFile(envFile, cwd) : process.env;
  const { target } = await startFromSettings({
    env: values.port === undefined ? env : { ...env, PORT: values.port },
    envSource: envFile ?? 'environment',
    cwd,
  });
  await serveUntilSignal(target, { stdout: process.stdout });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (isHarnessError(err)) {
      process.stderr.write(`reference target: ${redact(err.message)}\n${err.hint ? `  fix: ${redact(err.hint)}\n` : ''}`);
      process.exit(2);
    }
    process.stderr.write(`reference target: ${redact((err as Error)?.stack ?? String(err))}\n`);
    process.exit(3);
  },
);
