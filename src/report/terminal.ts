import { paint } from '../cli/output.js';
import { redact } from '../redact.js';
import type { CaseResult } from '../suite/result.js';
import { findingsBySeverity, type RunReport } from './summary.js';

/** The summary printed after vitest's live output: findings by severity with the fix for each. */
export function renderTerminalSummary(report: RunReport, color: boolean, reportFiles?: string[]): string {
  const p = paint(color);
  const s = report.summary;
  const out: string[] = ['', p.bold(`clerk-harness: ${report.suite.name} against ${report.target} (${report.mode})`)];
  const sevColor = (sev: string) => (sev === 'critical' || sev === 'high' ? p.red : sev === 'medium' ? p.yellow : p.dim);
  // Within a severity, findings that share a fix are listed together and the fix is printed once.
  const bySeverity = new Map<string, Map<string, CaseResult[]>>();
  for (const f of findingsBySeverity(report)) {
    const groups = bySeverity.get(f.severity) ?? new Map<string, CaseResult[]>();
    groups.set(f.hint ?? '', [...(groups.get(f.hint ?? '') ?? []), f]);
    bySeverity.set(f.severity, groups);
  }
  for (const b of report.blockers) {
    out.push('', p.red(p.bold(`BLOCKED: ${b.cause}`)) + ` — ${b.endpoints.join(', ')}: ${b.blockedCases} case${b.blockedCases === 1 ? '' : 's'} could not be judged`);
    out.push(`  ✗ ${b.message}`);
    if (b.fix) out.push(`    fix: ${b.fix}`);
    out.push(`    then: ${b.doctor}`);
  }
  for (const [severity, groups] of bySeverity) {
    out.push('', sevColor(severity)(p.bold(severity.toUpperCase())));
    for (const [hint, findings] of groups) {
      for (const f of findings) {
        out.push(`  ✗ ${f.request} · ${f.caseId}: ${f.message}`);
        if (f.observed?.bodyExcerpt) out.push(p.dim(`      body: ${f.observed.bodyExcerpt.slice(0, 160)}`));
        for (const a of f.audit ?? []) out.push(p.dim(`      audit ${a.field}: ${a.message}`));
      }
      if (hint) out.push(`    fix${findings.length > 1 ? ` (all ${findings.length} above)` : ''}: ${hint}`);
    }
  }
  const errored = report.results.filter((r) => r.verdict === 'error');
  if (errored.length) {
    out.push('', p.red(p.bold('ERRORS (the test could not complete)')));
    for (const r of errored) out.push(`  ✗ ${r.request} · ${r.caseId}: ${r.message}`);
  }
  const skips = report.results.filter((r) => r.verdict === 'skip');
  if (skips.length) {
    const reasons = new Map<string, string[]>();
    for (const r of skips) reasons.set(r.skipReason ?? '', [...(reasons.get(r.skipReason ?? '') ?? []), r.caseId]);
    out.push('', p.dim('SKIPPED'));
    for (const [reason, ids] of reasons) out.push(p.dim(`  - ${[...new Set(ids)].join(', ')}: ${reason}`));
  }
  for (const e of report.errors) out.push('', p.red(`error: ${e}`));
  const bs = s.bySeverity;
  out.push(
    '',
    `${s.total} tests: ${p.green(`${s.passed} passed`)}, ${s.findings ? p.red(`${s.findings} findings`) : '0 findings'}` +
      ` (critical ${bs.critical}, high ${bs.high}, medium ${bs.medium}, low ${bs.low}), ${s.skipped} skipped, ${s.informational} informational` +
      (s.blocked ? `, ${p.red(`${s.blocked} blocked`)}` : ''),
  );
  const verdict =
    report.status === 'passed'
      ? p.green(`PASSED (no finding at or above ${report.failOn})`)
      : report.status === 'failed'
        ? p.red(report.blockers.length && !s.failing
            ? `FAILED: blocked by ${report.blockers.map((b) => b.cause).join(', ')}`
            : `FAILED: ${s.failing} finding${s.failing === 1 ? '' : 's'} at or above ${report.failOn}${report.blockers.length ? `; blocked by ${report.blockers.map((b) => b.cause).join(', ')}` : ''}`)
        : p.red('ERROR: the run could not complete');
  out.push(verdict);
  if (reportFiles?.length) out.push(p.dim(`reports: ${reportFiles.join(', ')}`));
  return redact(out.join('\n')) + '\n';
}
