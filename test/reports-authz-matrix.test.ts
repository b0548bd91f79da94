/**
 * The authorization matrix (issue 11) in results.json, the terminal summary, summary.md and
 * report.html, from real runs (runPlan, the emulator, the loopback backend of authz-run.test.ts):
 * correct, and skipping the ownership check. Expected cells were written from what the backend
 * does before the runner was asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import type { AuthzMatrixCell } from '../src/report/authz-matrix.js';
import { renderHtml } from '../src/report/html.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { summarise, type RunReport } from '../src/report/summary.js';
import { renderTerminalSummary } from '../src/report/terminal.js';
import { judge } from './authz-backend-helper.js';

let emulator: Emulator;
let correct: RunReport;
let faulty: RunReport;
beforeAll(async () => {
  emulator = await startEmulator({});
  [correct, faulty] = await Promise.all([judge(emulator, []), judge(emulator, ['skip-ownership-check'])]);
}, 90_000);
afterAll(async () => {
  await emulator?.stop();
});

/** persona → endpoint → "expected [statuses] → observed: verdict severity (case ids)". */
function cells(r: RunReport): Record<string, Record<string, string>> {
  const m = r.authz!;
  const say = (c: AuthzMatrixCell | null) =>
    c ? `${c.expected} ${c.expectedStatus.join('/')} → ${c.observed ?? '-'}: ${c.verdict}${c.severity ? ` ${c.severity}` : ''} (${c.caseIds.join(', ')})` : '—';
  return Object.fromEntries(m.personas.map((p, i) => [p, Object.fromEntries(m.endpoints.map((e, j) => [e.name, say(m.rows[i]![j]!)]))]));
}

