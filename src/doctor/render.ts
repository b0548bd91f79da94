/**
 * Doctor's terminal output, in the manner of flutter/expo/brew doctor: one line per check with
 * ✓ ! ✗ (and - for skipped), evidence and the fix under warnings and failures only, the most
 * likely root cause, a summary count. --verbose adds the details of passing checks and the
 * checks the tree did not reach. Every string in a report is already redacted.
 */
import type { Paint } from '../cli/output.js';
import type { CheckResult, DoctorReport, Tree } from './types.js';

export interface RenderOptions {
  paint: Paint;
  verbose?: boolean;
  tree: Tree;
}

interface Rendering extends RenderOptions {
  /** Multi-line fixes (a key to paste) printed once, under the root cause: fix text → its number. */
  rootFixes?: ReadonlyMap<string, number>;
}

const GLYPH = { pass: '✓', warn: '!', fail: '✗', skip: '-' } as const;

export function glyph(status: CheckResult['status'], p: Paint): string {
  switch (status) {
    case 'pass':
      return p.green(GLYPH.pass);
    case 'warn':
      return p.yellow(GLYPH.warn);
    case 'fail':
      return p.red(GLYPH.fail);
    default:
      return p.dim(GLYPH.skip);
  }
}

/** A fix may span lines (the env line to paste): continuation lines align under its first word. */
function fixLine(indent: string, fix: string, p: Paint): string {
  return `${indent}${p.bold('fix:')} ${fix.split('\n').join(`\n${indent}     `)}`;
}

function checkLines(r: CheckResult, o: Rendering): string[] {
  const p = o.paint;
  const out: string[] = [];
  if (r.status === 'skip') {
    // A skip the tree decided (needs, routing) has a reason; a check that found nothing to do says so.
    out.push(`  ${glyph('skip', p)} ${p.dim(r.skipReason ? `${r.title} - skipped: ${r.skipReason}` : r.says)}`);
    return out;
  }
  const timing = o.verbose ? p.dim(` (${r.durationMs} ms)`) : '';
  out.push(`  ${glyph(r.status, p)} ${r.says}${timing}`);
  const problem = r.status === 'fail' || r.status === 'warn';
  if (problem) for (const e of r.evidence) out.push(`      ${p.dim('•')} ${e}`);
  const root = r.fix ? o.rootFixes?.get(r.fix) : undefined;
  if (problem && r.fix) out.push(root ? `      ${p.bold('fix:')} see root cause ${root} below` : fixLine('      ', r.fix, p));
  if (o.verbose && !problem) for (const d of [...r.details, ...r.evidence]) out.push(`      ${p.dim(`• ${d}`)}`);
  return out;
}

/** Consecutive skips of one branch with the same reason become one line. */
function skipGroupLines(group: CheckResult[], p: Paint): string[] {
  if (group.length === 1) return [`  ${glyph('skip', p)} ${p.dim(`${group[0].title} - skipped: ${group[0].skipReason ?? ''}`)}`];
  return [`  ${glyph('skip', p)} ${p.dim(`${group.length} checks skipped (${group.map((g) => g.title).join('; ')}): ${group[0].skipReason ?? ''}`)}`];
}

export function renderHeader(report: DoctorReport, p: Paint): string[] {
  const i = report.inputs;
  return [
    p.bold('clerk-harness doctor'),
    `  backend env file  ${i.envFile}`,
    `  target            ${i.target ?? '(none)'}${i.target ? `  (probe GET ${i.probe}, endpoint ${i.endpoint})` : ''}`,
    `  tokens minted by  ${i.tokenSource ? `${i.tokenSource} (the harness's own config)` : "(the harness's own config)"}`,
    `  audit directory   ${i.auditDir}`,
    '',
  ];
}

export function renderReport(report: DoctorReport, o: RenderOptions): string {
  const p = o.paint;
  const lines = renderHeader(report, p);
  const rootFixes = new Map(report.rootCauses.map((c, i) => [c.fix, i + 1] as const).filter(([fix]) => fix.includes('\n')).reverse());
  const ro: Rendering = { ...o, rootFixes };
  const visible = report.checks.filter((r) => r.shown || o.verbose);
  const branches = [...new Set([...Object.keys(o.tree.branches), ...visible.map((r) => r.branch)])];
  for (const branch of branches) {
    const rs = visible.filter((r) => r.branch === branch);
    if (rs.length === 0) continue;
    lines.push(`${p.bold(branch)} ${p.dim(`- ${o.tree.branches[branch] ?? ''}`)}`);
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i];
      if (r.status === 'skip' && r.skipReason && !o.verbose) {
        const group = [r];
        while (i + 1 < rs.length && rs[i + 1].status === 'skip' && rs[i + 1].skipReason === r.skipReason) group.push(rs[++i]);
        lines.push(...skipGroupLines(group, p));
      } else lines.push(...checkLines(r, ro));
    }
    lines.push('');
  }
  if (report.rootCauses.length) {
    lines.push(p.bold(report.rootCauses.length === 1 ? 'Root cause' : 'Root causes, most likely first'));
    report.rootCauses.forEach((c, n) => {
      lines.push(`  ${n + 1}. ${n === 0 ? p.bold(c.title) : c.title}`);
      lines.push(`     ${p.dim(`found by ${c.checks.join(', ')}`)}`);
      lines.push(fixLine('     ', c.fix, p));
    });
    lines.push('');
  }
  lines.push(summaryLine(report, p, o.verbose));
  return lines.join('\n') + '\n';
}

/** Counts of the checks printed; with --verbose (which prints them) also those not reached. */
export function summaryLine(report: DoctorReport, p: Paint, verbose = false): string {
  const s = report.summary;
  const parts = [
    s.fail ? p.red(`${s.fail} failed`) : undefined,
    s.warn ? p.yellow(`${s.warn} warning${s.warn > 1 ? 's' : ''}`) : undefined,
    p.green(`${s.pass} passed`),
    s.skip ? p.dim(`${s.skip} skipped`) : undefined,
    verbose && s.notReached ? p.dim(`${s.notReached} not reached`) : undefined,
  ].filter(Boolean);
  const verdict = s.fail ? 'Doctor found problems' : s.warn ? 'No failures' : 'No issues found';
  return `${verdict}: ${parts.join(', ')}.${!s.fail && !s.warn ? '' : s.fail ? ' The first root cause above is the place to start.' : ''}`;
}
