import type { RunReport } from './summary.js';
import { findingsBySeverity } from './summary.js';

const ICON: Record<string, string> = { pass: '✅', finding: '❌', skip: '⏭️', info: 'ℹ️', error: '💥', blocked: '⛔' };
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown summary that fits $GITHUB_STEP_SUMMARY: verdict, findings with fixes, skips. */
export function renderMarkdown(report: RunReport): string {
  const s = report.summary;
  const head = report.status === 'passed' ? '✅ passed' : report.status === 'failed' ? '❌ failed' : '💥 could not complete';
  const out: string[] = [
    `## clerk-harness: ${cell(report.suite.name)} — ${head}`,
    '',
    `Target \`${report.target}\` (${report.mode}), ${s.total} tests in ${(report.durationMs / 1000).toFixed(1)} s: ` +
      `${s.passed} passed, ${s.findings} findings (${s.failing} at or above **${report.failOn}**), ${s.skipped} skipped, ${s.informational} informational.`,
    '',
    `| critical | high | medium | low |`,
    `|---:|---:|---:|---:|`,
    `| ${s.bySeverity.critical} | ${s.bySeverity.high} | ${s.bySeverity.medium} | ${s.bySeverity.low} |`,
    '',
  ];
  for (const e of report.errors) out.push(`> 💥 ${cell(e)}`, '');
  for (const b of report.blockers) {
    out.push(`### ⛔ Blocked: \`${b.cause}\``, '', `${cell(b.message)} (${b.endpoints.join(', ')}; ${b.blockedCases} cases could not be judged)`, '', `**Fix:** ${cell(b.fix)}`, '', `Then: \`${b.doctor}\``, '');
  }
  const findings = findingsBySeverity(report);
  if (findings.length) {
    // Findings often share a fix (four alg:none spellings, four 403s): number each fix once.
    const fixes: string[] = [];
    const fixNo = (hint: string | undefined) => {
      if (!hint) return '';
      if (!fixes.includes(hint)) fixes.push(hint);
      return `[${fixes.indexOf(hint) + 1}](#fix-${fixes.indexOf(hint) + 1})`;
    };
    out.push('### Findings', '', '| severity | endpoint | case | observed | fix |', '|---|---|---|---|---|');
    for (const f of findings) {
      out.push(`| **${f.severity}** | ${cell(f.request)} | \`${f.caseId}\` ${cell(f.title)} | ${cell(f.message)} | ${fixNo(f.hint)} |`);
    }
    out.push('', '#### Fixes', '');
    fixes.forEach((hint, i) => out.push(`${i + 1}. <a id="fix-${i + 1}"></a>${hint.replace(/\n/g, ' ')}`));
    out.push('');
  }
  const errored = report.results.filter((r) => r.verdict === 'error');
  if (errored.length) {
    out.push('### Errors (tests that could not complete)', '', '| endpoint | case | error |', '|---|---|---|');
    for (const r of errored) out.push(`| ${cell(r.request)} | \`${r.caseId}\` | ${cell(r.message)} |`);
    out.push('');
  }
  const skipped = report.results.filter((r) => r.verdict === 'skip');
  if (skipped.length) {
    out.push('<details><summary>Skipped cases</summary>', '', '| endpoint | case | reason |', '|---|---|---|');
    for (const r of skipped) out.push(`| ${cell(r.request)} | \`${r.caseId}\` | ${cell(r.skipReason ?? '')} |`);
    out.push('', '</details>', '');
  }
  out.push('<details><summary>All results</summary>', '', '| | endpoint | case | expected | observed |', '|---|---|---|---|---|');
  for (const r of report.results) {
    out.push(`| ${ICON[r.verdict]} | ${cell(r.request)} | \`${r.caseId}\` | ${r.expect} (${r.expectedStatus.join('/')}) | ${r.observed ? r.observed.status : '—'} |`);
  }
  out.push('', '</details>', '');
  return out.join('\n');
}
