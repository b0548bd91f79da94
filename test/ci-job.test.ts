/**
 * The README's CI job and the reusable action (action.yml), run as written against the FastAPI +
 * PyJWT conformance backend standing in for "your API". Expected before running: the job passes on
 * the correct backend and keeps the backend's own .env.local lines; a stale .env.local left by an
 * earlier emulator does not pass the wait when the emulator cannot start (its port taken), the
 * later steps are skipped and the reports upload and stop steps still run; through the action an
 * injected hole (accept-expired) fails the run step and the reports are still uploaded.
 *
 * What the test changes, and why: the checkouts are folder copies; `npm ci` becomes a check that the
 * harness's node_modules is linked (no registry here); `pip install` becomes an import check of the
 * Debian packages .ci/run installs (no PyPI here); ports 4600/8000 become free ports; the stale case
 * waits 4 s instead of 30. Everything else runs verbatim in bash.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startEmulator } from '../src/emulator/index.js';
import { envFileText, PYTHON, pythonAvailable } from './conformance/backends.js';
import { runSteps, type Step, type StepOutcome } from './helpers/gh-steps.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FASTAPI_DIR = fileURLToPath(new URL('./conformance/fastapi/', import.meta.url));

const py = pythonAvailable();
const curl = spawnSync('curl', ['--version'], { encoding: 'utf8' });
const missing = !py.ok ? py.reason : curl.error ? 'curl is not installed (Debian package: curl); the job waits for the backend with it' : undefined;
if (missing) console.warn(`ci-job: README CI job tests skipped: ${missing}`);

function readmeJob(): Step[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## CI\n'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README ## CI has no yaml block');
  const doc = parseYaml(block[1]!) as { jobs: Record<string, { steps: Step[] }> };
  return Object.values(doc.jobs)[0]!.steps;
}

function actionSteps(): Step[] {
  return (parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { runs: { steps: Step[] } }).runs.steps;
}

/**
 * A port for a server the job starts seconds later. Not one the OS hands out for port 0: between
 * this check and the job's bind, another test file's server (listening on port 0) could be given
 * that same port, and the job would wait on a stranger's 404s. Below the ephemeral range only a
 * fixed-port bind can take it, and this file's ports are never handed out twice.
 */
const taken = new Set<number>();
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}
async function portFromOs(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
async function freePort(): Promise<number> {
  const high = Math.min(ephemeralLow(), 65536);
  const low = Math.max(1024, high - 12_000);
  // An ephemeral range that starts near 1024 leaves nothing below it: the OS's pick, as before.
  if (high - low < 1000) return portFromOs();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (taken.has(port)) continue;
    const s = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!ok) continue;
    await new Promise((r) => s.close(r));
    taken.add(port);
    return port;
  }
  return portFromOs();
}

