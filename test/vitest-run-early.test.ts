/**
 * The checks `clerk-harness run` starts before vitest loads (Clerk API, test user, target): one that
 * has failed by the time vitest is loaded ends the run there, with its own error, no plan and no
 * vitest started; one that fails later reaches the user the same way through the plan, with
 * vitest's output dropped. Expected before running: the same error object in both, onInit (vitest
 * started) only in the second.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../src/errors.js';
import { loadSuite } from '../src/suite/load.js';
import type { RunPlan } from '../src/suite/plan.js';
import { runPendingPlanWithVitest } from '../src/suite/vitest-run.js';
import { writeCreateJobSuite } from './helpers/suites.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

describe('runPendingPlanWithVitest with early checks', () => {
  const suite = loadSuite(writeCreateJobSuite(), { cwd: process.cwd() });

  it('a check that failed while vitest loaded: its error, no plan, vitest never started', async () => {
    const refused = new HarnessError('TARGET_UNREACHABLE', 'http://127.0.0.1:9/jobs: connection refused');
    const early = Promise.reject(refused);
    let planned = 0;
    let started = 0;
    const out = sink();
    const run = runPendingPlanWithVitest(async () => (planned++, await early.then(() => ({}) as RunPlan)), suite, {
      reportsDir: '/nonexistent',
      early,
      onInit: () => void started++,
      stdout: out.stream,
      stderr: out.stream,
    });
    await expect(run).rejects.toBe(refused);
    expect({ planned, started, output: out.text() }).toEqual({ planned: 0, started: 0, output: '' });
  });

  it('a check that fails after vitest started: the same error through the plan, vitest closed, its output dropped', async () => {
    const late = new HarnessError('CLERK_API', 'CLERK_SECRET_KEY was rejected');
    let fail!: () => void;
    const early = new Promise<never>((_, reject) => (fail = () => reject(late)));
    let started = 0;
    const out = sink();
    const run = runPendingPlanWithVitest(
      async () => {
        fail(); // vitest is running now: the check comes back only after it started
        await early;
        return {} as RunPlan;
      },
      suite,
      { reportsDir: '/nonexistent', early, onInit: () => void started++, stdout: out.stream, stderr: out.stream },
    );
    await expect(run).rejects.toBe(late);
    expect({ started, output: out.text() }).toEqual({ started: 1, output: '' });
  }, 30_000);
});
