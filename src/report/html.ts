import type { CaseResult } from '../suite/result.js';
import type { RunReport } from './summary.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function detail(r: CaseResult): string {
  const rows: Array<[string, string | undefined]> = [
    ['case', `${r.caseId} — ${r.title}`],
    ['endpoint', `${r.endpoint} (${r.request})`],
    ['expected', `${r.expect} (${r.expectedStatus.join(' or ')})`],
    ['observed', r.observed ? `${r.observed.status} in ${r.observed.durationMs} ms` : undefined],
    ['verdict', `${r.verdict}${r.verdict === 'finding' ? ` (${r.severity})` : ''}`],
    ['message', r.message],
    ['token sent', r.sent],
    ['why it matters', r.why],
    ['fix', r.hint],
    ['skip reason', r.skipReason],
    ['response body', r.observed?.bodyExcerpt],
    ['response headers', r.observed && Object.keys(r.observed.headers).length ? Object.entries(r.observed.headers).map(([k, v]) => `${k}: ${v}`).join('\n') : undefined],
    ['audit', r.audit?.map((a) => `${a.field}: ${a.message}`).join('\n')],
  ];
  return rows.filter(([, v]) => v).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v!)}</td></tr>`).join('');
}

/** A self-contained page: endpoint × case matrix, colour per verdict, details on click. No scripts from anywhere. */
export function renderHtml(report: RunReport): string {
  const endpoints = [...new Set(report.results.map((r) => r.endpoint))];
  const cases = [...new Set(report.results.map((r) => r.caseId))];
  const byKey = new Map(report.results.map((r) => [`${r.endpoint}\u0000${r.caseId}`, r]));
  const titles = new Map(report.results.map((r) => [r.caseId, r.title]));
  const s = report.summary;
  const label: Record<string, string> = { pass: 'pass', finding: 'finding', skip: 'skip', info: 'info', error: 'error', blocked: 'blocked' };
  let n = 0;
  const detailsHtml: string[] = [];
  const rows = cases.map((c) => {
    const cells = endpoints.map((e) => {
      const r = byKey.get(`${e}\u0000${c}`);
      if (!r) return '<td class="none">—</td>';
      const id = `d${n++}`;
      detailsHtml.push(`<div class="detail" id="${id}"><table>${detail(r)}</table></div>`);
      const text = r.verdict === 'finding' ? `${r.severity}` : label[r.verdict];
      return `<td class="v-${r.verdict} s-${r.severity}"><a href="#${id}">${esc(text)}${r.observed ? ` <small>${r.observed.status}</small>` : ''}</a></td>`;
    });
    return `<tr><th title="${esc(titles.get(c) ?? '')}"><code>${esc(c)}</code><br><small>${esc(titles.get(c) ?? '')}</small></th>${cells.join('')}</tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clerk-harness — ${esc(report.suite.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24}
h1{font-size:1.3rem} .status-passed{color:#1a7f37} .status-failed,.status-error{color:#cf222e}
table.matrix{border-collapse:collapse} .matrix th,.matrix td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
.matrix td a{color:inherit;text-decoration:none;display:block}
.v-pass{background:#dafbe1} .v-skip{background:#eaeef2;color:#57606a} .v-info{background:#ddf4ff}
.v-blocked{background:#d0d7de} .blocker{border-left:4px solid #cf222e;padding-left:8px} .v-finding.s-critical{background:#ff8182;font-weight:bold} .v-finding.s-high{background:#ffaba8} .v-finding.s-medium{background:#ffd8b5} .v-finding.s-low{background:#fff8c5}
.v-error{background:#cf222e;color:#fff}
.detail{display:none;margin:1rem 0;border:1px solid #d0d7de;padding:.5rem;max-width:60rem} .detail:target{display:block}
.detail th{text-align:left;padding-right:1rem;vertical-align:top;white-space:nowrap} .detail td{white-space:pre-wrap;word-break:break-word}
.legend span{display:inline-block;padding:.1rem .4rem;margin-right:.3rem}
</style></head><body>
<h1>clerk-harness: ${esc(report.suite.name)} — <span class="status-${report.status}">${esc(report.status)}</span></h1>
<p>Target <code>${esc(report.target)}</code> (${esc(report.mode)}) · ${s.total} tests · ${s.passed} passed · ${s.findings} findings (${s.failing} at or above ${esc(report.failOn)}) · ${s.skipped} skipped · ${s.informational} informational${s.blocked ? ` · ${s.blocked} blocked` : ''} · ${(report.durationMs / 1000).toFixed(1)} s · ${esc(report.finishedAt)}</p>
${report.errors.map((e) => `<p class="status-error">${esc(e)}</p>`).join('\n')}
${report.blockers.map((b) => `<p class="blocker"><strong>Blocked by ${esc(b.cause)}</strong> (${esc(b.endpoints.join(', '))}): ${esc(b.message)}<br>Fix: ${esc(b.fix)}<br>Then: <code>${esc(b.doctor)}</code></p>`).join('')}
<p class="legend"><span class="v-pass">pass</span><span class="v-finding s-critical">critical</span><span class="v-finding s-high">high</span><span class="v-finding s-medium">medium</span><span class="v-finding s-low">low</span><span class="v-info">info</span><span class="v-skip">skip</span> — click a cell for details</p>
<table class="matrix"><thead><tr><th>case</th>${endpoints.map((e) => `<th>${esc(e)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
${detailsHtml.join('\n')}
</body></html>
`;
}