describe('authorization matrix', () => {
  it('rows are personas in suite order, columns the endpoints with access rules', () => {
    for (const r of [correct, faulty]) {
      expect(r.authz!.personas).toEqual(['alice', 'bob', 'mallory', 'carol']);
      expect(r.authz!.endpoints).toEqual([
        { name: 'read job', request: 'GET /jobs/{job_id}' },
        { name: 'delete job', request: 'DELETE /jobs/{job_id}' },
      ]);
    }
  });

  it('a correct backend: every cell passes (or is skipped as a BOLA duplicate)', () => {
    expect(cells(correct)).toEqual({
      alice: { 'read job': 'allowed 200/201/202/204 → 200: pass (allowed:alice)', 'delete job': 'allowed 204 → 204: pass (allowed:alice, no-active-org-admin-route)' },
      bob: { 'read job': 'denied 404 → 404: pass (bola-read-other-user)', 'delete job': 'denied 403 → 403: pass (member-calls-admin-route, role-claim-tampered)' },
      mallory: { 'read job': 'denied 404 → -: skip (denied:mallory)', 'delete job': 'denied 403 → 403: pass (bola-delete-other-user)' },
      carol: { 'read job': 'denied 404 → -: skip (denied:carol)', 'delete job': 'denied 403 → 403: pass (denied:carol)' },
    });
    const alice = correct.authz!.rows[0]![1]!;
    expect(alice.cases.map((c) => `${c.caseId}:${c.token}:${c.expected}:${c.expectedStatus.join('/')}:${c.observed}:${c.observedAccess}`)).toEqual([
      'allowed:alice:session:allowed:204:204:allowed',
      'no-active-org-admin-route:no-active-org:denied:403:403:denied',
    ]);
  });

  it('skipping the ownership check: exactly the cross-user cells are critical', () => {
    const c = cells(faulty);
    expect(c.bob!['read job']).toBe('denied 404 → 200: finding critical (bola-read-other-user)');
    expect(c.mallory!['delete job']).toBe('denied 403 → 204: finding critical (bola-delete-other-user)');
    expect(c.alice).toEqual(cells(correct).alice);
    expect(c.bob!['delete job']).toBe(cells(correct).bob!['delete job']);
    expect(c.carol).toEqual(cells(correct).carol);
    const bob = faulty.authz!.rows[1]![0]!.cases[0]!;
    expect(bob).toEqual({ caseId: 'bola-read-other-user', kind: 'bola', token: 'session', expected: 'denied', expectedStatus: [404], observed: 200, observedAccess: 'allowed', verdict: 'finding', severity: 'critical' });
  });

  it('the terminal summary prints the table, coloured only when asked', () => {
    const plain = renderTerminalSummary(faulty, false);
    expect(plain).toContain('AUTHORIZATION (4 personas × 2 endpoints');
    const line = (p: string) => plain.split('\n').find((l) => l.startsWith(`  ${p} `))!;
    expect(line('alice')).toContain('✓ allowed 200');
    expect(line('alice')).toContain('✓ allowed 204; no active org ✓ denied 403');
    expect(line('bob')).toContain('✗ denied expected 404, got 200 [critical]');
    expect(line('bob')).toContain('✓ denied 403; o.rol tampered ✓ denied 401');
    expect(line('mallory')).toContain('- denied 404, skipped');
    expect(line('mallory')).toContain('✗ denied expected 403, got 204 [critical]');
    // The table comes before the counts, the verdict stays last.
    expect(plain.indexOf('AUTHORIZATION')).toBeLessThan(plain.indexOf(' tests: '));
    expect(plain).not.toMatch(/\u001b\[/);
    const coloured = renderTerminalSummary(faulty, true);
    expect(coloured).toContain('\u001b[31m✗ denied expected 404, got 200 [critical]\u001b[39m');
    expect(coloured).toContain('\u001b[32m✓ allowed 200\u001b[39m');
    expect(renderTerminalSummary(correct, false)).not.toContain('✗');
  });

  it('summary.md: a table whose findings link to their root cause with GitHub anchors', () => {
    const md = renderMarkdown(faulty);
    expect(md).toContain('### Authorization (persona × endpoint)');
    expect(md).toContain('| persona | read job (`GET /jobs/{job_id}`) | delete job (`DELETE /jobs/{job_id}`) |');
    const bob = md.split('\n').find((l) => l.startsWith('| **bob** |'))!;
    expect(bob).toContain('[❌ denied expected 404, got 200 **critical**](#user-content-rc-authz-bola) <sub>`bola-read-other-user`</sub>');
    expect(bob).toContain('✅ denied 403 <sub>`member-calls-admin-route`</sub><br>✅ o.rol tampered: denied 401 <sub>`role-claim-tampered`</sub>');
    expect(md).toContain('<a id="rc-authz-bola"></a>');
    expect(md.indexOf('### Counts')).toBeLessThan(md.indexOf('### Authorization'));
    expect(renderMarkdown(correct)).not.toContain('](#user-content-rc-authz');
  });

  it('report.html: a table whose finding cells open their details and link to the root cause', () => {
    const html = renderHtml(faulty);
    expect(html).toContain('<h2>Authorization (persona × endpoint)</h2>');
    const cell = /<td class="v-finding s-critical" id="authz-1-0">(.*?)<\/details><\/td>/s.exec(html)?.[1];
    expect(cell).toBeDefined();
    expect(cell).toContain('<summary>denied expected 404, got 200 <strong>critical</strong></summary>');
    expect(cell).toContain('bola-read-other-user');
    expect(cell).toContain('<a href="#rc-authz-bola">rc-authz-bola</a>');
    expect(html).toContain('<section class="cause sev-critical" id="rc-authz-bola">');
    expect(html).toMatch(/<td class="v-pass" id="authz-0-0"><details><summary>allowed 200<\/summary>/);
    expect(html.indexOf('<h2>Authorization')).toBeLessThan(html.indexOf('<h2>Matrix</h2>'));
  });

  it('results.json carries the matrix; a run without personas has none', () => {
    expect(JSON.parse(JSON.stringify(faulty)).authz.rows[1][0].observed).toBe(200);
    const plain = correct.results.filter((r) => !r.authz).map(({ persona: _p, ...r }) => r);
    const noPersonas = summarise({ ...correct, results: plain });
    expect('authz' in noPersonas).toBe(false);
    expect(JSON.stringify(noPersonas)).not.toContain('"authz"');
    expect(renderTerminalSummary(noPersonas, false)).not.toContain('AUTHORIZATION');
    expect(renderMarkdown(noPersonas)).not.toContain('### Authorization');
    expect(renderHtml(noPersonas)).not.toContain('<h2>Authorization');
    // Summarised again (as markIncomplete does), the matrix is recomputed from the results.
    expect(summarise({ ...faulty }).authz).toEqual(faulty.authz);
  });
});
