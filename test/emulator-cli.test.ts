/**
 * `clerk-harness emulator` as a user runs it: start, print env lines, let `mint` in the same folder
 * work with no configuration, rotate and fault through the subcommands, write an env file without
 * disturbing it, stop cleanly on SIGINT.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifyToken } from '@clerk/backend';
import { parse } from 'dotenv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

let dir: string;
const running: RunningCli[] = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-emucli-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function emulator(args: string[], cwd = dir): RunningCli {
  const r = startCli(['emulator', '--port', '0', ...args], { cwd });
  running.push(r);
  return r;
}

describe('clerk-harness emulator', () => {
  it('prints env lines; mint in the same folder works with no configuration; SIGINT stops it', async () => {
    const emu = emulator(['--ephemeral', '--template', 'server-token:120']);
    const env = parse(await emu.waitFor(/Press Ctrl-C/));
    expect(Object.keys(env)).toEqual(['CLERK_API_URL', 'CLERK_SECRET_KEY', 'CLERK_PUBLISHABLE_KEY', 'CLERK_ISSUER', 'CLERK_JWKS_URL', 'CLERK_PEM_PUBLIC_KEY', 'CLERK_JWT_KEY']);
    expect(env.CLERK_JWT_KEY).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(existsSync(path.join(dir, '.clerk-harness', 'emulator.env'))).toBe(true);

    const minted = await callMain(['mint', '--format', 'json'], { cwd: dir });
    expect(minted.stderr).toBe(`clerk-harness mint: using the emulator at ${env.CLERK_API_URL} (no CLERK_SECRET_KEY configured; found .clerk-harness/emulator.env)\n`);
    expect(minted.code).toBe(0);
    const { token } = JSON.parse(minted.stdout);
    expect((await verifyToken(token, { secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL })).sub).toMatch(/^user_/);
    expect((await verifyToken(token, { jwtKey: env.CLERK_JWT_KEY })).sub).toMatch(/^user_/);

    const templates = await callMain(['templates'], { cwd: dir });
    expect(templates.code).toBe(0);
    expect(templates.stdout).toMatch(/^NAME +LIFETIME +SKEW +CLAIMS\nserver-token +120s +5s +email\n$/);

    expect(emu.stderr()).toMatch(/\[emulator\] \d\d:\d\d:\d\d POST \/v1\/sessions\/sess_\w+\/tokens -> 200/);
    expect(emu.stderr()).not.toContain(env.CLERK_SECRET_KEY);
    expect(await emu.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dir, '.clerk-harness', 'emulator.env'))).toBe(false);
  });

  it('rotate and fault drive a running emulator; the old PEM stops verifying', async () => {
    const emu = emulator(['--ephemeral']);
    const env = parse(await emu.waitFor(/Press Ctrl-C/));
    const remote = { env: { CLERK_API_URL: env.CLERK_API_URL, CLERK_SECRET_KEY: env.CLERK_SECRET_KEY }, cwd: dir };
    const rotated = await callMain(['emulator', 'rotate'], remote);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^rotated the key of http:\/\/127\.0\.0\.1:\d+: new kid ins_\w{27}\n/);
    const fault = await callMain(['emulator', 'fault', '--status', '503', '--count', '1'], remote);
    expect(fault.code).toBe(0);
    const minted = await callMain(['mint'], remote);
    expect(minted.code).toBe(0);
    expect(emu.stderr()).toMatch(/ -> 503 /);
    await expect(verifyToken(minted.stdout.trim(), { jwtKey: env.CLERK_JWT_KEY })).rejects.toMatchObject({ reason: 'token-invalid-signature' });
    const bad = await callMain(['emulator', 'rotate'], { ...remote, env: { ...remote.env, CLERK_SECRET_KEY: 'sk_test_wrongwrongwrong' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(`clerk-harness emulator: the emulator at ${env.CLERK_API_URL} rejected the secret key (401 clerk_key_invalid)`);
  });

  it('rotate prints the new PEM and a running emulator rewrites its --write-env file', async () => {
    const cwd = await mkdtemp(path.join(dir, 'r-'));
    await writeFile(path.join(cwd, '.env.local'), '# backend\nDATABASE_URL=postgres://x\n');
    const emu = emulator(['--ephemeral', '--write-env', '.env.local'], cwd);
    await emu.waitFor(/Press Ctrl-C/);
    const before = parse(await readFile(path.join(cwd, '.env.local'), 'utf8'));
    const rotated = await callMain(['emulator', 'rotate'], { cwd, env: { CLERK_API_URL: before.CLERK_API_URL, CLERK_SECRET_KEY: before.CLERK_SECRET_KEY } });
    expect(rotated.code).toBe(0);
    const printed = parse(rotated.stdout.split('\n').filter((l) => l.startsWith('CLERK_')).join('\n'));
    expect(printed.CLERK_JWT_KEY).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(printed.CLERK_JWT_KEY).not.toBe(before.CLERK_JWT_KEY);
    const after = parse(await readFile(path.join(cwd, '.env.local'), 'utf8'));
    expect(after.CLERK_JWT_KEY).toBe(printed.CLERK_JWT_KEY);
    expect(after.CLERK_PEM_PUBLIC_KEY).toBe(printed.CLERK_JWT_KEY);
    expect(after.DATABASE_URL).toBe('postgres://x');
    expect(after.CLERK_SECRET_KEY).toBe(before.CLERK_SECRET_KEY);
    // The new PEM verifies what the emulator signs now.
    const minted = await callMain(['mint'], { cwd, env: { CLERK_API_URL: before.CLERK_API_URL, CLERK_SECRET_KEY: before.CLERK_SECRET_KEY } });
    await expect(verifyToken(minted.stdout.trim(), { jwtKey: after.CLERK_JWT_KEY })).resolves.toMatchObject({ sub: expect.stringMatching(/^user_/) });
    expect(emu.stderr()).toMatch(/key rotated: new kid ins_\w{27}; updated CLERK_PEM_PUBLIC_KEY and CLERK_JWT_KEY in \.env\.local/);
  });

  it('--write-env keeps the file\'s other lines and the key file keeps key and secret across restarts', async () => {
    const cwd = await mkdtemp(path.join(dir, 'w-'));
    await writeFile(path.join(cwd, '.env.local'), '# my backend\r\nDATABASE_URL=postgres://x\r\nCLERK_SECRET_KEY=sk_test_oldoldold1\r\n');
    const first = emulator(['--write-env', '.env.local', '--key-file', 'state/key.json'], cwd);
    const out = await first.waitFor(/Press Ctrl-C/);
    const written = parse(await readFile(path.join(cwd, '.env.local'), 'utf8'));
    expect(written.DATABASE_URL).toBe('postgres://x');
    expect(written.CLERK_SECRET_KEY).toMatch(/^sk_test_\w+$/);
    expect(out).not.toContain(written.CLERK_SECRET_KEY); // the terminal shows it redacted
    expect(out).toContain('Wrote 7 variables to .env.local (1 replaced, 6 added; other lines untouched)');
    expect(await readFile(path.join(cwd, '.env.local'), 'utf8')).toMatch(/^# my backend\r\nDATABASE_URL=postgres:\/\/x\r\nCLERK_SECRET_KEY=sk_test_\w+\r\nCLERK_API_URL=/);
    await first.stop();

    const second = emulator(['--key-file', 'state/key.json'], cwd);
    const env = parse(await second.waitFor(/Press Ctrl-C/));
    expect(env.CLERK_SECRET_KEY).toBe(written.CLERK_SECRET_KEY);
    expect(env.CLERK_JWT_KEY).toBe(written.CLERK_JWT_KEY);
  });

  it('a bad flag is a usage error', async () => {
    const r = await callMain(['emulator', '--fault', '42'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('clerk-harness emulator: --fault "42" must look like 429x2,retry-after=1 or 503');
  });
});
