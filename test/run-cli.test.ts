/**
 * `clerk-harness run` end to end, as a user runs it: the built CLI against an in-process emulator
 * and the reference target (correct, and with each deliberate flaw), real reports on disk.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCase } from '../src/cases/catalogue.js';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { FLAWS, TARGET_FLAWS } from '../src/target/flaws.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { TargetFlaw } from '../src/target/types.js';
import type { RunReport } from '../src/report/summary.js';
import { runCli } from './helpers/cli.js';

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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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

describe('each deliberate flaw is caught by the case meant for it and fails the run', () => {
  const expectedSeverity = (flaw: TargetFlaw, caseId: string): string => {
    const info = FLAWS[flaw];
    if (info.symptom === 'audit') return 'high';
    if (flaw === 'forbid-missing-header') return 'low'; // 403 where 401 is right: advice (policy.ts)
    if (info.symptom === 'status') return 'high'; // 5xx
    return getCase(caseId).severity;
  };

  // A valid token refused for a cause that makes the rest meaningless is one blocker, not a finding.
  const BLOCKERS: Partial<Record<TargetFlaw, string>> = { 'require-aud': 'aud-required', 'env-not-loaded': 'env-not-loaded' };

  it.each(TARGET_FLAWS.map((f) => [f]))('%s', async (flaw) => {
    const ids = FLAWS[flaw].caughtBy;
    const blocker = BLOCKERS[flaw];
    const filter = ` (${ids.map(escape).join('|')})$`;
    const run = await runAgainst([flaw], ['-t', filter]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    expect(run.report.status).toBe('failed');
    for (const id of ids) {
      const r = run.report.results.find((x) => x.caseId === id);
      expect(r, `${flaw}: result for ${id}`).toBeDefined();
      if (blocker) {
        expect(r!.verdict, `${flaw}: ${id} → ${r!.message}`).toBe('blocked');
        expect(r!.blockedBy).toBe(blocker);
        continue;
      }
      expect(r!.verdict, `${flaw}: ${id} → ${r!.message}`).toBe('finding');
      expect(r!.severity, `${flaw}: ${id}`).toBe(expectedSeverity(flaw, id));
      if (FLAWS[flaw].symptom === 'audit') expect(r!.audit?.length).toBeGreaterThan(0);
    }
    if (blocker) {
      expect(run.report.blockers.map((b) => b.cause)).toEqual([blocker]);
      expect(run.stdout).toMatch(new RegExp(`BLOCKED: ${blocker}`));
      expect(run.stdout).toMatch(/then: clerk-harness doctor /);
      expect(run.stdout).toMatch(/FAILED: blocked by/);
    } else {
      expect(run.stdout).toMatch(/FAILED: \d+ findings? at or above low/);
    }
  }, 60_000);
});

describe('suites without an audit log', () => {
  it('run their requests concurrently and still judge every case', async () => {
    const suite = path.join(workdir(), 'no-audit.yaml');
    const body = new URL('../fixtures/job.json', import.meta.url).pathname;
    writeFileSync(suite, `name: no audit\naudit: false\nendpoints:\n  - name: create job\n    method: POST\n    path: /jobs\n    body: ${body}\n    accepted_status: 201\n`);
    const run = await runAgainst(['allow-alg-none'], ['--suite', suite]);
    expect(run.code).toBe(1);
    const findings = run.report.results.filter((r) => r.verdict === 'finding').map((r) => r.caseId).sort();
    expect(findings).toEqual([...FLAWS['allow-alg-none'].caughtBy].sort());
    expect(run.report.results.every((r) => r.audit === undefined)).toBe(true);
  }, 60_000);
});

describe('flaws change only the cases meant for them (no collateral findings)', () => {
  it('accept-no-exp + allow-alg-none + accept-expired over the whole catalogue', async () => {
    const flaws: TargetFlaw[] = ['accept-no-exp', 'allow-alg-none', 'accept-expired'];
    const run = await runAgainst(flaws);
    expect(run.code).toBe(1);
    const findings = run.report.results.filter((r) => r.verdict === 'finding').map((r) => r.caseId).sort();
    expect(findings).toEqual(flaws.flatMap((f) => FLAWS[f].caughtBy).sort());
    expect(run.report.results.filter((r) => r.verdict === 'error')).toEqual([]);
  }, 90_000);
});

describe('configuration and transport errors exit 2 with one clear line', () => {
  const env = () => ({ CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey });

  it('an unreachable target', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const res = await runCli(['run', '--target', `http://127.0.0.1:${port}`], { cwd: workdir(), env: env() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/connection refused: nothing listens on that port/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
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

describe('suites can require failed attempts to be logged', () => {
  const jobBody = new URL('../fixtures/job.json', import.meta.url).pathname;
  const suiteText = `name: log failures\naudit:\n  path: logs/audit/jobs/audit_{YYYYMMDD}.jsonl\n  log_failures: true\nendpoints:\n  - name: create job\n    method: POST\n    path: /jobs\n    body: ${jobBody}\n    accepted_status: 201\n`;

  async function runWith(logFailures: boolean) {
    const cwd = workdir();
    writeFileSync(path.join(cwd, 'suite.yaml'), suiteText);
    const target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, auditDir: path.join(cwd, 'logs', 'audit'), logFailures });
    try {
      const res = await runCli(['run', '--suite', 'suite.yaml', '--target', target.url, '-t', ' (valid-session-token|expired-token|no-authorization-header)$'], {
        cwd,
        env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey },
        timeoutMs: 60_000,
      });
      return { ...res, report: JSON.parse(readFileSync(path.join(cwd, 'reports', 'results.json'), 'utf8')) as RunReport };
    } finally {
      await target.stop();
    }
  }

  it('passes when the target logs each rejected attempt once', async () => {
    const run = await runWith(true);
    expect(run.report.results.map((r) => `${r.caseId}:${r.verdict}`).sort()).toEqual(['expired-token:pass', 'no-authorization-header:pass', 'valid-session-token:pass']);
    expect(run.code).toBe(0);
  }, 60_000);

  it('is a finding on every rejected case when the target logs nothing for them', async () => {
    const run = await runWith(false);
    expect(run.code).toBe(1);
    for (const id of ['expired-token', 'no-authorization-header']) {
      const r = run.report.results.find((x) => x.caseId === id)!;
      expect(r.verdict).toBe('finding');
      expect(r.audit?.[0].message).toMatch(/failure/i);
    }
    expect(run.report.results.find((x) => x.caseId === 'valid-session-token')!.verdict).toBe('pass');
  }, 60_000);
});
