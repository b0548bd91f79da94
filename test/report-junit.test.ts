/**
 * JUnit as CI tools read it: parsed by a real JUnit consumer (junit2json, what BigQuery/CI
 * uploaders use), not by regexes over our own output.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, type TestCase, type TestSuite, type TestSuites } from 'junit2json';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../src/report/junit.js';
import { summarise, type RunReport } from '../src/report/summary.js';
import { writeReports } from '../src/report/write.js';
import type { CaseResult } from '../src/suite/result.js';

const base = { endpoint: 'create job', request: 'POST /jobs', title: 't', expectedStatus: [401], why: 'w' };
const results: CaseResult[] = [
  { ...base, caseId: 'alg-none', expect: 'rejected', severity: 'critical', verdict: 'finding', message: 'accepted with 201 <&>', hint: 'allow RS256 only', accepted: true, observed: { status: 201, bodyExcerpt: '{}', headers: {}, durationMs: 12 } },
  { ...base, caseId: 'wrong-issuer', expect: 'rejected', severity: 'low', verdict: 'finding', message: 'accepted with 201', hint: 'pass issuer=' },
  { ...base, caseId: 'template-token', expect: 'accepted', severity: 'medium', verdict: 'skip', message: 'skipped', skipReason: 'no JWT template configured' },
  { ...base, caseId: 'valid-session-token', expect: 'accepted', severity: 'high', verdict: 'blocked', blockedBy: 'aud-required', message: 'blocked by aud-required: rejected', cause: 'aud-required' },
  { ...base, caseId: 'expired-token', expect: 'rejected', severity: 'critical', verdict: 'pass', message: '401 as expected' },
  { ...base, endpoint: 'list jobs', request: 'GET /jobs', caseId: 'expired-token', expect: 'rejected', severity: 'critical', verdict: 'error', message: 'Test timed out in 30000ms' },
];

const report: RunReport = summarise({
  suite: { name: 'jobs API', file: 'suites/jobs.yaml' },
  target: 'http://127.0.0.1:8000',
  mode: 'emulator',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  failOn: 'medium',
  results,
  errors: [],
});

async function consume(xml: string): Promise<{ root: TestSuites; suite: TestSuite; byName: (endpoint: string, id: string) => TestCase }> {
  const root = (await parse(xml)) as TestSuites;
  const suite = root.testsuite![0]!;
  return { root, suite, byName: (endpoint, id) => suite.testcase!.find((t) => t.classname === endpoint && t.name === id)! };
}

// junit2json parses testcase <properties> too, although its TestCase type does not list them.
type WithProps = { properties?: Array<{ name?: string; value?: unknown }> };
const prop = (t: TestCase | TestSuite, name: string) => (t as WithProps).properties?.find((p) => p.name === name)?.value;

describe('JUnit that CI tools read', () => {
  it('one testsuite named after the suite; classname = the endpoint; counts match results.json', async () => {
    const { root, suite } = await consume(renderJunit(report));
    expect(root.testsuite).toHaveLength(1);
    expect(suite.name).toBe('jobs API');
    expect([suite.tests, suite.failures, suite.errors, suite.skipped]).toEqual([6, 2, 1, 1]);
    expect([root.tests, root.failures, root.errors, (root as { skipped?: number }).skipped]).toEqual([6, 2, 1, 1]);
    expect(new Set(suite.testcase!.map((t) => t.classname))).toEqual(new Set(['create job', 'list jobs']));
    expect(prop(suite, 'fail_on')).toBe('medium');
    expect(prop(suite, 'target')).toBe('http://127.0.0.1:8000');
  });

  it('a failure carries the severity as its type and as a property; skips keep their reason; errors are errors', async () => {
    const { byName } = await consume(renderJunit(report));
    const algNone = byName('create job', 'alg-none');
    expect(algNone.failure).toEqual([expect.objectContaining({ type: 'critical', message: '[critical] accepted with 201 <&>' })]);
    expect(algNone.failure![0]!.inner).toMatch(/fix: allow RS256 only/);
    expect(prop(algNone, 'severity')).toBe('critical');
    expect(prop(algNone, 'request')).toBe('POST /jobs');
    expect(prop(algNone, 'status')).toBe(201); // the consumer types numeric values
    expect(algNone.time).toBe(0.012);
    expect(byName('create job', 'template-token').skipped).toEqual([{ message: 'no JWT template configured' }]);
    const blocked = byName('create job', 'valid-session-token');
    expect(blocked.failure?.[0]).toMatchObject({ type: 'blocked' });
    expect(prop(blocked, 'blocked_by')).toBe('aud-required');
    expect(byName('list jobs', 'expired-token').error?.[0]).toMatchObject({ type: 'error', message: 'Test timed out in 30000ms' });
    // A low finding under a medium gate is advice: reported, not a failure.
    const low = byName('create job', 'wrong-issuer');
    expect(low.failure).toBeUndefined();
    expect(low['system-out']?.[0]).toMatch(/below the gate medium/);
    expect(prop(low, 'severity')).toBe('low');
    const passed = byName('create job', 'expired-token');
    expect(passed.failure ?? passed.error ?? passed.skipped).toBeUndefined();
  });

  it('order is the catalogue order whatever order the tests finished in', () => {
    // Endpoints keep the suite's order (run.ts puts results in plan order); cases finish in any order.
    const shuffled = summarise({ ...report, results: [results[0]!, ...results.slice(1).reverse()] });
    expect(renderJunit(shuffled)).toBe(renderJunit(report));
  });

  it('the written junit.xml and results.json describe the same run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'junit-'));
    const files = await writeReports(report, dir);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as RunReport;
    const { suite } = await consume(readFileSync(files.junit, 'utf8'));
    expect(suite.tests).toBe(json.summary.total);
    expect(suite.skipped).toBe(json.summary.skipped);
    for (const r of json.results) {
      const t = suite.testcase!.find((x) => x.classname === r.endpoint && x.name === r.caseId)!;
      expect(prop(t, 'verdict'), `${r.endpoint} ${r.caseId}`).toBe(r.verdict);
    }
  });
});
