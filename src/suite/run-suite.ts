/**
 * The use case "run a suite" as a function of the package, without vitest: every endpoint × case
 * executed with the same executeCase and judged by the same verdict module as the vitest spec,
 * then finalised (blockers) and summarised. The CLI's vitest path and this one differ only in who
 * schedules the tests.
 */
import { getCase } from '../cases/catalogue.js';
import { summarise, type RunReport } from '../report/summary.js';
import { executeCase } from './execute.js';
import type { RunPlan } from './plan.js';
import type { CaseResult } from './result.js';
import { finalizeResults } from './verdict.js';
import { prepareWorker } from './worker-deps.js';

export interface ExecutePlanOptions {
  /** Requests in flight at once for suites without an audit log (with one, requests run one at a time). */
  concurrency?: number;
  /** Called as each result is decided (before the run-level pass). */
  onResult?: (result: CaseResult) => void;
}

/** Run every endpoint × case of the plan; results in plan order, blockers applied. */
export async function runPlan(plan: RunPlan, options: ExecutePlanOptions = {}): Promise<RunReport> {
  const started = new Date();
  const deps = await prepareWorker(plan);
  const jobs = plan.suite.endpoints.flatMap((endpoint) => plan.cases.map((planned) => ({ endpoint, planned })));
  const results: CaseResult[] = new Array(jobs.length);
  try {
    const width = plan.suite.audit ? 1 : Math.max(1, options.concurrency ?? 6);
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const i = next++;
        const { endpoint, planned } = jobs[i]!;
        const result = await executeCase({
          targetUrl: plan.targetUrl,
          timeoutMs: plan.suite.timeoutMs,
          suiteHeaders: plan.suite.headers,
          endpoint,
          planned,
          caseDef: getCase(planned.id),
          context: deps.context,
          audit: deps.audit,
          keyUrlFetches: deps.keyUrlFetches,
        });
        results[i] = result;
        options.onResult?.(result);
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
  } finally {
    await deps.stop();
  }
  const finished = new Date();
  return summarise({
    suite: { name: plan.suite.name, file: plan.suite.file },
    target: plan.targetUrl,
    mode: plan.mode,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    failOn: plan.failOn,
    ...finalizeResults(results, { targetUrl: plan.targetUrl, suiteFile: plan.suite.file }),
    errors: [],
  });
}
