import type { CaseResult } from '../suite/result.js';
import { describeCase, TOKEN_LABEL } from './authz-matrix.js';
import { orderedResults, rootCauseIndex, rootCauses } from './root-causes.js';
import type { RunReport } from './summary.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');

function detail(r: CaseResult, causeLink?: string): string {
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
  const body = rows.filter(([, v]) => v).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v!)}</td></tr>`).join('');
  return `<table>${body}${causeLink ? `<tr><th>root cause</th><td><a href="#${causeLink}">${esc(causeLink)}</a></td></tr>` : ''}</table>`;
}

/**
 * A self-contained page: the root causes first (title, fix once, cases and endpoints, severity),
 * then the counts, the authorization matrix (suites with personas), then the endpoint × case matrix whose cells open their details in place (any
 * number at once, no script). Order is the catalogue's, whatever order the tests finished in.
 */
export function renderHtml(report: RunReport): string {
  const results = orderedResults(report.results);
  const endpoints = [...new Set(results.map((r) => r.endpoint))];
  const cases = [...new Set(results.map((r) => r.caseId))];
  const byKey = new Map(results.map((r) => [`${r.endpoint}\u0000${r.caseId}`, r]));
  const titles = new Map(results.map((r) => [r.caseId, r.title]));
  const causes = rootCauses(report);
  const causeOf = rootCauseIndex(causes);
  const s = report.summary;
  const cellId = (endpoint: string, caseId: string) => `cell-${endpoints.indexOf(endpoint)}-${slug(caseId)}`;

  const causeCards = causes.map((c, i) => {
    const sev = c.kind === 'blocker' ? 'blocked' : c.severity;
    // One endpoint: a link per case. Several: each case once, with a link per endpoint it failed on.
    const links =
      c.endpoints.length <= 1
        ? c.results.map((r) => `<a href="#${cellId(r.endpoint, r.caseId)}"><code>${esc(r.caseId)}</code></a>`)
        : c.cases.map((id) => {
            const on = c.results.filter((r) => r.caseId === id).map((r) => `<a href="#${cellId(r.endpoint, r.caseId)}">${esc(r.request)}</a>`);
            return `<span class="case-on"><code>${esc(id)}</code> (${on.join(', ')})</span>`;
          });
    return `<section class="cause sev-${sev}" id="${c.id}">
<h3><span class="badge sev-${sev}">${esc(sev)}</span> ${i + 1}. ${esc(c.title)}${c.kind === 'finding' && !c.failing ? ` <small>(below the gate ${esc(report.failOn)})</small>` : ''}</h3>
${c.messages.map((m) => `<p class="observed">${esc(m)}</p>`).join('\n')}
${c.fix ? `<p class="fix"><strong>Fix:</strong> ${esc(c.fix)}</p>` : ''}${c.doctor ? `\n<p>Then: <code>${esc(c.doctor)}</code></p>` : ''}
<p class="where">${c.kind === 'blocker' ? `${c.blockedCases} cases could not be judged` : `${c.results.length} case${c.results.length === 1 ? '' : 's'}`} on ${esc(c.endpoints.join(', '))}: ${[...new Set(links)].join(c.endpoints.length <= 1 ? ' ' : '; ')}</p>
</section>`;
  });

  const rows = cases.map((c) => {
    const cells = endpoints.map((e) => {
      const r = byKey.get(`${e}\u0000${c}`);
      if (!r) return '<td class="none">—</td>';
      const text = r.verdict === 'finding' ? r.severity : r.verdict;
      return `<td class="v-${r.verdict} s-${r.severity}" id="${cellId(e, c)}"><details><summary>${esc(text)}${r.observed ? ` <small>${r.observed.status}</small>` : ''}</summary><div class="detail">${detail(r, causeOf.get(r)?.id)}</div></details></td>`;
    });
    return `<tr><th title="${esc(titles.get(c) ?? '')}"><code>${esc(c)}</code><br><small>${esc(titles.get(c) ?? '')}</small></th>${cells.join('')}</tr>`;
  });

  // The authorization matrix: persona × endpoint; each cell opens its cases' details in place.
  const m = report.authz;
  const resultOf = new Map(report.results.map((r) => [`${r.endpoint}\u0000${r.caseId}`, r]));
  const authzRows = m
    ? m.personas.map((persona, i) => {
        const cells = m.rows[i]!.map((c, j) => {
          if (!c) return '<td class="none">—</td>';
          const summary = c.cases
            .map((k) => `${TOKEN_LABEL[k.token] ? `${esc(TOKEN_LABEL[k.token])}: ` : ''}${esc(describeCase(k))}${k.severity ? ` <strong>${esc(k.severity)}</strong>` : ''}`)
            .join('<br>');
          const details = c.cases
            .map((k) => {
              const r = resultOf.get(`${c.endpoint}\u0000${k.caseId}`);
              return r ? detail(r, causeOf.get(r)?.id) : '';
            })
            .join('');
          return `<td class="v-${c.verdict}${c.severity ? ` s-${c.severity}` : ''}" id="authz-${i}-${j}"><details><summary>${summary}</summary><div class="detail">${details}</div></details></td>`;
        });
        return `<tr><th>${esc(persona)}</th>${cells.join('')}</tr>`;
      })
    : [];
  const authzSection = m
    ? `<h2>Authorization (persona × endpoint)</h2>
