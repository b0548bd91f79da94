/**
 * `clerk-harness run` through the built CLI, for what only a real process shows: --json keeping
 * stdout for the document, one colour policy (vitest's output included), each finding printed
 * once, --bail, and the reports after an interrupt or a test worker that died: never a 0-byte file,
 * never an older run's results, never a test that did not run listed as passed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, type TestSuites } from 'junit2json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import type { RunReport } from '../src/report/summary.js';
import { startReferenceTarget } from '../src/target/reference.js';
import { BIN, runCli } from './helpers/cli.js';
import { writeCreateJobSuite } from './helpers/suites.js';
import { spawn } from 'node:child_process';

let emulator: Emulator;
let flawedRun: Promise<FlawedRun>;
beforeAll(async () => {
  emulator = await startEmulator({});
  flawedRun = runAgainstFlawedTarget();
  flawedRun.catch(() => {}); // reported where it is awaited
});
afterAll(async () => {
  await flawedRun?.catch(() => {});
  await emulator?.stop();
});

const env = () => ({ CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey });
const workdir = () => mkdtempSync(path.join(tmpdir(), 'cli-run-'));
const readReport = (cwd: string) => JSON.parse(readFileSync(path.join(cwd, 'reports', 'results.json'), 'utf8')) as RunReport;
const junitOf = async (cwd: string) => (await parse(readFileSync(path.join(cwd, 'reports', 'junit.xml'), 'utf8'))) as TestSuites;

/** An older run's reports, all "passed": none of it may survive beside the new run. */
function staleReports(cwd: string): void {
  mkdirSync(path.join(cwd, 'reports'), { recursive: true });
  writeFileSync(path.join(cwd, 'reports', 'results.json'), JSON.stringify({ format: 'clerk-harness/result@1', status: 'passed', results: [] }));
  writeFileSync(path.join(cwd, 'reports', 'junit.xml'), '<testsuites name="old" tests="99" failures="0"/>');
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}
const close = (server: Server) => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
};

