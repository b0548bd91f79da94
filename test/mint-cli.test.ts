/**
 * `clerk-harness mint` end to end against an in-process emulator, configured only through the
 * environment passed explicitly: the CLI's entry point in-process for every format and error, and
 * the built CLI in a child process once (smoke).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { verifyToken } from '@clerk/backend';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { runCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

let emu: Emulator;
let dir: string;
let env: Record<string, string>;
const requests: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({ templates: [{ name: 'server-token', claims: { email: '{{user.primary_email_address}}' } }], log: (l) => requests.push(l) });
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-mint-'));
  env = { CLERK_API_URL: emu.url, CLERK_SECRET_KEY: emu.secretKey, CLERK_TEST_USER_EMAIL: 'mint+clerk_test@example.com' };
});
afterAll(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

const mint = (args: string[], extraEnv: Record<string, string> = {}) => callMain(['mint', ...args], { cwd: dir, env: { ...env, ...extraEnv } });
const verifies = (token: string) => verifyToken(token, { jwtKey: emu.env().CLERK_JWT_KEY });
/** A loopback URL nothing listens on: bind a free port, then release it. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

describe('mint formats', () => {
  it('the built CLI prints a token that verifies (child process smoke test)', async () => {
    const r = await runCli(['mint'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect((await verifies(r.stdout.trim())).sub).toMatch(/^user_/);
  });

  it('prints the bare token by default, one that verifies', async () => {
    const r = await mint([]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${JWT.source}\\n$`));
    expect((await verifies(r.stdout.trim())).sub).toMatch(/^user_/);
  });

  it('json has the token, decoded header and claims, and seconds left', async () => {
    const r = await mint(['--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: emu.currentKey().kid, cat: 'cl_B7d4PD111AAA' });
    expect(out.claims).toMatchObject({ v: 2, iss: emu.issuer });
    expect(out.claims.exp - out.claims.iat).toBe(60);
    expect(out.seconds_left).toBeGreaterThan(0);
    expect(out.seconds_left).toBeLessThanOrEqual(60);
    expect((await verifies(out.token)).sid).toBe(out.claims.sid);
  });

  it('bash, powershell and dotenv lines carry the token', async () => {
    const bash = await mint(['--format', 'bash']);
    expect(bash.stdout).toMatch(new RegExp(`^export CLERK_TOKEN='${JWT.source}'\\n$`));
    const ps = await mint(['--format', 'powershell']);
    expect(ps.stdout).toMatch(new RegExp(`^\\$env:CLERK_TOKEN = '${JWT.source}'\\n$`));
    const dotenv = await mint(['--format', 'dotenv']);
    const token = parse(dotenv.stdout).CLERK_TOKEN;
    expect((await verifies(token)).sub).toMatch(/^user_/);
  });

  it('mints template tokens with --template and --expires-in', async () => {
    const r = await mint(['--template', 'server-token', '--expires-in', '120', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.header.cat).toBe('cl_B7d4PD222AAA');
    expect(out.claims).toMatchObject({ email: 'mint+clerk_test@example.com' });
    expect(out.claims.exp - out.claims.iat).toBe(120);
  });

  it('names an unknown template and lists the available ones', async () => {
    const r = await mint(['--template', 'server-tokn']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`clerk-harness mint: JWT template "server-tokn" does not exist at ${emu.url}; available: server-token`);
    expect(r.stdout).toBe('');
  });
});

describe('mint --persist', () => {
  it('changes only the CLERK_TOKEN line of a file with comments, quotes and CRLF', async () => {
    const file = path.join(dir, '.env.local');
    const before = [
      '# Clerk settings (keep this comment)',
      'CLERK_SECRET_KEY="sk_test_keepkeepkeep"',
      "CLERK_TOKEN='eyJold.eyJold.old' # refreshed by mint",
      '',
      'export OTHER=plain value # trailing',
      'CLERK_JWT_KEY="-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"',
      'LAST=1',
    ].join('\r\n');
    await writeFile(file, before);
    const r = await mint(['--persist', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^clerk-harness mint: CLERK_TOKEN replaced in .*\.env\.local \(session token for user_\w+, expires in \d+ s\)\n$/);
    expect(r.stderr).not.toMatch(JWT);
    const after = await readFile(file, 'utf8');
    const [b, a] = [before.split('\r\n'), after.split('\r\n')];
    expect(a).toHaveLength(b.length);
    expect(after.split('\n').every((l, i, all) => i === all.length - 1 || l.endsWith('\r'))).toBe(true);
    for (let i = 0; i < b.length; i++) if (i !== 2) expect(a[i]).toBe(b[i]);
    const m = /^CLERK_TOKEN='([^']+)' # refreshed by mint$/.exec(a[2]);
    expect(m).not.toBeNull();
    expect((await verifies(m![1])).sub).toMatch(/^user_/);
  });
});

describe('mint --exec', () => {
  it('runs the command with a fresh CLERK_TOKEN that verifies', async () => {
    // The command inherits the CLI's stdio: only a child process CLI lets the test read it.
    const r = await runCli(['mint', '--exec', '--', process.execPath, '-e', 'process.stdout.write(process.env.CLERK_TOKEN ?? "")'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect((await verifies(r.stdout)).sub).toMatch(/^user_/);
  });

  it('reports a failing command as exit 1 and says which code it had', async () => {
    const r = await mint(['--exec', '--', process.execPath, '-e', 'process.exit(7)']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exited with code 7 (reported as exit 1)');
  });

  it('a command that does not exist is a usage error', async () => {
    const r = await mint(['--exec', '--', 'clerk-harness-no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('clerk-harness mint: --exec: cannot start "clerk-harness-no-such-command": command not found');
  });
});

describe('mint reliability and errors', () => {
  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    emu.injectFault({ status: 429, count: 1, retryAfterSeconds: 1 });
    emu.injectFault({ status: 503, count: 1 });
    requests.length = 0;
    const r = await mint([]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await verifies(r.stdout.trim())).sub).toMatch(/^user_/);
    const statuses = requests.filter((l) => l.includes(' /v1/')).map((l) => / -> (\d{3})/.exec(l)![1]);
    expect(statuses.slice(0, 2).sort()).toEqual(['429', '503']);
    expect(statuses.at(-1)).toBe('200');
  });

  it('a bad secret key is a one-line error with the fix, exit 2, no stack', async () => {
    const r = await mint([], { CLERK_SECRET_KEY: 'sk_test_notTheEmulatorKey123' });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`clerk-harness mint: CLERK_SECRET_KEY was rejected by ${emu.url} (401 clerk_key_invalid)`);
    expect(lines[1]).toMatch(/^ {2}fix: use the CLERK_SECRET_KEY the emulator printed/);
    expect(lines).toHaveLength(2);
    expect(r.stderr).not.toContain('notTheEmulatorKey123');
  });

  it('an unreachable API names the URL and the reason after bounded retries', async () => {
    const closed = await closedPortUrl();
    const r = await mint([], { CLERK_API_URL: closed });
    expect(r.code).toBe(2);
    const first = r.stderr.split('\n')[0];
    expect(first).toBe(`clerk-harness mint: cannot reach the Clerk Backend API at ${closed} to look up the test user mint+clerk_test@example.com: connection refused: nothing listens on that port (4 attempts)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects bad flags before any network call', async () => {
    const r = await mint(['--format', 'yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('clerk-harness mint: --format must be one of bare, json, bash, powershell, dotenv, got "yaml"\n');
  });
});