<p>What the access rule expects of each persona, then what the target answered — open a cell for its details.</p>
<table class="matrix authz"><thead><tr><th>persona</th>${m.endpoints.map((e) => `<th>${esc(e.name)}<br><small>${esc(e.request)}</small></th>`).join('')}</tr></thead>
<tbody>${authzRows.join('\n')}</tbody></table>
`
    : '';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clerk-harness — ${esc(report.suite.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24}
h1{font-size:1.3rem} h2{font-size:1.1rem;margin-top:1.5rem} h3{font-size:1rem;margin:.2rem 0}
.status-passed{color:#1a7f37} .status-failed,.status-error{color:#cf222e}
.cause{border-left:4px solid #d0d7de;padding:.3rem .8rem;margin:.8rem 0;max-width:70rem}
.cause.sev-critical,.cause.sev-blocked{border-color:#cf222e} .cause.sev-high{border-color:#fa4549} .cause.sev-medium{border-color:#d4a72c} .cause.sev-low{border-color:#bf8700}
.cause p{margin:.3rem 0} .observed{color:#57606a} .cause:target{background:#fff8c5}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;text-transform:uppercase}
.badge.sev-critical,.badge.sev-blocked{background:#cf222e;color:#fff} .badge.sev-high{background:#ffaba8} .badge.sev-medium{background:#ffd8b5} .badge.sev-low{background:#fff8c5}
table.counts{border-collapse:collapse} .counts th,.counts td{border:1px solid #d0d7de;padding:.2rem .6rem;text-align:right}
table.matrix{border-collapse:collapse} .matrix>tbody>tr>th,.matrix>thead>tr>th,.matrix>tbody>tr>td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
.matrix summary{cursor:pointer} .matrix td:target{outline:3px solid #0969da}
.v-pass{background:#dafbe1} .v-skip{background:#eaeef2;color:#57606a} .v-info{background:#ddf4ff}
.v-blocked{background:#d0d7de} .v-finding.s-critical{background:#ff8182;font-weight:bold} .v-finding.s-high{background:#ffaba8} .v-finding.s-medium{background:#ffd8b5} .v-finding.s-low{background:#fff8c5}
.v-error{background:#cf222e;color:#fff} .v-error a{color:#fff}
.detail{margin:.4rem 0;background:#fff;color:#1b1f24;border:1px solid #d0d7de;padding:.4rem;width:32rem;max-width:80vw;font-weight:normal}
.detail th{text-align:left;padding-right:.8rem;vertical-align:top;white-space:nowrap} .detail td{white-space:pre-wrap;word-break:break-word}
.legend span{display:inline-block;padding:.1rem .4rem;margin-right:.3rem}
</style></head><body>
<h1>clerk-harness: ${esc(report.suite.name)} — <span class="status-${report.status}">${esc(report.status)}</span></h1>
<p>Target <code>${esc(report.target)}</code> (${esc(report.mode)}) · ${s.total} tests · gate: ${esc(report.failOn)} and above · ${(report.durationMs / 1000).toFixed(1)} s · ${esc(report.finishedAt)}${report.incomplete ? ` · <strong>stopped early: ${esc(report.incomplete.message)} (${report.incomplete.notRun} not run)</strong>` : ''}</p>
${report.errors.map((e) => `<p class="status-error">${esc(e)}</p>`).join('\n')}
<h2>Root causes (${causes.length})</h2>
${causes.length ? causeCards.join('\n') : '<p>None: every case did what a correct server does.</p>'}
<h2>Counts</h2>
<table class="counts"><thead><tr><th>critical</th><th>high</th><th>medium</th><th>low</th><th>passed</th><th>skipped</th><th>informational</th><th>blocked</th><th>errors</th></tr></thead>
<tbody><tr><td>${s.bySeverity.critical}</td><td>${s.bySeverity.high}</td><td>${s.bySeverity.medium}</td><td>${s.bySeverity.low}</td><td>${s.passed}</td><td>${s.skipped}</td><td>${s.informational}</td><td>${s.blocked}</td><td>${s.errors}</td></tr></tbody></table>
${authzSection}<h2>Matrix</h2>
<p class="legend"><span class="v-pass">pass</span><span class="v-finding s-critical">critical</span><span class="v-finding s-high">high</span><span class="v-finding s-medium">medium</span><span class="v-finding s-low">low</span><span class="v-info">info</span><span class="v-skip">skip</span><span class="v-blocked">blocked</span><span class="v-error">error</span> — open a cell for its details</p>
<table class="matrix"><thead><tr><th>case</th>${endpoints.map((e) => `<th>${esc(e)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</body></html>
`;
}
