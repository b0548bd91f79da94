/**
 * Tests of the plan that never produced a result (the run was stopped by --bail or a signal, or the
 * test worker exited). They are reported as such, so no report can show a never-run test as passed,
 * and results are put in plan order (endpoint order of the suite, then the plan's case order) so
 * every report is the same for the same run, however the tests were scheduled.
 */
import { findCase } from '../cases/catalogue.js';
import { casesOf, type PlannedCase, type RunPlan } from '../suite/plan.js';
import { authzCaseHeader, caseHeader, type CaseResult } from '../suite/result.js';
import { summarise, type RunReport } from './summary.js';

const key = (endpoint: string, caseId: string) => `${endpoint}\u0000${caseId}`;

/** The endpoint × case tests the run meant to run: the plan, narrowed by vitest's -t pattern. */
export function plannedTests(plan: RunPlan, filter?: string): Array<{ endpoint: RunPlan['suite']['endpoints'][number]; planned: PlannedCase }> {
  const re = filter ? new RegExp(filter) : undefined;
  return plan.suite.endpoints.flatMap((endpoint) =>
    casesOf(plan, endpoint).filter((c) => !re || re.test(`${endpoint.name} ${c.id}`)).map((planned) => ({ endpoint, planned })),
  );
}

/** Results in plan order; results the plan does not know (should not happen) keep their place at the end. */
export function inPlanOrder(plan: RunPlan, results: CaseResult[]): CaseResult[] {
  const order = new Map<string, number>();
  plan.suite.endpoints.forEach((e, i) => casesOf(plan, e).forEach((c, j) => order.set(key(e.name, c.id), i * 10_000 + j)));
  const rank = (r: CaseResult) => order.get(key(r.endpoint, r.caseId)) ?? Number.MAX_SAFE_INTEGER;
  return [...results].sort((a, b) => rank(a) - rank(b));
}

/** A result for each planned test without one. */
export function notRunResults(plan: RunPlan, ran: CaseResult[], options: { filter?: string; verdict: 'skip' | 'error'; reason: string }): CaseResult[] {
  const have = new Set(ran.map((r) => key(r.endpoint, r.caseId)));
  return plannedTests(plan, options.filter)
    .filter((t) => !have.has(key(t.endpoint.name, t.planned.id)))
    .map(({ endpoint, planned }): CaseResult => {
      const notRun = {
        verdict: options.verdict,
        message: `not run: ${options.reason}`,
        ...(options.verdict === 'skip' ? { skipReason: `not run: ${options.reason}` } : {}),
      };
      const spec = planned.authz;
      // An authorization case keeps its persona and cell, so the matrix shows it as not run.
      if (spec) return { ...authzCaseHeader(endpoint, { ...planned, authz: spec }), ...notRun };
      const def = findCase(planned.id);
      return {
        ...caseHeader(endpoint, { id: planned.id, title: def?.title ?? planned.id }, planned.expect),
        severity: def?.severity ?? 'high',
        ...notRun,
        why: def?.why ?? '',
        ...(planned.persona ? { persona: planned.persona } : {}),
      };
    });
}

/**
 * The report of a run that stopped early: the never-run tests added (skipped for --bail, errors
 * otherwise), `incomplete` set, and for an interrupt or a dead worker a run error, so the status is
 * 'error' and no report says "passed".
 */
export function markIncomplete(report: RunReport, plan: RunPlan, options: { filter?: string; reason: NonNullable<RunReport['incomplete']>['reason']; message: string }): RunReport {
  const missing = notRunResults(plan, report.results, { filter: options.filter, verdict: options.reason === 'worker-exited' ? 'error' : 'skip', reason: options.message });
  if (missing.length === 0 && options.reason === 'bail') return report;
  return summarise({
    ...report,
    results: inPlanOrder(plan, [...report.results, ...missing]),
    errors: options.reason === 'bail' ? report.errors : [...report.errors, `${options.message} (${missing.length} test${missing.length === 1 ? '' : 's'} did not run)`],
    incomplete: { reason: options.reason, notRun: missing.length, message: options.message },
  });
}
