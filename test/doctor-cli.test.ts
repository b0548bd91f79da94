/**
 * doctor with a real server process and through the real CLI: server-main.js reads its env file
 * once at startup; the file is fixed afterwards but the server is not restarted. doctor must find
 * the listening process, compare its start time with the file's mtime, and say "restart".
 * Runs the built JS (test/global-setup.ts builds dist/ when sources changed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envText, runDoctorCli, startWorld, type World } from './doctor-e2e-helpers.js';
import { runCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

const SERVER_MAIN = fileURLToPath(new URL('../dist/target/server-main.js', import.meta.url));

let world: World;
let server: ChildProcess | undefined;
let url: string;

/** Start server-main.js with an env file; resolves with its URL once it prints `listening on`. */
function startServer(envFile: string, cwd: string): Promise<string> {
  const child = spawn(process.execPath, ['--', SERVER_MAIN, '--env-file', envFile], { cwd, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-main did not start: ${err}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server-main exited with ${code}: ${err}`));
    });
  });
}

beforeAll(async () => {
  world = await startWorld();
  const file = path.join(world.dir, 'backend.env');
  // Started with an env file that lacks every key (the user had not pasted them yet) ...
  await writeFile(file, envText({ CLERK_API_URL: world.emulator.url, AUDIT_DIR: 'audit' }));
  url = await startServer('backend.env', world.dir);
  // ... then the keys are added to the file, and the server is NOT restarted.
  await writeFile(file, envText({ ...world.emulator.env(), AUDIT_DIR: 'audit' }));
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await world.stop();
});

describe('doctor and a server started before its env file changed', () => {
  it('finds the listening process and says restart, with the start time and mtime as evidence', async () => {
    const run = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', url, '--audit-dir', 'audit']);
    expect(run.code).toBe(1);
    const report = run.report!;
    expect(report.rootCauses[0].id).toBe('server-not-restarted');
    const restart = report.checks.find((c) => c.id === 'server.restart')!;
    expect(restart.outcome).toBe('started-before-change');
    expect(restart.vars.pid).toBe(server!.pid);
    expect(restart.evidence.join('\n')).toMatch(new RegExp(`pid ${server!.pid} listens on port \\d+: .*server-main\\.js --env-file backend\\.env`));
    expect(restart.evidence.join('\n')).toMatch(/process started .*\n.*backend\.env last modified/);
    expect(report.checks.find((c) => c.id === 'server.env-loaded')?.outcome).toBe('env-has-key');
  });

  it('through the real CLI process: the same diagnosis in text, exit 1', async () => {
    const res = await runCli(['doctor', '--env-file', 'backend.env', '--target', url, '--audit-dir', 'audit', '--only', 'server'], {
      cwd: world.dir,
      env: { CLERK_SECRET_KEY: world.emulator.secretKey, CLERK_API_URL: world.emulator.url },
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ server pid \d+ started .*, backend\.env changed .* later\)/);
    expect(res.stdout).toMatch(/fix: restart the server; reload is not enough/);
    expect(res.stdout).not.toContain(world.emulator.secretKey);
  });

  it('doctor --help documents the two configurations and the JSON shape', async () => {
    const res = await callMain(['doctor', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/--env-file {5}the BACKEND's env file/);
    expect(res.stdout).toMatch(/harness config the harness's OWN CLERK_SECRET_KEY/);
    expect(res.stdout).toMatch(/"schema":"clerk-harness\/doctor@1"/);
    // The counting rule, as the report and the text apply it (test/doctor-e2e.test.ts checks them).
    expect(res.stdout).toMatch(/summary:\{pass,warn,fail,skip,notReached\}/);
    expect(res.stdout).toMatch(/Every check with status skip has a skipReason/);
    expect(res.stdout).toMatch(/count only in\s+notReached/);
  });
});

describe('doctor through the installed binary', () => {
  it('diagnoses a missing --env-file itself (Node must not intercept the flag)', async () => {
    const bin = fileURLToPath(new URL('../bin/clerk-harness.js', import.meta.url));
    const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
      // Executed through its shebang, as npx and a global install run it.
      const child = spawn(bin, ['doctor', '--env-file', 'no-such.env', '--target', 'http://127.0.0.1:9', '--only', 'env'], { env: { PATH: process.env.PATH, NO_COLOR: '1' } });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/env file does not exist/);
  });
});
