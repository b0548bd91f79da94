/**
 * JUnit XML from the run's one result list, so CI tools show exactly what the harness decided.
 * One <testsuite> named after the suite; each endpoint × case is a <testcase> whose classname is
 * the endpoint ("create job") and whose name is the case id. A finding at or above the gate is a
 * <failure type="critical|high|medium|low">, a blocked case a <failure type="blocked">, a case that
 * could not complete an <error>, a skip keeps its reason in <skipped message="...">. The severity,
 * verdict, cause and request are <property> elements on every testcase.
 */
import { isFailing, type RunReport } from './summary.js';
import { orderedResults } from './root-causes.js';
import type { CaseResult } from '../suite/result.js';

const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\n/g, '&#10;');
/** Element text keeps its newlines readable. */
const text = (s: string) => xml(s).replace(/&#10;/g, '\n');

const prop = (name: string, value: string) => `<property name="${xml(name)}" value="${xml(value)}"/>`;

function detail(r: CaseResult): string {
  return [
    r.message,
    r.observed ? `observed: ${r.observed.status} in ${r.observed.durationMs} ms` : '',
    r.expectedStatus.length ? `expected: ${r.expect} (${r.expectedStatus.join(' or ')})` : '',
    r.hint ? `fix: ${r.hint}` : '',
    r.sent ? `sent: ${r.sent}` : '',
    ...(r.audit ?? []).map((a) => `audit ${a.field}: ${a.message}`),
    r.why ? `why it matters: ${r.why}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** `persona > case` when the case ran as a suite persona (so CI shows endpoint > persona > case), else the case id. */
function testcaseName(r: CaseResult): string {
  return r.persona ? `${r.persona} > ${r.caseId}` : r.caseId;
}

function testcase(r: CaseResult, report: RunReport): string {
  const time = ((r.observed?.durationMs ?? 0) / 1000).toFixed(3);
  const props = [
    prop('severity', r.severity),
    prop('verdict', r.verdict),
    prop('request', r.request),
    prop('expect', r.expect),
    ...(r.observed ? [prop('status', String(r.observed.status))] : []),
    ...(r.cause ? [prop('cause', r.cause)] : []),
    ...(r.blockedBy ? [prop('blocked_by', r.blockedBy)] : []),
  ];
  const open = `    <testcase classname="${xml(r.endpoint)}" name="${xml(testcaseName(r))}" time="${time}">\n      <properties>${props.join('')}</properties>\n`;
  let body = '';
  if (r.verdict === 'skip') body = `      <skipped message="${xml(r.skipReason ?? 'skipped')}"/>\n`;
  else if (r.verdict === 'error') body = `      <error message="${xml(r.message)}" type="error">${text(detail(r))}</error>\n`;
  else if (r.verdict === 'blocked') body = `      <failure message="${xml(r.message)}" type="blocked">${text(detail(r))}</failure>\n`;
  else if (isFailing(r, report.failOn)) body = `      <failure message="${xml(`[${r.severity}] ${r.message}`)}" type="${r.severity}">${text(detail(r))}</failure>\n`;
  else if (r.verdict === 'finding') body = `      <system-out>${text(`[${r.severity}, below the gate ${report.failOn}] ${detail(r)}`)}</system-out>\n`;
  return `${open}${body}    </testcase>`;
}

export function renderJunit(report: RunReport): string {
  const all = orderedResults(report.results);
  const failures = all.filter((r) => r.verdict === 'blocked' || isFailing(r, report.failOn)).length;
  const errors = all.filter((r) => r.verdict === 'error').length;
  const skipped = all.filter((r) => r.verdict === 'skip').length;
  const time = (report.durationMs / 1000).toFixed(3);
  const suiteProps = [
    prop('target', report.target),
    prop('mode', report.mode),
    prop('fail_on', report.failOn),
    prop('status', report.status),
    prop('suite_file', report.suite.file),
    ...(report.incomplete ? [prop('incomplete', report.incomplete.reason)] : []),
  ];
  // Errors of the run itself (a worker that died, an interrupt) have no testcase of their own.
  const runErrors = report.errors.length ? `    <system-err>${text(report.errors.join('\n'))}</system-err>\n` : '';
  const suiteOpen = `  <testsuite name="${xml(report.suite.name)}" tests="${all.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${xml(report.startedAt.replace(/Z$/, ''))}">`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="clerk-harness" tests="${all.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">`,
    suiteOpen,
    `    <properties>${suiteProps.join('')}</properties>`,
    ...all.map((r) => testcase(r, report)),
    `${runErrors}  </testsuite>`,
    '</testsuites>',
    '',
  ].join('\n');
}
