/**
 * Every deliberate flaw of the reference target, judged in-process over the whole catalogue with
 * the real runner (runPlan), the real emulator minting and the default suite, audit log included.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import type { RunReport } from '../src/report/summary.js';
import { buildPlan } from '../src/suite/build-plan.js';
import { DEFAULT_SUITE_FILE, loadSuite } from '../src/suite/load.js';
import { runPlan } from '../src/suite/run-suite.js';
import { FLAWS, TARGET_FLAWS } from '../src/target/flaws.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { TargetFlaw } from '../src/target/types.js';
import { writeCreateJobSuite } from './helpers/suites.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({});
});
afterAll(async () => {
  await emulator?.stop();
});

async function judge(flaws: TargetFlaw[], options: { suiteFile?: string; logFailures?: boolean } = {}): Promise<RunReport> {
  const cwd = options.suiteFile ? path.dirname(options.suiteFile) : mkdtempSync(path.join(tmpdir(), 'run-flaws-'));
  const target = await startReferenceTarget({
    apiUrl: emulator.url,
    secretKey: emulator.secretKey,
    issuer: emulator.issuer,
    auditDir: path.join(cwd, 'logs', 'audit'),
    flaws,
    logFailures: options.logFailures,
  });
  try {
    const suite = loadSuite(options.suiteFile ?? DEFAULT_SUITE_FILE, { cwd });
    const plan = await buildPlan({
      suite,
      targetUrl: target.url,
      clerk: { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'run-flaws@example.com' },
      publicKeyPem: emulator.currentKey().publicPem,
      failOn: 'low',
    });
    return await runPlan(plan);
  } finally {
    await target.stop();
  }
}

const ACCEPTED_CASES = ['valid-session-token', 'valid-without-email', 'valid-without-aud', 'iat-ahead-within-leeway', 'exp-just-passed-within-leeway'];
const ALG_NONE = ['alg-none', 'alg-none-capitalized', 'alg-none-uppercase', 'alg-none-mixed-case'];

/**
 * What each flaw must produce over the whole catalogue, written from what the flaw does (and what
 * the library it imitates documents), not from what the harness printed: "case:severity".
 */
const EXPECTED: Record<Exclude<TargetFlaw, 'require-aud' | 'env-not-loaded'>, string[]> = {
  'accept-expired': ['expired-token:critical'],
  // PyJWT's verify_signature=False turns off every other check too: unsigned, mis-keyed and exp-less tokens all pass.
  'skip-signature': [...FLAWS['skip-signature'].caughtBy, ...ALG_NONE, 'hs256-public-key-confusion', 'hs256-blank-secret', 'kid-path-traversal', 'kid-sql-injection'].map((id) => `${id}:critical`).concat('missing-exp:medium'),
  'allow-alg-none': ALG_NONE.map((id) => `${id}:critical`),
  // Clerk's session tokens carry no email claim: every valid token without a template one is refused.
  'require-email': ['valid-session-token:high', 'valid-without-email:high', 'valid-without-aud:high', 'iat-ahead-within-leeway:medium'],
  // FastAPI's HTTPBearer answers 403 for any request without a Bearer credential.
  'forbid-missing-header': ['no-authorization-header', 'empty-bearer', 'wrong-scheme-basic', 'wrong-scheme-token'].map((id) => `${id}:low`),
  'accept-no-exp': ['missing-exp:medium'],
  // Every accepted request is audited, so an audit flaw shows on each of them.
  'audit-omit-iat': ACCEPTED_CASES.map((id) => `${id}:high`),
  'audit-wrong-user': ACCEPTED_CASES.map((id) => `${id}:high`),
  'audit-none': ACCEPTED_CASES.map((id) => `${id}:high`),
  'audit-double': ACCEPTED_CASES.map((id) => `${id}:high`),
  'crash-on-malformed': ['malformed-undecodable:high', 'malformed-not-three-parts:high'],
};

const findings = (report: RunReport) => report.results.filter((r) => r.verdict === 'finding').map((r) => `${r.caseId}:${r.severity}`).sort();

