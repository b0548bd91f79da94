/**
 * The result of one load run as data (`clerk-harness/load@1`), the SLO verdicts decided once from
 * it, and its two renderings (terminal and Markdown). The exit code is decided from `status` only.
 */
import type { LoadAuditResult } from './audit-check.js';
import type { RateLimit } from './rate-limit.js';
import { formatMs, formatRate } from './units.js';

export const LOAD_FORMAT = 'clerk-harness/load@1';

export interface Slo {
  maxP50Ms?: number;
  maxP95Ms?: number;
  maxP99Ms?: number;
  /** Fraction 0..1 of answers that were not accepted (transport errors included). */
  maxErrorRate?: number;
  minRps?: number;
}

export interface SloVerdict {
  name: 'p50' | 'p95' | 'p99' | 'error rate' | 'requests/s';
  limit: number;
  actual: number;
  passed: boolean;
}

export interface Refusal {
  status: number;
  /** Cause id of diagnostics/causes.yaml, `no-fresh-token` (the supply starved), or `unknown`. */
  cause: string;
  title: string;
  fix?: string;
  count: number;
  /** What in the first such answer pointed at the cause (redacted). */
  evidence?: string;
}

export interface LoadReport {
  format: typeof LOAD_FORMAT;
  status: 'passed' | 'failed';
  suite?: string;
  endpoint: { name: string; method: string; path: string };
  target: string;
  started: string;
  finished: string;
  durationMs: number;
  mode: { connections: number; rate?: number };
  requests: {
    sent: number;
    completed: number;
    perSecond: number;
    accepted: number;
    notAccepted: number;
    transportErrors: number;
    timeouts: number;
    errorRate: number;
  };
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  refusals: Refusal[];
  tokens: {
    identities: number;
    minted: number;
    mintCalls: number;
    mintLimit: RateLimit;
    peakCallsInWindow: number;
    rateLimited: number;
    mintFailures: number;
    lastMintError?: string;
    lifetimeMs?: number;
    maxAgeMs?: number;
    refreshAtMs?: number;
    /** Oldest token age at the moment a request carrying it was sent. */
    maxAgeAtSendMs: number;
    /** Requests sent without Authorization because no fresh token existed (a harness failure). */
    sentWithoutToken: number;
    /** Answers diagnosed as "token expired" (a harness failure: must be 0). */
    expiredTokenAnswers: number;
  };
  slo: SloVerdict[];
  /** Failures of the harness itself, each one line; any of them fails the run. */
  harnessProblems: string[];
  /** With --check-audit: one attributed audit line per accepted request. */
  audit?: LoadAuditResult;
}

/** The one place the verdict is decided: every SLO held, no harness problem, the audit (if checked) held. */
export function decideStatus(r: Pick<LoadReport, 'slo' | 'harnessProblems' | 'audit'>): LoadReport['status'] {
  return r.slo.every((v) => v.passed) && r.harnessProblems.length === 0 && (r.audit?.passed ?? true) ? 'passed' : 'failed';
}

export function evaluateSlo(slo: Slo, r: Pick<LoadReport, 'latencyMs' | 'requests'>): SloVerdict[] {
  const out: SloVerdict[] = [];
  const max = (name: SloVerdict['name'], limit: number | undefined, actual: number) => limit !== undefined && out.push({ name, limit, actual, passed: actual <= limit });
  max('p50', slo.maxP50Ms, r.latencyMs.p50);
  max('p95', slo.maxP95Ms, r.latencyMs.p95);
  max('p99', slo.maxP99Ms, r.latencyMs.p99);
  max('error rate', slo.maxErrorRate, r.requests.errorRate);
  if (slo.minRps !== undefined) out.push({ name: 'requests/s', limit: slo.minRps, actual: r.requests.perSecond, passed: r.requests.perSecond >= slo.minRps });
  return out;
}

/** Problems of the harness (not of the API under test) that a load result shows. */
export function harnessProblemsOf(t: LoadReport['tokens'], requests?: Pick<LoadReport['requests'], 'completed' | 'transportErrors'>): string[] {
  const out: string[] = [];
  // Nothing answered proves nothing: an empty run must not pass its SLOs.
  if (requests && requests.completed === 0) out.push(`no request was answered${requests.transportErrors ? ` (${requests.transportErrors} transport error(s))` : ''}: the target is unreachable or slower than the duration`);
  if (t.sentWithoutToken > 0) {
    out.push(`${t.sentWithoutToken} request(s) went out without a token because the supply had none younger than ${formatMs(t.maxAgeMs ?? 0)}${t.lastMintError ? ` (last mint error: ${t.lastMintError})` : t.rateLimited ? ` (${t.rateLimited} mint(s) rate limited)` : ''}`);
  }
  if (t.expiredTokenAnswers > 0) out.push(`${t.expiredTokenAnswers} answer(s) said the token had expired: the harness sent stale tokens, or the target's clock is ahead (run \`clerk-harness doctor\`)`);
  if (t.peakCallsInWindow > t.mintLimit.calls) out.push(`the supply made ${t.peakCallsInWindow} Backend API calls in ${formatRate(t.mintLimit).split('/')[1]}, over its limit of ${t.mintLimit.calls}`);
  return out;
}

const pct = (f: number) => `${(f * 100).toFixed(f > 0 && f < 0.001 ? 3 : 2)}%`;

function sloValue(v: SloVerdict, x: number): string {
  if (v.name === 'error rate') return pct(x);
  if (v.name === 'requests/s') return x.toFixed(1);
  return formatMs(x);
}

