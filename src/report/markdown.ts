import { describeCase, TOKEN_LABEL } from './authz-matrix.js';
import { orderedResults, rootCauseIndex, rootCauses, type RootCause } from './root-causes.js';
import type { RunReport } from './summary.js';

const ICON: Record<string, string> = { pass: '✅', finding: '❌', skip: '⏭️', info: 'ℹ️', error: '💥', blocked: '⛔' };
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** GitHub prefixes every id in rendered Markdown with "user-content-": links must too. */
const href = (id: string) => `#user-content-${id}`;

function label(c: RootCause): string {
  return c.kind === 'blocker' ? '⛔ blocked' : `**${c.severity}**`;
}

/** The authorization matrix: persona × endpoint, each finding linking to its root cause. */
function authzTable(report: RunReport, causes: RootCause[]): string[] {
  const m = report.authz!;
  const causeOf = rootCauseIndex(causes);
  const result = new Map(report.results.map((r) => [`${r.endpoint}\u0000${r.caseId}`, r]));
  const out = [
    '### Authorization (persona × endpoint)',
    '',
    'What the access rule expects of each persona, then what the target answered.',
    '',
    `| persona | ${m.endpoints.map((e) => `${cell(e.name)} (\`${cell(e.request)}\`)`).join(' | ')} |`,
    `|---|${m.endpoints.map(() => '---').join('|')}|`,
  ];
  m.personas.forEach((persona, i) => {
    const cells = m.rows[i]!.map((c, j) => {
      if (!c) return '—';
      return c.cases
        .map((k) => {
          const label = TOKEN_LABEL[k.token];
          const text = `${ICON[k.verdict]} ${label ? `${label}: ` : ''}${describeCase(k)}${k.severity ? ` **${k.severity}**` : ''}`;
          const cause = causeOf.get(result.get(`${m.endpoints[j]!.name}\u0000${k.caseId}`)!);
          return `${cause ? `[${text}](${href(cause.id)})` : text} <sub>\`${cell(k.caseId)}\`</sub>`;
        })
        .join('<br>');
    });
    out.push(`| **${cell(persona)}** | ${cells.join(' | ')} |`);
  });
  out.push('');
  return out;
}

/**
 * A Markdown summary that fits $GITHUB_STEP_SUMMARY: the verdict, the root causes (each with its
 * fix once, the cases and endpoints it explains, its severity), the counts, the authorization
 * matrix (suites with personas), then the matrix.
 */
export function renderMarkdown(report: RunReport): string {
  const s = report.summary;
  const head = report.status === 'passed' ? '✅ passed' : report.status === 'failed' ? '❌ failed' : '💥 could not complete';
  const causes = rootCauses(report);
  const out: string[] = [
    `## clerk-harness: ${cell(report.suite.name)} — ${head}`,
    '',
    `Target \`${report.target}\` (${report.mode}), ${s.total} tests in ${(report.durationMs / 1000).toFixed(1)} s; ` +
      `the gate fails on **${report.failOn}** and above.` +
      (report.incomplete ? ` Stopped early: ${cell(report.incomplete.message)} (${report.incomplete.notRun} not run).` : ''),
    '',
  ];
  for (const e of report.errors) out.push(`> 💥 ${cell(e)}`, '');
  if (causes.length) {
    out.push(`### Root causes (${causes.length})`, '');
    causes.forEach((c, i) => {
      const n = c.kind === 'blocker' ? `${c.blockedCases} cases blocked` : `${c.results.length} case${c.results.length === 1 ? '' : 's'}`;
      out.push(`${i + 1}. ${label(c)} [${cell(c.title)}](${href(c.id)}) — ${n} on ${cell(c.endpoints.join(', '))}${c.kind === 'finding' && !c.failing ? ' (below the gate)' : ''}`);
    });
    out.push('');
    causes.forEach((c, i) => {
      out.push(`#### <a id="${c.id}"></a>${i + 1}. ${c.kind === 'blocker' ? 'Blocked' : c.severity}: ${cell(c.title)}`, '');
      for (const m of c.messages) out.push(`> ${cell(m)}`);
      out.push('');
      if (c.fix) out.push(`**Fix:** ${cell(c.fix)}`, '');
      if (c.doctor) out.push(`Then: \`${c.doctor}\``, '');
      out.push(`Cases: ${c.cases.map((id) => `\`${id}\``).join(', ')} · endpoints: ${cell(c.endpoints.join(', '))}`, '');
    });
  }
  out.push(
    '### Counts',
    '',
    '| critical | high | medium | low | passed | skipped | informational | blocked | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${s.bySeverity.critical} | ${s.bySeverity.high} | ${s.bySeverity.medium} | ${s.bySeverity.low} | ${s.passed} | ${s.skipped} | ${s.informational} | ${s.blocked} | ${s.errors} |`,
    '',
  );
  if (report.authz) out.push(...authzTable(report, causes));
  const errored = report.results.filter((r) => r.verdict === 'error');
  if (errored.length) {
    out.push('### Errors (tests that could not complete)', '', '| endpoint | case | error |', '|---|---|---|');
    for (const r of errored) out.push(`| ${cell(r.request)} | \`${r.caseId}\` | ${cell(r.message)} |`);
    out.push('');
  }
  const skipped = report.results.filter((r) => r.verdict === 'skip');
  if (skipped.length) {
    const reasons = new Map<string, string[]>();
    for (const r of skipped) reasons.set(r.skipReason ?? '', [...new Set([...(reasons.get(r.skipReason ?? '') ?? []), r.caseId])]);
    out.push(`<details><summary>Skipped cases (${skipped.length})</summary>`, '', '| cases | reason |', '|---|---|');
    for (const [reason, ids] of reasons) out.push(`| ${ids.map((id) => `\`${id}\``).join(', ')} | ${cell(reason)} |`);
    out.push('', '</details>', '');
  }
  // The matrix: cases × endpoints, each finding cell linking to its root cause.
  const results = orderedResults(report.results);
  const endpoints = [...new Set(results.map((r) => r.request))];
  const cases = [...new Set(results.map((r) => r.caseId))];
  const byKey = new Map(results.map((r) => [`${r.request}\u0000${r.caseId}`, r]));
  const causeOf = rootCauseIndex(causes);
  out.push('<details><summary>All results</summary>', '', `| case | ${endpoints.map(cell).join(' | ')} |`, `|---|${endpoints.map(() => '---').join('|')}|`);
  for (const id of cases) {
    const cells = endpoints.map((e) => {
      const r = byKey.get(`${e}\u0000${id}`);
      if (!r) return '—';
      const c = causeOf.get(r);
      const text = `${ICON[r.verdict]} ${r.verdict === 'finding' ? r.severity : r.verdict}${r.observed ? ` ${r.observed.status}` : ''}`;
      return c ? `[${text}](${href(c.id)})` : text;
    });
    out.push(`| \`${id}\` | ${cells.join(' | ')} |`);
  }
  out.push('', '</details>', '');
  return out.join('\n');
}