describe.concurrent('each deliberate flaw, over the whole catalogue with the audit log', () => {
  it('the correct reference target passes every case of the default suite, authorization cases included', async () => {
    const report = await judge([]);
    expect(report.results.filter((r) => r.authz).length).toBeGreaterThan(5);
    expect(report.results.filter((r) => r.verdict !== 'pass' && r.verdict !== 'skip' && r.verdict !== 'info').map((r) => `${r.caseId}: ${r.message}`)).toEqual([]);
    expect(report.status).toBe('passed');
  }, 60_000);

  it.each(Object.keys(EXPECTED).map((f) => [f as keyof typeof EXPECTED]))('%s: exactly the cases meant for it', async (flaw) => {
    const report = await judge([flaw], { suiteFile: writeCreateJobSuite() });
    expect(findings(report), report.results.map((r) => `${r.caseId} ${r.verdict} ${r.message}`).join('\n')).toEqual([...EXPECTED[flaw]].sort());
    expect(report.results.filter((r) => r.verdict === 'error')).toEqual([]);
    expect(report.blockers).toEqual([]);
    for (const id of FLAWS[flaw].caughtBy) expect(findings(report).some((f) => f.startsWith(`${id}:`)), id).toBe(true);
    if (FLAWS[flaw].symptom === 'audit') {
      for (const r of report.results.filter((x) => x.verdict === 'finding')) expect(r.audit?.length, r.caseId).toBeGreaterThan(0);
    }
    expect(report.status).toBe('failed');
  }, 60_000);

  // Over the whole default suite: a verification flaw shows on every route, and one that ignores
  // the signature lets bob's token with o.rol rewritten to admin delete alice's job.
  it('accept-expired and skip-signature over the default suite: every route, and the tampered role claim', async () => {
    const expired = await judge(['accept-expired']);
    const byEndpoint = (r: RunReport) => r.results.filter((x) => x.verdict === 'finding').map((x) => `${x.endpoint}/${x.caseId}:${x.severity}`).sort();
    expect(byEndpoint(expired)).toEqual(['create job/expired-token:critical', 'delete job/expired-token:critical', 'read job/expired-token:critical']);
    const unsigned = await judge(['skip-signature']);
    expect(byEndpoint(unsigned)).toContain('delete job/role-claim-tampered:critical');
    expect(byEndpoint(unsigned)).toContain('read job/alg-none:critical');
  }, 90_000);

  it.each([
    ['require-aud', 'aud-required'],
    ['env-not-loaded', 'env-not-loaded'],
  ] as const)('%s: one blocker (%s), every case blocked by it, no finding', async (flaw, cause) => {
    const report = await judge([flaw], { suiteFile: writeCreateJobSuite() });
    expect(report.blockers.map((b) => b.cause)).toEqual([cause]);
    expect(findings(report)).toEqual([]);
    const notSkipped = report.results.filter((r) => r.verdict !== 'skip');
    expect(notSkipped.every((r) => r.verdict === 'blocked' && r.blockedBy === cause), notSkipped.map((r) => `${r.caseId}:${r.verdict}`).join()).toBe(true);
  }, 60_000);
});

describe.concurrent('suites without an audit log, and suites that require failures to be logged', () => {
  const body = new URL('../fixtures/job.json', import.meta.url).pathname;
  function suiteFile(text: string): string {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'run-flaws-suite-')), 'suite.yaml');
    writeFileSync(file, text);
    return file;
  }
  const endpoint = `endpoints:\n  - name: create job\n    method: POST\n    path: /jobs\n    body: ${body}\n    accepted_status: 201\n`;

  it('without audit: the same findings, no audit issue on any result', async () => {
    const report = await judge(['allow-alg-none'], { suiteFile: suiteFile(`name: no audit\naudit: false\n${endpoint}`) });
    expect(findings(report)).toEqual([...EXPECTED['allow-alg-none']].sort());
    expect(report.results.every((r) => r.audit === undefined)).toBe(true);
  }, 60_000);

  const logFailures = `name: log failures\naudit:\n  path: logs/audit/jobs/audit_{YYYYMMDD}.jsonl\n  log_failures: true\n${endpoint}`;

  it('log_failures: passes when the target logs each refused attempt once', async () => {
    const report = await judge([], { suiteFile: suiteFile(logFailures), logFailures: true });
    expect(report.results.filter((r) => r.verdict === 'finding').map((r) => `${r.caseId}: ${r.message}`)).toEqual([]);
    expect(report.status).toBe('passed');
  }, 60_000);

  it('log_failures: a finding on every refused case when the target logs nothing for them', async () => {
    const report = await judge([], { suiteFile: suiteFile(logFailures), logFailures: false });
    // Refused by the application (401/403) it could have logged; a 431 from the HTTP server it never saw.
    const refused = report.results.filter((r) => r.expect === 'rejected' && r.verdict !== 'skip');
    const byApp = refused.filter((r) => r.observed?.status === 401 || r.observed?.status === 403);
    expect(byApp.length).toBeGreaterThan(20);
    for (const r of byApp) {
      expect(r.verdict, r.caseId).toBe('finding');
      expect(r.audit?.[0]?.message, r.caseId).toMatch(/no failure audit entry written/);
    }
    const oversized = report.results.find((x) => x.caseId === 'oversized-token')!;
    expect(oversized.observed?.status).toBe(431);
    expect(oversized.verdict).toBe('pass');
    expect(report.results.find((x) => x.caseId === 'valid-session-token')!.verdict).toBe('pass');
  }, 60_000);
});
