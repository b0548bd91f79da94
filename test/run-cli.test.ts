/**
 * `clerk-harness run` end to end, as a user runs it: the built CLI against an in-process emulator
 * and the reference target (correct, and with each deliberate flaw), real reports on disk.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCase } from '../src/cases/catalogue.js';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { TargetFlaw } from '../src/target/types.js';
import type { RunReport } from '../src/report/summary.js';
import { runCli } from './helpers/cli.js';
import { writeCreateJobSuite } from './helpers/suites.js';
import { callMain } from './helpers/main-in-process.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({});
});
afterAll(async () => {
  await emulator?.stop();
});

function workdir(): string {
  return mkdtempSync(path.join(tmpdir(), 'run-cli-'));
}

async function runAgainst(flaws: TargetFlaw[], extraArgs: string[] = []) {
  const cwd = workdir();
  const target = await startReferenceTarget({
    apiUrl: emulator.url,
    secretKey: emulator.secretKey,
    issuer: emulator.issuer,
    auditDir: path.join(cwd, 'logs', 'audit'),
    flaws,
  });
  try {
    const res = await runCli(['run', '--target', target.url, ...extraArgs], {
      cwd,
      env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey },
      timeoutMs: 60_000,
    });
    const report = JSON.parse(readFileSync(path.join(cwd, 'reports', 'results.json'), 'utf8')) as RunReport;
    return { ...res, report, cwd };
  } finally {
    await target.stop();
  }
}

describe('run against the correct reference target', () => {
  let run: Awaited<ReturnType<typeof runAgainst>>;
  beforeAll(async () => {
    run = await runAgainst([]);
  }, 90_000);

  it('passes every case and exits 0', () => {
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    expect(run.report.status).toBe('passed');
    expect(run.report.mode).toBe('emulator');
    const bad = run.report.results.filter((r) => r.verdict === 'finding' || r.verdict === 'error');
    expect(bad).toEqual([]);
    expect(run.report.summary.passed).toBeGreaterThan(30);
    // Without a template configured, the template case is skipped with its reason, never faked.
    const template = run.report.results.find((r) => r.caseId === 'template-token');
    expect(template?.verdict).toBe('skip');
    expect(template?.skipReason).toMatch(/JWT template/);
    // The live list names what runs, not the package's folder or its compiled spec file.
    expect(run.stdout).toMatch(/clerk-harness run \(vitest v\d/);
    expect(run.stdout).toMatch(/ auth suite \(\d+ tests/);
    expect(run.stdout).not.toMatch(/auth\.spec\.js|RUN {1,2}v\d/);
  });

  it('writes every report, parseable, with no secret in them or in the output', () => {
    const dir = path.join(run.cwd, 'reports');
    const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites[^>]*tests="\d+"/);
    expect(junit).toContain('valid-session-token');
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(md).toMatch(/✅ passed/);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/<table class="matrix">/);
    for (const text of [junit, md, html, JSON.stringify(run.report), run.stdout, run.stderr]) {
      expect(text).not.toContain(emulator.secretKey);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
      expect(text).not.toContain('PRIVATE KEY');
    }
  });
});

// Every flaw over the whole catalogue is judged in-process in run-flaws.test.ts (with and without
// an audit log); here two of them show what the CLI prints for a finding and for a blocker.
describe('the CLI on a flawed target', () => {
  it('a finding: exit 1, the finding, the failure line', async () => {
    const run = await runAgainst(['accept-expired'], ['--suite', writeCreateJobSuite(), '-t', ' (expired-token|valid-session-token)$']);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    const r = run.report.results.find((x) => x.caseId === 'expired-token');
    expect(r?.verdict).toBe('finding');
    expect(r?.severity).toBe(getCase('expired-token').severity);
    expect(run.stdout).toMatch(/FAILED: 1 finding at or above low/);
  }, 60_000);

  it('a blocker: exit 1, the root cause with its doctor command, no finding per case', async () => {
    const run = await runAgainst(['require-aud'], ['--suite', writeCreateJobSuite(), '-t', ' (valid-without-aud|valid-session-token|expired-token)$']);
    expect(run.code).toBe(1);
    expect(run.report.blockers.map((b) => b.cause)).toEqual(['aud-required']);
    expect(run.stdout).toMatch(/BLOCKED/);
    expect(run.stdout).toMatch(/then: clerk-harness doctor /);
    expect(run.stdout).toMatch(/FAILED: blocked by aud-required/);
  }, 60_000);
});

// The CLI's entry point in this process: these runs stop before any test starts.
describe('configuration and transport errors exit 2 with one clear line', () => {
  const env = () => ({ CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey });
  const runCli = (argv: string[], options: { cwd: string; env: Record<string, string> }) => callMain(argv, options);

  it('an unreachable target', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const cwd = workdir();
    const res = await runCli(['run', '--target', `http://127.0.0.1:${port}`], { cwd, env: env() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/connection refused: nothing listens on that port/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(cwd, 'reports', 'results.json'))).toBe(false);
  });

  it('a target that hangs', async () => {
    const hanging: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const cwd = workdir();
    const suite = path.join(cwd, 'hang.yaml');
    writeFileSync(suite, 'name: hang\ntarget:\n  timeout_ms: 300\naudit: false\nendpoints:\n  - method: GET\n    path: /me\n');
    try {
      const res = await runCli(['run', '--suite', suite, '--target', `http://127.0.0.1:${(hanging.address() as { port: number }).port}`], { cwd, env: env() });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/did not answer within 300 ms/);
      expect(res.stderr).not.toMatch(/\n\s+at /);
      // vitest started while the plan was built (and had 300 ms to print); with no plan, none of its output shows.
      expect(res.stdout + res.stderr).not.toMatch(/vitest|Test Files|auth suite/);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((r) => hanging.close(() => r()));
    }
  });

  it('an invalid suite file', async () => {
    const cwd = workdir();
    writeFileSync(path.join(cwd, 'bad.yaml'), 'name: bad\nendpoints:\n  - method: GET\n    path: me\n');
    const res = await runCli(['run', '--suite', 'bad.yaml', '--target', 'http://127.0.0.1:9'], { cwd, env: env() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/bad\.yaml:4: endpoints\[0\]\.path must be a path on the target starting with a single \//);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('a suite of your own with no target, a bad --reporter or -t, an unknown case or audit token', async () => {
    const cwd = workdir();
    writeFileSync(path.join(cwd, 'mine.yaml'), 'name: mine\naudit: false\nendpoints:\n  - method: GET\n    path: /me\n');
    const noTarget = await runCli(['run', '--suite', 'mine.yaml'], { cwd, env: env() });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/^clerk-harness run: no target for suite mine\.yaml: set TARGET_URL, --target/);
    const reporter = await runCli(['run', '--reporter', 'nope'], { cwd, env: env() });
    expect(reporter.stderr).toMatch(/--reporter must be one of default, verbose/);
    const regex = await runCli(['run', '-t', '('], { cwd, env: env() });
    expect(regex.stderr).toMatch(/-t\/--filter is not a valid regular expression/);
    writeFileSync(path.join(cwd, 'skip.yaml'), 'name: s\ncases:\n  skip:\n    alg-nope: x\nendpoints:\n  - method: GET\n    path: /me\n');
    const unknownCase = await runCli(['run', '--suite', 'skip.yaml', '--embedded'], { cwd, env: env() });
    expect(unknownCase.stderr).toMatch(/cases\.skip names unknown case "alg-nope"/);
    writeFileSync(path.join(cwd, 'token.yaml'), 'name: t\naudit:\n  path: logs/{HH}.jsonl\nendpoints:\n  - method: GET\n    path: /me\n');
    const badToken = await runCli(['run', '--suite', 'token.yaml', '--embedded'], { cwd, env: env() });
    expect(badToken.stderr).toMatch(/audit path pattern "logs\/\{HH\}\.jsonl" has an unknown token \{HH\}/);
    for (const r of [reporter, regex, unknownCase, badToken]) {
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at |embedded default/); // nothing started, no stack
    }
  });

  it('a wrong flag and a bad --fail-on', async () => {
    const a = await runCli(['run', '--nope'], { cwd: workdir(), env: env() });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/Unknown option '--nope'/);
    const b = await runCli(['run', '--fail-on', 'severe'], { cwd: workdir(), env: env() });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--fail-on must be one of critical, high, medium, low/);
  });
});
