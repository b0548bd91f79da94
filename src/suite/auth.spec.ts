/**
 * The auth suite as vitest tests: one test per endpoint × case, each minting its token at the
 * moment it runs. Started by `clerk-harness run` through vitest's node API, with the plan provided
 * or, when vitest starts while the plan is still being built, handed over once it is (plan-channel.ts).
 */
import { afterAll, beforeAll, describe, inject, test, vi } from 'vitest';
import { severityAtLeast } from './verdict.js';
import { casesOf } from './plan.js';
import { runCaseOfPlan } from './run-suite.js';
import { prepareWorker, type WorkerDeps } from './worker-deps.js';
import { concurrencyOf, testTimeoutOf } from './limits.js';
import { receivePlan } from './plan-channel.js';

// Provided with the run, or (vitest started while the CLI was still building it) fetched from the CLI.
const plan = inject('harnessPlan') ?? (await receivePlan(inject('harnessPlanChannel')));
vi.setConfig({ maxConcurrency: concurrencyOf(plan), testTimeout: testTimeoutOf(plan) });
let deps: WorkerDeps;

beforeAll(async () => {
  deps = await prepareWorker(plan);
});
afterAll(async () => {
  await deps?.stop();
});

/** A finding at or above the threshold fails its test; the message is the finding, no stack. */
class Finding extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Finding';
    this.stack = `${this.name}: ${message}`;
  }
}

// Requests overlap; with an audit log the probe sends them in windows whose lines it can attribute.
const group = describe.concurrent;

for (const endpoint of plan.suite.endpoints) {
  group(endpoint.name, () => {
    for (const planned of casesOf(plan, endpoint)) {
      test(planned.id, async (ctx) => {
        const result = await runCaseOfPlan(plan, deps, endpoint, planned);
        ctx.task.meta.harness = result;
        if (result.verdict === 'skip') ctx.skip(result.skipReason);
        if (result.verdict === 'finding' && severityAtLeast(result.severity, plan.failOn)) {
          throw new Finding(`[${result.severity}] ${result.message}${result.hint ? `\n  fix: ${result.hint}` : ''}`);
        }
      });
    }
  });
}
