import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { startCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({});
});
afterAll(async () => {
  await emulator?.stop();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('mint --exec passes SIGTERM on to the command instead of orphaning it', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'mint-signal-'));
  const pidFile = path.join(cwd, 'child.pid');
  const cli = startCli(['mint', '--exec', '--', 'sh', '-c', `echo $$ > ${pidFile}; echo started; exec sleep 300`], {
    cwd,
    env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey },
  });
  await cli.waitFor(/started/, 45_000); // generous: the suite may be running CLI processes in parallel
  const pid = Number(readFileSync(pidFile, 'utf8'));
  expect(alive(pid)).toBe(true);
  const exit = await cli.stop('SIGTERM');
  expect(exit.code).toBe(1);
  expect(cli.stderr()).toMatch(/"sh" was killed by SIGTERM \(reported as exit 1\)/);
  expect(alive(pid)).toBe(false);
}, 60_000);

it('mint --exec passes on a SIGTERM that arrives as the command starts (before spawn has returned)', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'mint-signal-'));
  const pidFile = path.join(cwd, 'child.pid');
  // The command signals the CLI first thing, as a supervisor reacting to its first output would.
  const cli = startCli(['mint', '--exec', '--', 'sh', '-c', `echo $$ > ${pidFile}; kill -TERM $PPID; exec sleep 300`], {
    cwd,
    env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey },
  });
  const exit = await cli.stop('SIGCONT'); // harmless: the CLI ends because of the command's own SIGTERM
  expect(exit.code).toBe(1);
  expect(cli.stderr()).toMatch(/"sh" was killed by SIGTERM \(reported as exit 1\)/);
  expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
}, 60_000);

it('names --user-id, not CLERK_TEST_USER_ID, when the id given on the command line does not exist', async () => {
  // No signal involved: through the same main() in this process.
  const r = await callMain(['mint', '--user-id', 'user_doesnotexist123'], { env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey } });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^clerk-harness mint: --user-id user_doesnotexist123: no such user/);
  expect(r.stderr).toMatch(/leave out --user-id/);
}, 60_000);