// Independent runs (own server, working directory and CLI process each): they overlap.
describe.concurrent('runs that stop early', () => {
  const suite = (cwd: string, endpoints = 1) => {
    const eps = Array.from({ length: endpoints }, (_, i) => `  - name: ep${i}\n    method: GET\n    path: /me${i}\n`).join('');
    writeFileSync(path.join(cwd, 'api.yaml'), `name: api\naudit: false\nendpoints:\n${eps}`);
    return 'api.yaml';
  };
  const notRun = (report: RunReport) => report.results.filter((r) => r.message.startsWith('not run: '));

  it('--bail: stops at the first failure; what did not run is skipped "not run", never passed', async () => {
    // Accepts anything with an Authorization header: alg:none and friends are critical findings.
    const { server, url } = await listen((req, res) => void res.writeHead(req.headers.authorization ? 200 : 401, { 'content-type': 'application/json' }).end('{}'));
    const cwd = workdir();
    try {
      const r = await runCli(['run', '--suite', suite(cwd, 3), '--target', url, '--bail'], { cwd, env: env(), timeoutMs: 90_000 });
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(1);
      const report = readReport(cwd);
      expect(report.incomplete?.reason).toBe('bail');
      expect(report.incomplete!.notRun).toBeGreaterThan(0);
      expect(notRun(report)).toHaveLength(report.incomplete!.notRun);
      expect(notRun(report).every((x) => x.verdict === 'skip' && /--bail: stopped after the first failure/.test(x.skipReason!))).toBe(true);
      expect(r.stdout).toMatch(/FAILED: \d+ findings? at or above medium \(--bail: stopped after the first failure/);
    } finally {
      await close(server);
    }
  }, 120_000);

  it('a test worker that dies: the tests it never ran are errors in junit.xml, the run exits 2', async () => {
    const cwd = workdir();
    staleReports(cwd);
    let cliPid = 0;
    let requests = 0;
    // The target kills the CLI's vitest worker (its child process) when the tests start arriving.
    const children = (pid: number) =>
      readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
        try {
          return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid);
        } catch {
          return false;
        }
      });
    const { server, url } = await listen((req, res) => {
      if (++requests === 4) for (const c of children(cliPid)) process.kill(Number(c), 'SIGKILL');
      res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
    });
    try {
      const child = spawn(process.execPath, ['--', BIN, 'run', '--suite', suite(cwd), '--target', url], { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
      cliPid = child.pid!;
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(out).not.toMatch(/internal error/);
      expect(code).toBe(2);
      const report = readReport(cwd);
      expect(report.status).toBe('error');
      expect(report.incomplete?.reason).toBe('worker-exited');
      expect(notRun(report).length).toBeGreaterThan(0);
      expect(notRun(report).every((x) => x.verdict === 'error')).toBe(true);
      const junit = await junitOf(cwd);
      const cases = junit.testsuite![0]!.testcase!;
      for (const r of notRun(report)) {
        const t = cases.find((x) => x.classname === r.endpoint && x.name === r.caseId)!;
        expect(t.error?.[0]?.message, r.caseId).toMatch(/^not run: the test worker stopped/);
      }
      expect(junit.testsuite![0]!.tests).toBe(report.summary.total);
    } finally {
      await close(server);
    }
  }, 120_000);

  it('SIGINT: exit 130; complete reports marked interrupted replace the older run\'s', async () => {
    const cwd = workdir();
    staleReports(cwd);
    let requests = 0;
    let onRequest: () => void = () => {};
    const started = new Promise<void>((resolve) => (onRequest = resolve));
    // Answers the reachability check, then holds every test's request: the run is mid-flight.
    const { server, url } = await listen((_req, res) => {
      if (++requests === 1) return void res.writeHead(401).end();
      onRequest();
    });
    try {
      const child = spawn(process.execPath, ['--', BIN, 'run', '--suite', suite(cwd), '--target', url], { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await started;
      expect(readdirSync(path.join(cwd, 'reports'))).toEqual([]); // the older run's reports went when this one started
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      const said = err.match(/interrupted by SIGINT: reports in reports hold the (\d+) results so far and mark (\d+) tests as not run/);
      expect(said, err).not.toBeNull();
      const [ran, missing] = [Number(said![1]), Number(said![2])];
      expect(ran + missing).toBe(37);
      expect(missing).toBeGreaterThan(30); // every request was held: at most the capability skips ended
      const report = readReport(cwd);
      expect(report.status).toBe('error');
      expect(report.incomplete).toMatchObject({ reason: 'interrupted', notRun: missing });
      expect(notRun(report)).toHaveLength(missing);
      expect(notRun(report).every((r) => r.verdict === 'skip' && r.skipReason === 'not run: interrupted by SIGINT')).toBe(true);
      expect(report.results.filter((r) => r.verdict === 'pass')).toEqual([]);
      const junit = await junitOf(cwd);
      expect(junit.testsuite![0]!.tests).toBe(37);
      expect(junit.testsuite![0]!.skipped).toBe(report.summary.skipped);
      for (const f of ['junit.xml', 'results.json', 'summary.md', 'report.html']) expect(statSync(path.join(cwd, 'reports', f)).size, f).toBeGreaterThan(0);
      expect(readdirSync(path.join(cwd, 'reports')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(existsSync(path.join(cwd, 'reports', 'results.json'))).toBe(true);
    } finally {
      await close(server);
    }
  }, 120_000);
});

/**
 * The flawed-target run starts with the file (beforeAll below) and overlaps the early-stopping runs
 * above it: each is a CLI process with its own working directory, target and reports.
 */
interface FlawedRun {
  res: Awaited<ReturnType<typeof runCli>>;
  cwd: string;
}
async function runAgainstFlawedTarget(): Promise<FlawedRun> {
  const cwd = workdir();
  staleReports(cwd);
  const target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir: path.join(cwd, 'logs', 'audit'), flaws: ['allow-alg-none', 'forbid-missing-header'] });
  try {
    // FORCE_COLOR asks for colour; --no-color wins, for vitest's part too.
    const res = await runCli(['run', '--suite', writeCreateJobSuite(), '--target', target.url, '--json', '--no-color'], { cwd, env: { ...env(), FORCE_COLOR: '1', NO_COLOR: undefined }, timeoutMs: 90_000 });
    return { res, cwd };
  } finally {
    await target.stop();
  }
}

describe('run --json --no-color against a flawed target', () => {
  let res: Awaited<ReturnType<typeof runCli>>;
  let cwd: string;
  beforeAll(async () => {
    ({ res, cwd } = await flawedRun);
  }, 120_000);

  it('stdout is the result document and nothing else; it is results.json', () => {
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as RunReport;
    expect(doc.format).toBe('clerk-harness/result@1');
    expect(doc.status).toBe('failed');
    expect(doc).toEqual(readReport(cwd));
  });

  it('no colour anywhere, and each finding is printed once, grouped by root cause', () => {
    expect(res.stdout + res.stderr).not.toMatch(/\u001b\[/);
    expect(res.stderr).not.toMatch(/Failed Tests/);
    expect(res.stderr).toMatch(/ROOT CAUSES \(2\)/);
    expect(res.stderr.match(/Pin the algorithm/g)).toHaveLength(1);
    expect(res.stderr).toMatch(/4 cases: alg-none, alg-none-capitalized, alg-none-uppercase, alg-none-mixed-case on POST \/jobs/);
    expect(res.stderr.indexOf('ROOT CAUSES')).toBeLessThan(res.stderr.indexOf('37 tests:'));
  });

  it('junit.xml replaced the older run and agrees with results.json, read by a JUnit consumer', async () => {
    const json = readReport(cwd);
    const junit = await junitOf(cwd);
    const suite = junit.testsuite![0]!;
    expect(suite.name).toBe('create job only') // the testsuite is named after the suite (test/helpers/suites.ts);
    expect(suite.tests).toBe(json.summary.total);
    expect(suite.failures).toBe(json.summary.failing);
    expect(suite.skipped).toBe(json.summary.skipped);
    for (const r of json.results) {
      const t = suite.testcase!.find((x) => x.classname === r.endpoint && x.name === r.caseId)!;
      expect((t as { properties?: Array<{ name?: string; value?: unknown }> }).properties!.find((p) => p.name === 'verdict')!.value, r.caseId).toBe(r.verdict);
      if (r.verdict === 'skip') expect(t.skipped![0]!.message).toBe(r.skipReason);
    }
    expect(suite.testcase!.find((t) => t.name === 'alg-none')!.failure![0]!.type).toBe('critical');
    for (const f of readdirSync(path.join(cwd, 'reports'))) expect(statSync(path.join(cwd, 'reports', f)).size, f).toBeGreaterThan(0);
  });
});

