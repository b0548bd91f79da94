/**
 * Reports grouped by root cause: terminal, Markdown and HTML lead with the causes (title, fix once,
 * cases and endpoints, severity), then the counts, then the matrix; deterministic order.
 */
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { rootCauses } from '../src/report/root-causes.js';
import { summarise } from '../src/report/summary.js';
import { renderTerminalSummary } from '../src/report/terminal.js';
import type { CaseResult } from '../src/suite/result.js';

const ALG = 'Pin the algorithm: algorithms=["RS256"]';
const FORBID = 'FastAPI < 0.122 HTTPBearer answers 403: upgrade FastAPI';
const r = (endpoint: string, caseId: string, extra: Partial<CaseResult>): CaseResult => ({
  endpoint,
  request: endpoint === 'create job' ? 'POST /jobs' : 'GET /jobs',
  caseId,
  title: `title of ${caseId}`,
  expect: 'rejected',
  expectedStatus: [401],
  severity: 'critical',
  verdict: 'pass',
  message: '401 as expected',
  why: 'w',
  ...extra,
});
const accepted = (endpoint: string, caseId: string) =>
  r(endpoint, caseId, { verdict: 'finding', accepted: true, message: 'accepted with 201; a correct server rejects this token with 401', hint: ALG, observed: { status: 201, bodyExcerpt: '{"job_id":"j"}', headers: {}, durationMs: 3 } });
const forbidden = (endpoint: string, caseId: string) =>
  r(endpoint, caseId, { verdict: 'finding', severity: 'low', cause: 'forbid-missing-header', message: '403 where 401 is right', hint: FORBID, observed: { status: 403, bodyExcerpt: '{"detail":"Not authenticated"}', headers: {}, durationMs: 2 } });

const results: CaseResult[] = [
  r('create job', 'valid-session-token', { expect: 'accepted', expectedStatus: [201], severity: 'high', message: '201 as expected' }),
  forbidden('create job', 'no-authorization-header'),
  forbidden('create job', 'empty-bearer'),
  forbidden('list jobs', 'no-authorization-header'),
  r('create job', 'missing-exp', { verdict: 'finding', severity: 'medium', accepted: true, message: 'accepted with 201; a correct server rejects this token with 401', hint: 'require exp' }),
  accepted('create job', 'alg-none'),
  accepted('create job', 'alg-none-capitalized'),
  accepted('list jobs', 'alg-none'),
  r('create job', 'template-token', { verdict: 'skip', expect: 'accepted', skipReason: 'no template', message: 'skipped: no template' }),
];