export interface Painter {
  red(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const plain: Painter = { red: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };

export function renderLoadTerminal(r: LoadReport, p: Painter = plain): string {
  const lines: string[] = [];
  const mode = r.mode.rate ? `${r.mode.rate} req/s over ${r.mode.connections} connection(s)` : `${r.mode.connections} connection(s)`;
  lines.push(p.bold(`load: ${r.endpoint.name} (${r.endpoint.method} ${r.endpoint.path}) on ${r.target}, ${mode}, ${formatMs(r.durationMs)}`));
  lines.push(`  requests   ${r.requests.completed} answered, ${r.requests.perSecond.toFixed(1)} req/s; ${r.requests.accepted} accepted, ${r.requests.notAccepted} not accepted, ${r.requests.transportErrors} transport error(s)`);
  lines.push(`  latency    p50 ${formatMs(r.latencyMs.p50)}  p95 ${formatMs(r.latencyMs.p95)}  p99 ${formatMs(r.latencyMs.p99)}  max ${formatMs(r.latencyMs.max)}`);
  lines.push(`  statuses   ${Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join('  ') || 'none'}`);
  for (const f of r.refusals) {
    lines.push(`  ${p.red('refused')}    ${f.count} × ${f.status} ${f.cause}: ${f.title}`);
    if (f.evidence) lines.push(p.dim(`             evidence: ${f.evidence}`));
    if (f.fix) lines.push(p.dim(`             fix: ${f.fix}`));
  }
  const t = r.tokens;
  lines.push(
    `  tokens     ${t.minted} minted for ${t.identities} user(s), ${t.mintCalls} Backend API call(s), peak ${t.peakCallsInWindow} per ${formatRate(t.mintLimit).split('/')[1]} (limit ${t.mintLimit.calls}), ${t.rateLimited} rate limited (429)` +
      `; oldest sent ${formatMs(t.maxAgeAtSendMs)} (max ${formatMs(t.maxAgeMs ?? 0)} of ${formatMs(t.lifetimeMs ?? 0)})`,
  );
  for (const v of r.slo) lines.push(`  ${v.passed ? p.green('✓') : p.red('✗')} ${v.name} ${sloValue(v, v.actual)} (limit ${v.name === 'requests/s' ? '≥' : '≤'} ${sloValue(v, v.limit)})`);
  if (r.audit) lines.push(r.audit.passed ? `  ${p.green('✓')} audit: ${r.audit.successes} attributed line(s) for ${r.audit.expectedMin} accepted request(s)` : `  ${p.red('✗')} audit: ${r.audit.problem}`);
  for (const h of r.harnessProblems) lines.push(`  ${p.red('✗ harness')}: ${h}`);
  lines.push(r.status === 'passed' ? p.green('PASSED') : p.red('FAILED'));
  return lines.join('\n') + '\n';
}

export function renderLoadMarkdown(r: LoadReport): string {
  const out: string[] = [];
  out.push(`## Load: ${r.endpoint.name} — ${r.status === 'passed' ? '✅ passed' : '❌ failed'}`, '');
  out.push(`\`${r.endpoint.method} ${r.endpoint.path}\` on ${r.target}, ${r.mode.rate ? `${r.mode.rate} req/s, ` : ''}${r.mode.connections} connection(s), ${formatMs(r.durationMs)}.`, '');
  out.push('| requests/s | answered | accepted | not accepted | transport errors | p50 | p95 | p99 | max |', '|---|---|---|---|---|---|---|---|---|');
  out.push(
    `| ${r.requests.perSecond.toFixed(1)} | ${r.requests.completed} | ${r.requests.accepted} | ${r.requests.notAccepted} | ${r.requests.transportErrors} | ${formatMs(r.latencyMs.p50)} | ${formatMs(r.latencyMs.p95)} | ${formatMs(r.latencyMs.p99)} | ${formatMs(r.latencyMs.max)} |`,
    '',
  );
  out.push(`Statuses: ${Object.entries(r.statuses).map(([s, n]) => `\`${s}\` × ${n}`).join(', ') || 'none'}`, '');
  if (r.refusals.length) {
    out.push('| count | status | cause | fix |', '|---|---|---|---|');
    for (const f of r.refusals) out.push(`| ${f.count} | ${f.status} | **${f.cause}**: ${f.title} | ${f.fix ?? ''} |`);
    out.push('');
  }
  if (r.slo.length) {
    out.push('| SLO | limit | actual | |', '|---|---|---|---|');
    for (const v of r.slo) out.push(`| ${v.name} | ${sloValue(v, v.limit)} | ${sloValue(v, v.actual)} | ${v.passed ? '✅' : '❌'} |`);
    out.push('');
  }
  const t = r.tokens;
  out.push(`Tokens: ${t.minted} minted for ${t.identities} user(s); ${t.mintCalls} Backend API calls, peak ${t.peakCallsInWindow} per window (limit ${formatRate(t.mintLimit)}); ${t.rateLimited} rate limited; oldest token sent ${formatMs(t.maxAgeAtSendMs)} old (max ${formatMs(t.maxAgeMs ?? 0)}); ${t.expiredTokenAnswers} expired-token answers; ${t.sentWithoutToken} sent without a token.`);
  if (r.audit) out.push('', r.audit.passed ? `✅ audit: ${r.audit.successes} attributed line(s) for ${r.audit.expectedMin} accepted request(s)` : `❌ audit: ${r.audit.problem}`);
  for (const h of r.harnessProblems) out.push('', `❌ harness: ${h}`);
  return out.join('\n') + '\n';
}
