/**
 * The use case "run a suite" as a function of the package, without vitest: every endpoint × case
 * executed with the same executeCase and judged by the same verdict module as the vitest spec,
 * then finalised (blockers) and summarised. The CLI's vitest path and this one differ only in who
 * schedules the tests.
 */
import { summarise, type RunReport } from '../report/summary.js';
import { executeCase } from './execute.js';
import type { RunPlan } from './plan.js';
import type { CaseResult } from './result.js';
import { finalizeResults } from './verdict.js';
import { casesOf, type PlannedCase } from './plan.js';
import { executeAuthzCase } from './authz/execute-authz.js';
import type { SuiteEndpoint } from './types.js';
import { prepareWorker, type WorkerDeps } from './worker-deps.js';
import { concurrencyOf } from './limits.js';

/** One endpoint × case of a plan, as both schedulers (vitest's spec and runPlan) run it. */
export async function runCaseOfPlan(plan: RunPlan, deps: WorkerDeps, endpoint: SuiteEndpoint, planned: PlannedCase): Promise<CaseResult> {
  if (planned.authz) {
    return executeAuthzCase({
      targetUrl: plan.targetUrl,
      timeoutMs: plan.suite.timeoutMs,
      suiteHeaders: plan.suite.headers,
      endpoint,
      endpoints: plan.suite.endpoints,
      planned: planned as PlannedCase & { authz: NonNullable<PlannedCase['authz']> },
      deps,
    });
  }
  const objects = deps.objects;
  return executeCase({
    targetUrl: plan.targetUrl,
    timeoutMs: plan.suite.timeoutMs,
    suiteHeaders: plan.suite.headers,
    endpoint,
    planned,
    caseDef: deps.caseById(planned.id),
    context: planned.persona ? await deps.contextFor(planned.persona) : deps.context,
    audit: deps.audit,
    keyUrlFetches: deps.keyUrlFetches,
    persona: planned.persona,
    objectPath: endpoint.resource && objects ? () => objects.next(endpoint.name) : undefined,
  });
}

/** The run's report: the run-level verdict pass (blockers), then the summary every view reads. */
export function reportOfRun(plan: RunPlan, input: { results: CaseResult[]; errors: string[]; started: Date; finished: Date; suiteFile: string; doctorSuite?: string }): RunReport {
  return summarise({
    suite: { name: plan.suite.name, file: input.suiteFile },
    target: plan.targetUrl,
    mode: plan.mode,
    startedAt: input.started.toISOString(),
    finishedAt: input.finished.toISOString(),
    durationMs: input.finished.getTime() - input.started.getTime(),
    failOn: plan.failOn,
    ...finalizeResults(input.results, { targetUrl: plan.targetUrl, suiteFile: input.doctorSuite }),
    errors: input.errors,
  }, Object.keys(plan.suite.personas ?? {}));
}

export interface ExecutePlanOptions {
  /** Requests in flight at once (default: as the vitest path, concurrencyOf(plan)). */
  concurrency?: number;
  /** Called as each result is decided (before the run-level pass). */
  onResult?: (result: CaseResult) => void;
}

/** Run every endpoint × case of the plan; results in plan order, blockers applied. */
export async function runPlan(plan: RunPlan, options: ExecutePlanOptions = {}): Promise<RunReport> {
  const started = new Date();
  const deps = await prepareWorker(plan);
  const jobs = plan.suite.endpoints.flatMap((endpoint) => casesOf(plan, endpoint).map((planned) => ({ endpoint, planned })));
  const results: CaseResult[] = new Array(jobs.length);
  try {
    const width = Math.max(1, options.concurrency ?? concurrencyOf(plan));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const i = next++;
        const { endpoint, planned } = jobs[i]!;
        const result = await runCaseOfPlan(plan, deps, endpoint, planned);
        results[i] = result;
        options.onResult?.(result);
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
  } finally {
    await deps.stop();
  }
  return reportOfRun(plan, { results, errors: [], started, finished: new Date(), suiteFile: plan.suite.file, doctorSuite: plan.suite.file });
}