async function refused(port: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (!open) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const SUITE = `name: jobs API
target:
  base_url: \${TARGET_URL}
  timeout_ms: 5000
endpoints:
  - name: create job
    method: POST
    path: /jobs
    body: job.json
    accepted_status: 201
audit:
  base_dir: ..
  path: logs/audit/jobs/audit_{YYYYMMDD}.jsonl
  wait_ms: 400
  timestamp_tolerance_ms: 5000
`;

interface Workspace {
  dir: string;
  temp: string;
  emuPort: number;
  apiPort: number;
  uploads: string[];
  env: Record<string, string | undefined>;
}

type OnFinished = (fn: () => Promise<void> | void) => void;

/** A runner workspace; `onFinished` (the test's own onTestFinished: the tests run concurrently) stops what is left and removes it. */
async function workspace(onFinished: OnFinished): Promise<Workspace> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ci-job-'));
  const temp = path.join(dir, '_runner_temp');
  mkdirSync(temp);
  // node and the Debian python3 first on PATH, as setup-node / setup-python would put theirs.
  const bin = path.join(dir, '_bin');
  mkdirSync(bin);
  symlinkSync(PYTHON, path.join(bin, 'python3'));
  const env = { PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter), HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1', CLERK_TELEMETRY_DISABLED: '1', npm_config_update_notifier: 'false', npm_config_offline: 'true' };
  const ws: Workspace = { dir, temp, emuPort: await freePort(), apiPort: await freePort(), uploads: [], env };
  onFinished(async () => {
    // Whatever a failed assertion left running (the stop step normally did this).
    for (const f of ['backend/backend.pid', 'clerk-harness/emulator.pid', '_runner_temp/clerk-backend.pid', '_runner_temp/clerk-emulator.pid']) {
      try {
        process.kill(Number(readFileSync(path.join(dir, f), 'utf8')), 'SIGKILL');
      } catch {
        // not started, or already stopped
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return ws;
}

/** The user's API repository: the FastAPI backend, its suite, and an .env.local with a line of its own. */
function checkoutBackend(ws: Workspace, to: string, envLocal: string) {
  const dest = path.join(ws.dir, to);
  cpSync(FASTAPI_DIR, dest, { recursive: true });
  mkdirSync(path.join(dest, 'auth'));
  writeFileSync(path.join(dest, 'auth', 'suite.yaml'), SUITE);
  writeFileSync(path.join(dest, 'auth', 'job.json'), JSON.stringify({ urs_file: 'test_urs.txt', title: 'ci job' }));
  writeFileSync(path.join(dest, 'requirements.txt'), 'fastapi\nuvicorn\nPyJWT[crypto]\npython-dotenv\n');
  writeFileSync(path.join(dest, '.env.local'), envLocal);
}

/** The harness repository, checked out: this checkout's files, its built dist/ and installed node_modules linked. */
function checkoutHarness(ws: Workspace, to: string) {
  const dest = path.join(ws.dir, to);
  mkdirSync(dest, { recursive: true });
  for (const entry of ['package.json', 'package-lock.json', 'bin', 'dist', 'node_modules', 'suites', 'fixtures', 'diagnostics', 'action.yml']) {
    symlinkSync(path.join(ROOT, entry), path.join(dest, entry));
  }
}

function uses(ws: Workspace, envLocal: string) {
  return async (step: Step, withValues: Record<string, string>) => {
    const action = step.uses!.split('@')[0];
    if (action === 'actions/checkout') {
      if (withValues.repository) checkoutHarness(ws, withValues.path ?? '.');
      else checkoutBackend(ws, withValues.path ?? '.', envLocal);
      return { ok: true, output: `checked out into ${withValues.path}` };
    }
    if (action === 'actions/setup-node' || action === 'actions/setup-python') return { ok: true, output: 'on PATH already' };
    if (action === 'actions/upload-artifact') {
      ws.uploads.push(path.resolve(ws.dir, withValues.path!));
      return { ok: true, output: `uploaded ${withValues.path}` };
    }
    return { ok: false, output: `unknown action ${step.uses}` };
  };
}

function rewrite(ws: Workspace, waitSeconds?: number) {
  return (script: string) => {
    let s = script;
    if (/^npm ci\b/.test(s.trim())) return 'test -e node_modules/.bin/vitest  # npm ci: the harness checkout has its node_modules linked\n';
    if (/^pip install -r requirements.txt$/.test(s.trim())) return `python3 -c "import fastapi, uvicorn, jwt, dotenv, cryptography"  # pip: the Debian packages stand in\n`;
    s = s.replaceAll('4600', String(ws.emuPort)).replaceAll('8000', String(ws.apiPort));
    if (waitSeconds !== undefined) s = s.replaceAll('--timeout 30', `--timeout ${waitSeconds}`);
    return s;
  };
}

const show = (outcomes: StepOutcome[]) => outcomes.map((o) => `--- [${o.status}${o.code !== undefined ? ` ${o.code}` : ''}] ${o.label}\n${o.output}`).join('\n');
const statuses = (outcomes: StepOutcome[]) => outcomes.map((o) => o.status);

describe.skipIf(missing !== undefined)(`README CI job and action.yml${missing ? ` — skipped: ${missing}` : ''}`, { concurrent: true }, () => {
  it('the README job passes on a correct backend, keeps the backend\'s own env lines, and stops what it started', async ({ onTestFinished }) => {
    const ws = await workspace(onTestFinished);
    const steps = readmeJob();
    const outcomes = await runSteps(steps, { workspace: ws.dir, runnerTemp: ws.temp, env: ws.env, uses: uses(ws, 'APP_GREETING=hello\n'), rewrite: rewrite(ws) });
    expect(statuses(outcomes), show(outcomes)).toEqual(steps.map(() => 'success'));
    const run = outcomes.find((o) => /run --suite/.test(steps[o.index]!.run ?? ''))!;
    expect(run.output, show(outcomes)).toMatch(/PASSED/);
    const envLocal = readFileSync(path.join(ws.dir, 'backend', '.env.local'), 'utf8');
    expect(envLocal).toMatch(/^APP_GREETING=hello$/m);
    expect(envLocal).toContain(`CLERK_API_URL=http://127.0.0.1:${ws.emuPort}`);
    expect(ws.uploads).toEqual([path.join(ws.dir, 'clerk-harness', 'reports')]);
    const report = JSON.parse(readFileSync(path.join(ws.uploads[0]!, 'results.json'), 'utf8')) as { status: string; summary: { passed: number; failing: number; errors: number; blocked: number } };
    expect(report.status).toBe('passed');
    expect([report.summary.failing, report.summary.errors, report.summary.blocked]).toEqual([0, 0, 0]);
    expect(report.summary.passed).toBeGreaterThan(20);
    expect(existsSync(path.join(ws.dir, 'backend', 'logs', 'audit', 'jobs'))).toBe(true);
    expect(await refused(ws.emuPort), 'emulator still listening after the stop step').toBe(true);
    expect(await refused(ws.apiPort), 'backend still listening after the stop step').toBe(true);
  }, 90_000);

  it('a stale .env.local does not pass the wait when the emulator cannot start; upload and stop still run', async ({ onTestFinished }) => {
    const ws = await workspace(onTestFinished);
    // The lines an earlier emulator on the same port wrote (a self-hosted runner's leftover workspace).
    const earlier = await startEmulator({ port: ws.emuPort });
    const stale = envFileText(earlier.env());
    await earlier.stop();
    // Something else holds the emulator's port now, so the job's emulator exits at once.
    const squatter: Server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => squatter.listen(ws.emuPort, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => squatter.close(() => r())));

    const steps = readmeJob();
    const outcomes = await runSteps(steps, { workspace: ws.dir, runnerTemp: ws.temp, env: ws.env, uses: uses(ws, `APP_GREETING=hello\n${stale}`), rewrite: rewrite(ws, 4) });
    const emulatorStep = steps.findIndex((s) => /emulator wait/.test(s.run ?? ''));
    expect(outcomes[emulatorStep]!.status, show(outcomes)).toBe('failure');
    expect(outcomes[emulatorStep]!.output).toMatch(/emulator wait: not ready after 4 s: .*is not a clerk-harness emulator/);
    expect(outcomes[emulatorStep]!.output).toMatch(/EADDRINUSE|in use|taken/i); // the emulator's own log, shown by the step
    const after = outcomes.slice(emulatorStep + 1);
    for (const o of after) expect(o.status, `${o.label}\n${show(outcomes)}`).toBe(steps[o.index]!.if === 'always()' ? 'success' : 'skipped');
    expect(ws.uploads).toHaveLength(1);
    expect(await refused(ws.apiPort)).toBe(true);
  }, 60_000);

  async function runAction(onFinished: OnFinished, backendCommand: string) {
    const ws = await workspace(onFinished);
    checkoutBackend(ws, 'backend', 'APP_GREETING=hello\n');
    checkoutHarness(ws, '_actions/clerk-harness');
    const inputs = {
      suite: 'backend/auth/suite.yaml',
      target: `http://127.0.0.1:${ws.apiPort}`,
      'env-file': 'backend/.env.local',
      'backend-command': backendCommand.replace('8000', String(ws.apiPort)),
      'backend-directory': 'backend',
      'backend-ready-url': `http://127.0.0.1:${ws.apiPort}/health`,
      'fail-on': '',
      'emulator-port': String(ws.emuPort),
      timeout: '30',
      'reports-dir': 'clerk-harness-reports',
      'reports-name': 'auth-reports',
    };
    const steps = actionSteps();
    const outcomes = await runSteps(steps, { workspace: ws.dir, runnerTemp: ws.temp, actionPath: path.join(ws.dir, '_actions', 'clerk-harness'), inputs, env: ws.env, uses: uses(ws, ''), rewrite: rewrite(ws) });
    return { ws, steps, outcomes };
  }

  it('action.yml: emulator, backend, run, upload and stop on a correct backend', async ({ onTestFinished }) => {
    const { ws, steps, outcomes } = await runAction(onTestFinished, 'python3 -m uvicorn main.api.app:app --port 8000');
    expect(statuses(outcomes), show(outcomes)).toEqual(steps.map(() => 'success'));
    expect(ws.uploads).toEqual([path.join(ws.dir, 'clerk-harness-reports')]);
    const report = JSON.parse(readFileSync(path.join(ws.uploads[0]!, 'results.json'), 'utf8')) as { status: string };
    expect(report.status).toBe('passed');
    expect(readFileSync(path.join(ws.dir, 'backend', '.env.local'), 'utf8')).toMatch(/^APP_GREETING=hello$/m);
    expect(await refused(ws.emuPort)).toBe(true);
    expect(await refused(ws.apiPort)).toBe(true);
  }, 90_000);

  it('action.yml: a backend that accepts expired tokens fails the run step; the reports are uploaded anyway', async ({ onTestFinished }) => {
    const { ws, steps, outcomes } = await runAction(onTestFinished, 'FAULTS=accept-expired python3 -m uvicorn main.api.app:app --port 8000');
    const runStep = steps.findIndex((s) => /clerk-harness.js run /.test(s.run ?? ''));
    expect(statuses(outcomes).slice(0, runStep), show(outcomes)).toEqual(steps.slice(0, runStep).map(() => 'success'));
    expect(outcomes[runStep]!.status, show(outcomes)).toBe('failure');
    expect(outcomes[runStep]!.code).toBe(1);
    expect(outcomes[runStep]!.output).toMatch(/expired-token/);
    expect(statuses(outcomes).slice(runStep + 1)).toEqual(['success', 'success']);
    const report = JSON.parse(readFileSync(path.join(ws.uploads[0]!, 'results.json'), 'utf8')) as { status: string };
    expect(report.status).toBe('failed');
    expect(await refused(ws.emuPort)).toBe(true);
    expect(await refused(ws.apiPort)).toBe(true);
  }, 90_000);
});
