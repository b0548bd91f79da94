/**
 * The reference target as a separate process, the way a user's backend runs: server-main.js with
 * an env file read once at startup, and `clerk-harness target` in the foreground until SIGINT.
 * Runs the built JS (test/global-setup.ts builds dist/ when sources changed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditFilePath } from '../src/target/audit-log.js';
import { TARGET_FLAWS } from '../src/target/flaws.js';
import { createLocalInstance, type LocalInstance } from './cases-fixtures.js';
import { BIN } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

const SERVER_MAIN = fileURLToPath(new URL('../dist/target/server-main.js', import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
let inst: LocalInstance;
let dir: string;

beforeAll(async () => {
  inst = await createLocalInstance();
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-target-proc-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start a process and wait for its `listening on URL` line (or its exit). */
function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ['--', ...args], { cwd: dir, env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 15 s; stderr: ${err}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => err, exited });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

async function envFile(name: string, lines: Record<string, string>): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, Object.entries(lines).map(([k, v]) => `${k}="${v}"`).join('\n') + '\n');
  return file;
}

async function post(url: string, token: string): Promise<number> {
  return (await fetch(`${url}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' })).status;
}

describe('server-main.js', () => {
  it('reads its env file once at startup, serves, audits, and exits 0 on SIGINT', async () => {
    const file = await envFile('.env.target', {
      CLERK_JWT_KEY: inst.publicPem.trim(),
      CLERK_ISSUER: inst.issuer,
      TARGET_FLAWS: 'accept-expired',
      AUDIT_DIR: 'audit-main',
      PORT: '0',
    });
    const t = await start([SERVER_MAIN, '--env-file', file]);
    const now = Math.floor(Date.now() / 1000);
    const fresh = await inst.mint();
    const expired = await inst.mint({ now: now - 600 });
    expect(await post(t.url, fresh.token)).toBe(201);
    expect(await post(t.url, expired.token)).toBe(201); // the flaw from the env file

    // Editing the file does nothing until a restart: a real backend's behaviour, which doctor detects.
    await writeFile(file, `CLERK_JWT_KEY="${inst.publicPem.trim()}"\nCLERK_ISSUER="${inst.issuer}"\n`);
    expect(await post(t.url, expired.token)).toBe(201);

    const lines = (await readFile(auditFilePath(path.join(dir, 'audit-main')), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ user_id: inst.userId, token_iat: fresh.claims.iat });

    t.child.kill('SIGINT');
    expect(await t.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 2 naming the variable when TARGET_FLAWS holds an unknown flaw', async () => {
    const file = await envFile('.env.bad', { CLERK_JWT_KEY: inst.publicPem.trim(), TARGET_FLAWS: 'accept-expired,be-evil' });
    const t = start([SERVER_MAIN, '--env-file', file]);
    await expect(t).rejects.toThrow(/exited with 2.*unknown flaw "be-evil"[\s\S]*valid flaws: accept-expired/);
  });
});

describe('clerk-harness target', () => {
  it('starts in the foreground with flags over the env file and stops on SIGINT', async () => {
    const file = await envFile('.env.cli', { CLERK_JWT_KEY: inst.publicPem.trim(), PORT: '1' });
    const t = await start([BIN, 'target', '--env-file', file, '--port', '0', '--flaw', 'crash-on-malformed', '--audit-dir', 'audit-cli']);
    expect(t.stderr()).toContain('crash-on-malformed');
    expect(await post(t.url, 'not-a-jwt')).toBe(500);
    expect(await post(t.url, (await inst.mint()).token)).toBe(201);
    expect((await readFile(auditFilePath(path.join(dir, 'audit-cli')), 'utf8')).trim().split('\n')).toHaveLength(1);
    t.child.kill('SIGINT');
    expect((await t.exited).code).toBe(0);
  });

  // Neither starts a server: through the same main() in this process.
  it('rejects an unknown flaw with exit 2 and the list of valid flaws, and documents them in --help', async () => {
    const bad = await callMain(['target', '--flaw', 'nope'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown flaw "nope"');
    expect(bad.stderr).toContain(TARGET_FLAWS.join(', '));
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const help = await callMain(['target', '--help'], { cwd: dir });
    expect(help.code).toBe(0);
    for (const f of TARGET_FLAWS) expect(help.stdout).toContain(f);
  });
});
