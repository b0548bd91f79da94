import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { runCli } from './helpers/cli.js';

async function call(argv: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(argv, { stdout: out, stderr: err, cwd: process.cwd(), env: { NO_COLOR: '1' } });
  return { code, stdout, stderr };
}

describe('clerk-harness dispatcher', () => {
  it('prints the command list for --help', async () => {
    const r = await call(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "clerk-harness — test and diagnose APIs protected by Clerk session JWTs

      Usage: clerk-harness <command> [options]

      Commands:
        init       write a starter suite (or one from your OpenAPI document) into your project
        run        run the auth suites against a target (fresh token per test) and write reports
        doctor     walk the troubleshooting tree for a 401/500 and name the root cause
        mint       mint a fresh session token (print, export, persist, or run a command with it)
        templates  list the JWT templates of the Clerk instance
        audit      validate audit JSONL files against their JSON Schema (audit validate FILE...)
        emulator   start the bundled Clerk emulator (Backend API + JWKS) on 127.0.0.1
        target     start the reference target API (optionally with deliberate flaws)
        load       load-test one endpoint with always-fresh tokens (req/s, p50/p95/p99, refusals by cause, SLOs)
        tokens     serve always-fresh tokens on loopback for other load tools (tokens serve)

      Options:
        -h, --help     show help (also: clerk-harness <command> --help)
        -v, --version  print the version

      Exit codes: 0 ok, 1 findings or failed checks, 2 usage or configuration error, 3 internal error.
      Configuration is read from .env.local, then .env, then the environment (the environment wins).
      "
    `);
  });

  it('prints usage on stderr and exits 2 without a command', async () => {
    const r = await call([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^clerk-harness — /);
  });

  it('names an unknown command and suggests a near one', async () => {
    const r = await call(['doctr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('clerk-harness: unknown command "doctr" (did you mean "doctor"?)\nRun `clerk-harness --help` for the list of commands.\n');
  });

  it.each(['run', 'doctor', 'mint', 'templates', 'audit', 'emulator', 'target'])('%s --help starts with its usage and exits 0', async (name) => {
    const r = await call([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: clerk-harness ${name}`));
    expect((await call(['help', name])).stdout).toBe(r.stdout);
  });

  it('prints the package version, also through the built binary', async () => {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default as { version: string };
    expect((await call(['--version'])).stdout).toBe(`${version}\n`);
    const bin = await runCli(['-v']);
    expect(bin.code).toBe(0);
    expect(bin.stdout).toBe(`${version}\n`);
  });
});
