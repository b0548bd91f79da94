import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTerminalSummary } from '../src/report/terminal.js';
import { summarise } from '../src/report/summary.js';
import { writeReports } from '../src/report/write.js';
import type { CaseResult } from '../src/suite/result.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18xIn0.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const SECRET = 'sk_test_AbCdEfGhIjKlMnOpQrStUvWxYz012345';

const base = { endpoint: 'create job', request: 'POST /jobs', title: 't', why: 'w', expectedStatus: [401] };
const results: CaseResult[] = [
  { ...base, caseId: 'valid-session-token', expect: 'accepted', expectedStatus: [201], severity: 'high', verdict: 'pass', message: '201 as expected' },
  {
    ...base,
    caseId: 'alg-none-lower',
    expect: 'rejected',
    severity: 'critical',
    verdict: 'finding',
    message: 'accepted with 201',
    hint: 'pin algorithms',
    observed: { status: 201, bodyExcerpt: `{"echo":"Bearer ${TOKEN}","key":"${SECRET}"}`, headers: {}, durationMs: 3 },
  },
  { ...base, caseId: 'missing-header', expect: 'rejected', severity: 'medium', verdict: 'finding', message: '403 where 401 is right', hint: 'FastAPI' },
  { ...base, caseId: 'template-token', expect: 'accepted', severity: 'medium', verdict: 'skip', message: 'skipped', skipReason: 'no template configured' },
  { ...base, caseId: 'expired-token', expect: 'rejected', severity: 'high', verdict: 'error', message: 'Test timed out in 30000ms' },
];

const report = (failOn: 'critical' | 'low') =>
  summarise({
    suite: { name: 'demo <suite>', file: '/x/demo.yaml' },
    target: 'http://127.0.0.1:1',
    mode: 'emulator',
    startedAt: '2026-11-22T00:00:00.000Z',
    finishedAt: '2026-11-22T00:00:01.000Z',
    durationMs: 1000,
    failOn,
    results,
    errors: [],
  });

describe('reports', () => {
  it('counts verdicts and decides status from the threshold', () => {
    expect(report('low').summary).toMatchObject({ total: 5, passed: 1, findings: 2, failing: 2, skipped: 1, errors: 1, bySeverity: { critical: 1, medium: 1 } });
    expect(report('low').status).toBe('error');
    const critOnly = summarise({ ...report('critical'), results: results.filter((r) => r.caseId !== 'alg-none-lower' && r.verdict !== 'error') });
    expect(summarise({ ...report('low'), results: results.filter((r) => r.verdict !== 'error') }).status).toBe('failed');
    expect(critOnly.status).toBe('passed');
  });

  it('writes JSON, Markdown and HTML that parse and hold no secret', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reports-'));
    const files = await writeReports(report('low'), dir);
    const json = JSON.parse(readFileSync(files.json, 'utf8'));
    expect(json.format).toBe('clerk-harness/result@1');
    expect(json.results).toHaveLength(5);
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toMatch(/## clerk-harness: demo <suite> — 💥 could not complete/);
    expect(md).toMatch(/### Errors[\s\S]*`expired-token` \| Test timed out/);
    // Root causes first, each linking to its section with GitHub's user-content- prefix.
    expect(md).toMatch(/### Root causes \(2\)\n\n1\. \*\*critical\*\* \[[^\]]+\]\(#user-content-rc-alg-none-lower\) — 1 case on POST \/jobs\n2\. \*\*medium\*\* /);
    expect(md).toMatch(/#### <a id="rc-alg-none-lower"><\/a>1\. critical: [^\n]+\n\n> accepted with 201\n\n\*\*Fix:\*\* pin algorithms\n/);
    expect(md.indexOf('### Root causes')).toBeLessThan(md.indexOf('### Counts'));
    expect(md.indexOf('### Counts')).toBeLessThan(md.indexOf('<summary>All results</summary>'));
    const html = readFileSync(files.html, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('demo &lt;suite&gt;');
    expect(html).toContain('class="v-finding s-critical"');
    expect(html).not.toMatch(/<script src=|<link /);
    for (const text of [JSON.stringify(json), md, html]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(SECRET);
    }
  });

  it('prints a fix shared by several findings once, under all of them', () => {
    const shared = { ...base, expect: 'rejected' as const, severity: 'medium' as const, verdict: 'finding' as const, message: '403 where 401 is right', hint: 'answer 401' };
    const out = renderTerminalSummary(
      summarise({ ...report('low'), results: [{ ...shared, caseId: 'no-authorization-header' }, { ...shared, caseId: 'empty-bearer' }] }),
      false,
    );
    expect(out.match(/answer 401/g)).toHaveLength(1);
    expect(out.match(/403 where 401 is right/g)).toHaveLength(1);
    expect(out).toMatch(/ROOT CAUSES \(1\)\n\n 1\. MEDIUM [^\n]+\n    ✗ 403 where 401 is right\n    2 cases: no-authorization-header, empty-bearer on POST \/jobs\n    fix: answer 401\n/);
  });

  it('prints findings most severe first with their fix, and no secrets', () => {
    const out = renderTerminalSummary(report('low'), false);
    expect(out.indexOf('CRITICAL')).toBeLessThan(out.indexOf('MEDIUM'));
    expect(out.indexOf('ROOT CAUSES')).toBeLessThan(out.indexOf('5 tests:'));
    expect(out).toMatch(/fix: pin algorithms/);
    expect(out).toMatch(/template-token: no template configured/);
    expect(out).toMatch(/ERRORS \(the test could not complete\)\n  ✗ Test timed out in 30000ms \(POST \/jobs · expired-token\)/);
    expect(out).toMatch(/ERROR: the run could not complete/);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(SECRET);
  });
});
