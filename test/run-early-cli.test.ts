/**
 * `clerk-harness run` asks the target and the Clerk API before vitest loads (src/cli/commands/run.ts,
 * earlyChecks): a target nothing listens on or a refused key ends the run with its one error and no
 * test worker.
 * Observed from outside: a preload counts the CLI's child_process.fork calls (how vitest starts its
 * worker). Expected before running: a passing run forks once (the count is not blind); a refused
 * target and a secret key the emulator refuses (its info route says so, before @clerk/backend is
 * loaded) fork never, exit 2 and say why in the words the later path uses. Against real Clerk a
 * wrong key is found by the SDK's first call, made with the plan once vitest runs (same error).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget } from '../src/target/types.js';
import { runCli } from './helpers/cli.js';

const HOOK = fileURLToPath(new URL('./helpers/fork-log.cjs', import.meta.url));
let emulator: Emulator;
let target: ReferenceTarget;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'run-early-'));
  emulator = await startEmulator({});
  target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir: path.join(dir, 'audit') });
  writeFileSync(path.join(dir, 'suite.yaml'), 'name: one\naudit: false\nendpoints:\n  - name: health\n    method: GET\n    path: /health\ncases:\n  include: [valid-session-token]\n');
});
afterAll(async () => {
  await target?.stop();
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(name: string, targetUrl: string, secretKey: string) {
  const log = path.join(dir, `${name}.forks`);
  writeFileSync(log, '');
  const r = await runCli(['run', '--suite', 'suite.yaml', '--target', targetUrl, '--reports', `reports-${name}`], {
    cwd: dir,
    env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: secretKey, NODE_OPTIONS: `--require=${HOOK}`, FORK_LOG: log },
  });
  return { ...r, forks: readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
}

describe.concurrent('run: failures found before vitest starts', () => {
  it('a passing run forks its test worker once (the count sees vitest)', async () => {
    const r = await run('ok', target.url, emulator.secretKey);
    expect([r.code, r.forks], r.stderr).toEqual([0, 1]);
  });

  it('a target nothing listens on: exit 2, the reason, no test worker', async () => {
    const r = await run('refused', 'http://127.0.0.1:9', emulator.secretKey);
    expect([r.code, r.forks], r.stderr).toEqual([2, 0]);
    expect(r.stderr).toMatch(/connection refused: nothing listens on that port/);
  });

  it('a secret key the emulator refuses: exit 2, the same error as the SDK\'s, no test worker', async () => {
    const r = await run('wrong-key', target.url, 'sk_test_wrong0000000000000000000000000000');
    expect([r.code, r.forks], r.stderr).toEqual([2, 0]);
    expect(r.stderr).toBe(`clerk-harness run: CLERK_SECRET_KEY was rejected by ${emulator.url} (401 clerk_key_invalid)\n  fix: use the CLERK_SECRET_KEY the emulator printed at start (or start it with --secret-key)\n`);
  });
});
