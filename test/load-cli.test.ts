/**
 * `clerk-harness load`: the embedded default through the built CLI as a user runs it (--json on
 * stdout, --reports on disk); an SLO missed, refusals split by cause against a flawed target,
 * --check-audit and usage errors through the same main() in this process (no node start and CLI
 * import per run; none of them takes a signal or a TTY). The runs share no state (each its own
 * working directory, so its own embedded target and audit files), so they overlap: most of their
 * wall time is the fixed --duration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import type { LoadReport } from '../src/load/report.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget } from '../src/target/types.js';
import { runCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

describe.concurrent('clerk-harness load', () => {
  let cwd: string;
  const dirs: string[] = [];
  /** A working directory of its own: the embedded target audits into <cwd>/logs/audit. */
  const ownDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'load-cli-'));
    dirs.push(dir);
    return dir;
  };
  let emulator: Emulator;
  let flawed: ReferenceTarget;

  beforeAll(async () => {
    cwd = mkdtempSync(path.join(tmpdir(), 'load-cli-'));
    emulator = await startEmulator();
    flawed = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir: path.join(cwd, 'flawed-audit'), flaws: ['require-email'] });
  });
  afterAll(async () => {
    await flawed?.stop();
    await emulator?.stop();
    for (const dir of [cwd, ...dirs]) rmSync(dir, { recursive: true, force: true });
  });

  it('drives the embedded reference target and reports JSON (clerk-harness/load@1)', { timeout: 90_000 }, async () => {
    const res = await runCli(['load', '--duration', '2s', '--rate', '40', '--connections', '4', '--max-error-rate', '0.1%', '--json', '--quiet', '--reports', 'out'], { cwd: ownDir(), timeoutMs: 80_000 });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as LoadReport;
    expect(report.format).toBe('clerk-harness/load@1');
    expect(report.status).toBe('passed');
    expect(report.endpoint).toMatchObject({ name: 'create job', method: 'POST', path: '/jobs' });
    expect(report.requests.completed).toBeGreaterThan(20);
    expect(Object.keys(report.statuses)).toEqual(['201']);
    expect(report.refusals).toEqual([]);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p95);
    expect(report.latencyMs.p95).toBeLessThanOrEqual(report.latencyMs.p99);
    expect(report.latencyMs.p99).toBeLessThanOrEqual(report.latencyMs.max);
    expect(report.tokens).toMatchObject({ identities: 1, lifetimeMs: 60_000, maxAgeMs: 50_000, expiredTokenAnswers: 0, sentWithoutToken: 0 });
    expect(report.slo).toEqual([{ name: 'error rate', limit: 0.001, actual: 0, passed: true }]);
    // No token in the output, ever.
    expect(res.stdout + res.stderr).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it('exits 1 when an SLO is missed, naming it', { timeout: 90_000 }, async () => {
    const res = await callMain(['load', '--duration', '1s', '--rate', '20', '--max-p99', '0.001ms', '--quiet'], { cwd: ownDir() });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toMatch(/✗ p99 .* \(limit ≤ 0\.00 ms\)/);
    expect(res.stdout).toMatch(/FAILED/);
  });

  it('splits refusals by cause through the diagnosis catalogue', { timeout: 90_000 }, async () => {
    const env = { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey };
    const res = await callMain(['load', '--target', flawed.url, '--endpoint', 'create job', '--duration', '2s', '--rate', '20', '--max-error-rate', '1%', '--json', '--quiet'], { cwd: ownDir(), env });
    const report = JSON.parse(res.stdout) as LoadReport;
    expect(res.code, res.stdout).toBe(1);
    expect(report.requests.completed).toBeGreaterThan(0);
    expect(report.requests.accepted).toBe(0);
    expect(report.refusals).toHaveLength(1);
    expect(report.refusals[0]).toMatchObject({ status: 401, cause: 'email-required', count: report.requests.completed });
    expect(report.refusals[0]!.fix).toBeTruthy();
    expect(report.tokens.expiredTokenAnswers).toBe(0);
    expect(report.slo[0]).toMatchObject({ name: 'error rate', actual: 1, passed: false });
  });

  it('--check-audit: one attributed audit line per accepted request, and a double-writing target caught', { timeout: 90_000 }, async () => {
    const ok = await callMain(['load', '--duration', '1s', '--rate', '20', '--check-audit', '--json', '--quiet'], { cwd: ownDir() });
    expect(ok.code, ok.stderr).toBe(0);
    const good = JSON.parse(ok.stdout) as LoadReport;
    expect(good.audit).toMatchObject({ passed: true, unattributed: 0 });
    expect(good.audit!.successes).toBeGreaterThanOrEqual(good.requests.accepted);

    // A target that writes two lines per job, auditing where the reference suite expects (cwd/logs/audit).
    const dir = mkdtempSync(path.join(tmpdir(), 'load-audit-'));
    const doubled = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir: path.join(dir, 'logs', 'audit'), flaws: ['audit-double'] });
    try {
      const env = { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey };
      const bad = await callMain(['load', '--target', doubled.url, '--endpoint', 'create job', '--duration', '1s', '--rate', '10', '--check-audit', '--quiet'], { cwd: dir, env });
      expect(bad.code, bad.stderr).toBe(1);
      expect(bad.stdout).toMatch(/✗ audit: \d+ success line\(s\) more than accepted requests/);
    } finally {
      await doubled.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with one line (in-process: the same main())', async () => {
    const unknown = await callMain(['load', '--endpoint', 'nope'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/clerk-harness load: the suite has no endpoint named "nope"; its endpoints: "create job"/);
    const rate = await callMain(['load', '--rate', 'fast'], { cwd });
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/--rate must be a whole number/);
    const slo = await callMain(['load', '--max-error-rate', 'lots'], { cwd });
    expect(slo.code).toBe(2);
    expect(slo.stderr).toMatch(/--max-error-rate must be a percentage/);
    const help = await callMain(['load', '--help'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--max-p99/);
  });
});
