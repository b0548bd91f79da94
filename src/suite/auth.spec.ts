/**
 * The auth suite as vitest tests: one test per endpoint × case, each minting its token at the
 * moment it runs. Started by `clerk-harness run` through vitest's node API with the plan provided.
 */
import { afterAll, beforeAll, describe, inject, test } from 'vitest';
import { severityAtLeast } from './verdict.js';
import { casesOf } from './plan.js';
import { runCaseOfPlan } from './run-suite.js';
import { prepareWorker, type WorkerDeps } from './worker-deps.js';

const plan = inject('harnessPlan');
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
