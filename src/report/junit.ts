/**
 * JUnit XML from the run's one result list, so CI tools show exactly what the harness decided:
 * a finding at or above the gate or a blocked case is a <failure> (type = severity or "blocked"),
 * a skip keeps its reason, an error is an <error>. Each endpoint is a <testsuite>; the classname is
 * the endpoint's request ("POST /jobs"), the name the case id.
 */
import { isFailing, type RunReport } from './summary.js';
import type { CaseResult } from '../suite/result.js';

const xml = (s: string) =>
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function testcase(r: CaseResult, report: RunReport): string {
  const time = ((r.observed?.durationMs ?? 0) / 1000).toFixed(3);
  const props = [`severity=${r.severity}`, `verdict=${r.verdict}`, ...(r.cause ? [`cause=${r.cause}`] : [])];
  const head = `    <testcase classname="${xml(r.request)}" name="${xml(r.caseId)}" time="${time}">\n      <properties>${props
    .map((p) => { const [k, v] = p.split('='); return `<property name="${xml(k!)}" value="${xml(v!)}"/>`; })
    .join('')}</properties>\n`;
  const detail = [r.message, r.hint ? `fix: ${r.hint}` : '', r.sent ? `sent: ${r.sent}` : '', ...(r.audit ?? []).map((a) => `audit ${a.field}: ${a.message}`)].filter(Boolean).join('\n');
  let body = '';
  if (r.verdict === 'skip') body = `      <skipped message="${xml(r.skipReason ?? 'skipped')}"/>\n`;
  else if (r.verdict === 'error') body = `      <error message="${xml(r.message)}" type="error"/>\n`;
  else if (r.verdict === 'blocked') body = `      <failure message="${xml(r.message)}" type="blocked">${xml(detail)}</failure>\n`;
  else if (isFailing(r, report.failOn)) body = `      <failure message="${xml(`[${r.severity}] ${r.message}`)}" type="${r.severity}">${xml(detail)}</failure>\n`;
  else if (r.verdict === 'finding') body = `      <system-out>${xml(`[${r.severity}, below the gate ${report.failOn}] ${detail}`)}</system-out>\n`;
  return `${head}${body}    </testcase>`;
}

export function renderJunit(report: RunReport): string {
  const byEndpoint = new Map<string, CaseResult[]>();
  for (const r of report.results) byEndpoint.set(r.endpoint, [...(byEndpoint.get(r.endpoint) ?? []), r]);
  const failing = (rs: CaseResult[]) => rs.filter((r) => r.verdict === 'blocked' || isFailing(r, report.failOn)).length;
  const suites = [...byEndpoint].map(([endpoint, rs]) => {
    const attrs = `name="${xml(`${report.suite.name}: ${endpoint}`)}" tests="${rs.length}" failures="${failing(rs)}" errors="${rs.filter((r) => r.verdict === 'error').length}" skipped="${rs.filter((r) => r.verdict === 'skip').length}" timestamp="${report.startedAt}"`;
    return `  <testsuite ${attrs}>\n${rs.map((r) => testcase(r, report)).join('\n')}\n  </testsuite>`;
  });
  const all = report.results;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(`clerk-harness: ${report.suite.name}`)}" tests="${all.length}" failures="${failing(all)}" errors="${report.summary.errors}" time="${(report.durationMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
