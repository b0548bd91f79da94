/**
 * Judge a conformance backend (not our reference target) with the real runner, in-process:
 * a suite file like a user writes it, the real emulator minting, runPlan deciding verdicts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSuite } from '../src/suite/load.js';
import { buildPlan } from '../src/suite/build-plan.js';
import { runPlan } from '../src/suite/run-suite.js';
import type { Emulator } from '../src/emulator/types.js';
import type { RunReport } from '../src/report/summary.js';
import type { CaseResult } from '../src/suite/result.js';
import { severityAtLeast } from '../src/suite/policy.js';

export interface SuiteShape {
  /** Absolute folder the backend writes audit_YYYYMMDD.jsonl into (logs/audit/jobs), or false. */
  auditDir: string | false;
  acceptedStatus?: number;
  extraYaml?: string;
}

/** Write a suite the way the README tells a user to, and load it through the real loader. */
export function writeSuite(shape: SuiteShape): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'conformance-suite-'));
  writeFileSync(path.join(dir, 'job.json'), JSON.stringify({ urs_file: 'test_urs.txt', title: 'conformance job' }));
  const audit = shape.auditDir
    ? `audit:\n  base_dir: ${JSON.stringify(shape.auditDir)}\n  path: audit_{YYYYMMDD}.jsonl\n  wait_ms: 400\n  timestamp_tolerance_ms: 5000\n`
    : 'audit: false\n';
  const yaml = [
    'name: conformance backend',
    'target:',
    '  base_url: ${TARGET_URL}',
    '  timeout_ms: 5000',
    'endpoints:',
    '  - name: create job',
    '    method: POST',
    '    path: /jobs',
    '    body: job.json',
    `    accepted_status: ${shape.acceptedStatus ?? 201}`,
    audit + (shape.extraYaml ?? ''),
  ].join('\n');
  const file = path.join(dir, 'suite.yaml');
  writeFileSync(file, yaml);
  return file;
}

export async function judgeBackend(emulator: Emulator, targetUrl: string, shape: SuiteShape): Promise<RunReport> {
  const suite = loadSuite(writeSuite(shape));
  const plan = await buildPlan({
    suite,
    targetUrl,
    clerk: { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'conformance@example.com' },
    publicKeyPem: emulator.currentKey().publicPem,
    failOn: suite.failOn ?? 'medium',
  });
  return runPlan(plan);
}

/** Findings at or above a severity, as "case:severity" for readable assertions. */
export function findings(report: RunReport, atLeast: 'low' | 'medium' | 'high' | 'critical' = 'low'): string[] {
  return report.results
    .filter((r) => r.verdict === 'finding' && severityAtLeast(r.severity, atLeast))
    .map((r) => `${r.caseId}:${r.severity}`)
    .sort();
}

export function result(report: RunReport, caseId: string): CaseResult {
  const r = report.results.find((x) => x.caseId === caseId);
  if (!r) throw new Error(`no result for ${caseId}`);
  return r;
}

/** A compact dump for assertion messages. */
export function dump(report: RunReport): string {
  return report.results
    .filter((r) => r.verdict !== 'pass' && r.verdict !== 'skip')
    .map((r) => `${r.caseId} ${r.verdict}/${r.severity} cause=${r.cause ?? '-'} ${r.message.slice(0, 160)}`)
    .concat(report.blockers.map((b) => `BLOCKER ${b.cause} ${b.message.slice(0, 120)}`))
    .join('\n');
}