const report = (rs: CaseResult[]) =>
  summarise({ suite: { name: 'jobs', file: 'jobs.yaml' }, target: 'http://127.0.0.1:8000', mode: 'emulator', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:02.000Z', durationMs: 2000, failOn: 'medium', results: rs, errors: [] });

describe('root causes', () => {
  it('groups findings by cause (or by their fix), most severe first, cases in catalogue order', () => {
    const causes = rootCauses(report(results));
    expect(causes.map((c) => [c.id, c.severity, c.cases, c.endpoints, c.results.length, c.failing])).toEqual([
      ['rc-alg-none', 'critical', ['alg-none', 'alg-none-capitalized'], ['POST /jobs', 'GET /jobs'], 3, true],
      ['rc-missing-exp', 'medium', ['missing-exp'], ['POST /jobs'], 1, true],
      ['rc-forbid-missing-header', 'low', ['no-authorization-header', 'empty-bearer'], ['POST /jobs', 'GET /jobs'], 3, false],
    ]);
    expect(causes[0]!.fix).toBe(ALG);
    expect(causes[0]!.title).toMatch(/^accepts a token it must reject: /);
    expect(causes[2]!.title).toMatch(/^403 where 401 is right/);
  });

  it('an accepted altered signature explains every forged token accepted on that endpoint: one cause, one fix', () => {
    const VERIFY = 'Verify the signature with the instance key';
    const forged = (endpoint: string, caseId: string, hint: string) => ({ ...accepted(endpoint, caseId), hint });
    const rs: CaseResult[] = [
      forged('create job', 'signature-altered', VERIFY),
      forged('create job', 'truncated-token', 'Verify the signature on every request'),
      forged('create job', 'alg-none', ALG),
      forged('create job', 'embedded-jwk', 'Never trust a key from the token'),
      { ...forged('create job', 'role-claim-tampered', 'verify before reading o.rol'), cause: 'authz-role-tampered' },
      // sub changed under the old signature: the owner-only route's own 404 (past authentication).
      r('create job', 'payload-tampered', { verdict: 'finding', pastAuthentication: true, message: '404 instead of 401: the token was authenticated', hint: 'use verify' }),
      r('create job', 'missing-exp', { verdict: 'finding', severity: 'medium', accepted: true, message: 'accepted with 201', hint: 'require exp' }),
      // Here signatures are checked (the altered one was refused), but alg none gets through: its own cause.
      r('list jobs', 'signature-altered', { message: '401 as expected' }),
      forged('list jobs', 'alg-none', ALG),
    ];
    const causes = rootCauses(report(rs));
    expect(causes.map((c) => [c.id, c.cases.slice().sort(), c.endpoints, c.fix])).toEqual([
      ['rc-signature-not-verified', ['alg-none', 'embedded-jwk', 'payload-tampered', 'role-claim-tampered', 'signature-altered', 'truncated-token'], ['POST /jobs'], VERIFY],
      ['rc-alg-none', ['alg-none'], ['GET /jobs'], ALG],
      ['rc-missing-exp', ['missing-exp'], ['POST /jobs'], 'require exp'],
    ]);
    expect(causes[0]!.title).toMatch(/^token signatures are not verified/);
    expect(causes[0]!.messages).toEqual(['accepted with 201; a correct server rejects this token with 401']);
    expect(causes[0]!.results).toHaveLength(6);
  });

  it('every view is the same whatever order concurrent tests finished in', () => {
    const a = report(results);
    // The endpoints keep the suite's order (run.ts sorts results into plan order); cases finish in any order.
    const b = report([results[0]!, ...results.slice(1).reverse()]);
    expect(renderMarkdown(b)).toBe(renderMarkdown(a));
    expect(renderHtml(b)).toBe(renderHtml(a));
    expect(renderTerminalSummary(b, false)).toBe(renderTerminalSummary(a, false));
  });
});

describe('terminal', () => {
  it('shows each root cause once with its fix once, then the counts, then the verdict', () => {
    const out = renderTerminalSummary(report(results), false);
    expect(out.match(/Pin the algorithm/g)).toHaveLength(1);
    expect(out.match(/403 where 401 is right/g)).toHaveLength(2); // the cause's title and its one observation
    expect(out).toMatch(/ 1\. CRITICAL accepts a token it must reject: [^\n]+\n    ✗ accepted with 201; a correct server rejects this token with 401\n    3 cases: alg-none, alg-none-capitalized on POST \/jobs, GET \/jobs\n    body: \{"job_id":"j"\}\n    fix: Pin the algorithm/);
    expect(out).toMatch(/ 3\. LOW 403 where 401 is right[^\n]*\(below the gate medium\)/);
    const order = ['ROOT CAUSES (3)', ' 1. CRITICAL', ' 2. MEDIUM', ' 3. LOW', 'SKIPPED', '9 tests:', 'FAILED: 4 findings at or above medium'].map((s) => out.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
  });
});

describe('Markdown for $GITHUB_STEP_SUMMARY', () => {
  const md = renderMarkdown(report(results));

  it('leads with the root causes, links with user-content- anchors, then counts, then the matrix', () => {
    expect(md).toMatch(/^## clerk-harness: jobs — ❌ failed\n/);
    const list = md.slice(md.indexOf('### Root causes (3)'), md.indexOf('#### '));
    expect(list).toContain('1. **critical** [accepts a token it must reject: title of alg-none; title of alg-none-capitalized](#user-content-rc-alg-none) — 3 cases on POST /jobs, GET /jobs');
    expect(list).toContain('3. **low** [403 where 401 is right: unauthenticated requests are answered "forbidden"](#user-content-rc-forbid-missing-header) — 3 cases on POST /jobs, GET /jobs (below the gate)');
    for (const id of ['rc-alg-none', 'rc-missing-exp', 'rc-forbid-missing-header']) {
      expect(md).toContain(`<a id="${id}"></a>`);
      expect(md).toContain(`(#user-content-${id})`);
    }
    expect(md.match(/accepted with 201; a correct server rejects this token with 401/g)).toHaveLength(2); // once per cause
    expect(md.match(/Pin the algorithm/g)).toHaveLength(1);
    expect(md).toContain('| 3 | 0 | 1 | 3 | 1 | 1 | 0 | 0 | 0 |');
    const [causes, counts, matrix] = ['### Root causes', '### Counts', '<summary>All results</summary>'].map((s) => md.indexOf(s));
    expect(causes).toBeLessThan(counts!);
    expect(counts).toBeLessThan(matrix!);
    // Matrix: cases × endpoints; a finding's cell links to its cause.
    expect(md).toContain('| case | POST /jobs | GET /jobs |');
    expect(md).toContain('| `alg-none` | [❌ critical 201](#user-content-rc-alg-none) | [❌ critical 201](#user-content-rc-alg-none) |');
    expect(md).toContain('| `empty-bearer` | [❌ low 403](#user-content-rc-forbid-missing-header) | — |');
  });
});

describe('HTML', () => {
  const html = renderHtml(report(results));

  it('root causes, then counts, then the matrix; each cell opens its own details in place', () => {
    const [causes, counts, matrix] = ['<h2>Root causes (3)</h2>', '<h2>Counts</h2>', '<h2>Matrix</h2>'].map((s) => html.indexOf(s));
    expect(causes).toBeGreaterThan(0);
    expect(causes).toBeLessThan(counts!);
    expect(counts).toBeLessThan(matrix!);
    expect(html).toMatch(/<section class="cause sev-critical" id="rc-alg-none">\n<h3><span class="badge sev-critical">critical<\/span> 1\. accepts a token it must reject/);
    expect(html.match(/Pin the algorithm/g)!.length).toBe(1 + 3); // the cause's fix once, plus each cell's own details
    // A cause on several endpoints names each case once, with a link to each cell it failed in.
    expect(html).toContain('<span class="case-on"><code>alg-none</code> (<a href="#cell-0-alg-none">POST /jobs</a>, <a href="#cell-1-alg-none">GET /jobs</a>)</span>');
    // Details sit inside their cell (<details> per cell: any number open at once, no script).
    expect(html).toMatch(/<td class="v-finding s-critical" id="cell-0-alg-none"><details><summary>critical <small>201<\/small><\/summary><div class="detail"><table>/);
    expect(html).toContain('<a href="#rc-alg-none">rc-alg-none</a>');
    expect(html).not.toMatch(/<script/);
  });
});

describe('a blocker is the first root cause, once', () => {
  it('terminal and Markdown name it with its fix and doctor command; its cases are not repeated as findings', () => {
    const blocked = ['valid-session-token', 'expired-token', 'alg-none'].map((id) =>
      r('create job', id, { verdict: 'blocked', blockedBy: 'aud-required', message: `blocked by aud-required: rejected a valid token with 401` }),
    );
    const rep = summarise({
      ...report(blocked),
      blockers: [{ cause: 'aud-required', message: 'rejected a valid token with 401: the verifier requires aud', fix: 'do not require aud for session tokens', doctor: 'clerk-harness doctor --target http://127.0.0.1:8000', endpoints: ['create job'], blockedCases: 3 }],
    });
    const out = renderTerminalSummary(rep, false);
    expect(out).toMatch(/ROOT CAUSES \(1\)\n\n 1\. BLOCKED: aud-required [^\n]+\n    ✗ rejected a valid token with 401: the verifier requires aud\n    3 cases on POST \/jobs could not be judged\n    fix: do not require aud for session tokens\n    then: clerk-harness doctor --target http:\/\/127\.0\.0\.1:8000\n/);
    expect(out).toMatch(/FAILED: blocked by aud-required/);
    const md = renderMarkdown(rep);
    expect(md).toMatch(/1\. ⛔ blocked \[blocked: [^\]]+\]\(#user-content-rc-blocked-aud-required\) — 3 cases blocked on POST \/jobs/);
    expect(md).toContain('Then: `clerk-harness doctor --target http://127.0.0.1:8000`');
    expect(md.match(/do not require aud for session tokens/g)).toHaveLength(1);
  });
});
