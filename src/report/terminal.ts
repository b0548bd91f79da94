import { paint } from '../cli/output.js';
import { redact } from '../redact.js';
import { renderAuthzTerminal } from './authz-terminal.js';
import { rootCauses } from './root-causes.js';
import type { RunReport } from './summary.js';

/**
 * The summary printed after vitest's live output: root causes first (title, what was observed, the
 * cases and endpoints, the fix once), the authorization matrix (suites with personas), then the
 * counts, then the verdict. Each finding appears once.
 */
export function renderTerminalSummary(report: RunReport, color: boolean, reportFiles?: string[]): string {
  const p = paint(color);
  const s = report.summary;
  const out: string[] = ['', p.bold(`clerk-harness: ${report.suite.name} against ${report.target} (${report.mode})`)];
  const sevColor = (sev: string) => (sev === 'critical' || sev === 'high' || sev === 'blocker' ? p.red : sev === 'medium' ? p.yellow : p.dim);
  const causes = rootCauses(report);
  if (causes.length) {
    out.push('', p.bold(`ROOT CAUSES (${causes.length})`));
    causes.forEach((c, i) => {
      const gate = c.kind === 'finding' && !c.failing ? p.dim(` (below the gate ${report.failOn})`) : '';
      const head = c.kind === 'blocker' ? `${p.red(p.bold(`BLOCKED: ${c.cause}`))} ${c.title.replace(/^blocked: /, '')}` : `${sevColor(c.severity)(p.bold(c.severity.toUpperCase()))} ${c.title}`;
      out.push('', `${String(i + 1).padStart(2)}. ${head}${gate}`);
      const on = c.endpoints.join(', ');
      if (c.kind === 'blocker') {
        out.push(`    ✗ ${c.messages[0]}`);
        out.push(`    ${c.blockedCases} case${c.blockedCases === 1 ? '' : 's'} on ${on} could not be judged`);
      } else if (c.messages.length === 1) {
        out.push(`    ✗ ${c.messages[0]}`);
        out.push(`    ${c.results.length === 1 ? 'case' : `${c.results.length} cases`}: ${c.cases.join(', ')} on ${on}`);
      } else {
        for (const r of c.results) out.push(`    ✗ ${r.request} · ${r.caseId}: ${r.message}`);
      }
      const body = c.results.find((r) => r.observed?.bodyExcerpt)?.observed?.bodyExcerpt;
      if (body && c.kind === 'finding') out.push(p.dim(`    body: ${body.slice(0, 160)}`));
      const audit = [...new Set(c.results.flatMap((r) => (r.audit ?? []).map((a) => `audit ${a.field}: ${a.message}`)))];
      for (const a of audit) out.push(p.dim(`    ${a}`));
      if (c.fix) out.push(`    fix: ${c.fix}`);
      if (c.doctor) out.push(`    then: ${c.doctor}`);
    });
  }
  const errored = report.results.filter((r) => r.verdict === 'error');
  if (errored.length) {
    out.push('', p.red(p.bold('ERRORS (the test could not complete)')));
    const byMessage = new Map<string, string[]>();
    for (const r of errored) byMessage.set(r.message, [...(byMessage.get(r.message) ?? []), `${r.request} · ${r.caseId}`]);
    for (const [message, where] of byMessage) {
      out.push(where.length > 3 ? `  ✗ ${message} (${where.length} tests: ${where.slice(0, 3).join(', ')}, …)` : `  ✗ ${message} (${where.join(', ')})`);
    }
  }
  const skips = report.results.filter((r) => r.verdict === 'skip');
  if (skips.length) {
    const reasons = new Map<string, string[]>();
    for (const r of skips) reasons.set(r.skipReason ?? '', [...(reasons.get(r.skipReason ?? '') ?? []), r.caseId]);
    out.push('', p.dim('SKIPPED'));
    for (const [reason, ids] of reasons) {
      out.push(p.dim(`  - ${[...new Set(ids)].join(', ')}: ${reason}`));
    }
  }
  for (const e of report.errors) out.push('', p.red(`error: ${e}`));
  if (report.authz) out.push(...renderAuthzTerminal(report.authz, p));
  const bs = s.bySeverity;
  out.push(
    '',
    `${s.total} tests: ${p.green(`${s.passed} passed`)}, ${s.findings ? p.red(`${s.findings} findings`) : '0 findings'}` +
      ` (critical ${bs.critical}, high ${bs.high}, medium ${bs.medium}, low ${bs.low}), ${s.skipped} skipped, ${s.informational} informational` +
      (s.blocked ? `, ${p.red(`${s.blocked} blocked`)}` : '') +
      (s.errors ? `, ${p.red(`${s.errors} errors`)}` : ''),
  );
  const stopped = report.incomplete ? ` (${report.incomplete.message}; ${report.incomplete.notRun} not run)` : '';
  const verdict =
    report.status === 'passed'
      ? p.green(`PASSED (no finding at or above ${report.failOn})`)
      : report.status === 'failed'
        ? p.red(
            (report.blockers.length && !s.failing
              ? `FAILED: blocked by ${report.blockers.map((b) => b.cause).join(', ')}`
              : `FAILED: ${s.failing} finding${s.failing === 1 ? '' : 's'} at or above ${report.failOn}${report.blockers.length ? `; blocked by ${report.blockers.map((b) => b.cause).join(', ')}` : ''}`) + stopped,
          )
        : p.red(`ERROR: the run could not complete${stopped}`);
  out.push(verdict);
  if (reportFiles?.length) out.push(p.dim(`reports: ${reportFiles.join(', ')}`));
  return redact(out.join('\n')) + '\n';
}
