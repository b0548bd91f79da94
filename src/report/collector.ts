import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import type { SerializedError } from '@vitest/utils';
import type { CaseResult } from '../suite/result.js';
import { redact } from '../redact.js';

declare module '@vitest/runner' {
  interface TaskMeta {
    harness?: CaseResult;
  }
}

type CollectorListener = (collector: ResultCollector) => void;
const listeners = new Set<CollectorListener>();

/**
 * Be told of every ResultCollector created from now on (the CLI's `run` uses it to reach the live
 * collector of the vitest run it starts: for --bail and for the results so far on an interrupt).
 * Returns the function that stops listening.
 */
export function observeCollectors(listener: CollectorListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/**
 * Vitest reporter that collects each test's CaseResult (put in task.meta by the worker) for the
 * JSON/Markdown/HTML reports. Tests that died without a result become 'error' results.
 */
export class ResultCollector implements Reporter {
  results: CaseResult[] = [];
  errors: string[] = [];

  /** --bail: stop the run at the first result this says yes to (set before the run starts). */
  bailOn?: (result: CaseResult) => boolean;
  /** The result that stopped the run (--bail), if one did. */
  bailedAt?: CaseResult;
  private vitest?: Vitest;
  /** Index in `results` of each test's result: vitest reports a test again when a run is cancelled. */
  private slot = new Map<string, number>();

  /** Called after every run (once, or after each rerun in watch mode). */
  constructor(private readonly onRunEnd?: (collector: ResultCollector) => void | Promise<void>) {
    for (const l of listeners) l(this);
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunStart(): void {
    this.results = [];
    this.errors = [];
    this.slot.clear();
    this.bailedAt = undefined;
  }

  /** Stop the current run after the tests in flight (vitest's own cancel: the rest end as skipped). */
  async cancel(reason: 'test-failure' | 'keyboard-input' = 'keyboard-input'): Promise<void> {
    await this.vitest?.cancelCurrentRun(reason);
  }

  private record(id: string, result: CaseResult): void {
    const at = this.slot.get(id);
    if (at !== undefined) {
      this.results[at] = result;
      return;
    }
    this.slot.set(id, this.results.length);
    this.results.push(result);
    if (!this.bailedAt && this.bailOn?.(result)) {
      this.bailedAt = result;
      void this.cancel('test-failure');
    }
  }

  onTestCaseResult(testCase: TestCase): void {
    const meta = testCase.meta().harness;
    if (meta) {
      this.record(testCase.id, meta);
      return;
    }
    const res = testCase.result();
    // Tests filtered out (vitest -t) end as skipped without ever running: not part of the run.
    if (res.state === 'skipped' || res.state === 'pending') return;
    const message = res.errors?.[0]?.message ?? `test ended ${res.state} without a result`;
    const [endpoint, caseId] = testCase.fullName.split(' > ');
    this.record(testCase.id, {
      endpoint: endpoint ?? '?',
      request: endpoint ?? '?',
      caseId: caseId ?? testCase.name,
      title: testCase.name,
      expect: 'rejected',
      expectedStatus: [],
      severity: 'high',
      verdict: 'error',
      message: redact(message.split('\n')[0]),
      why: '',
    });
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void | Promise<void> {
    for (const e of unhandledErrors) this.errors.push(redact(String(e.message ?? e).split('\n')[0]));
    for (const m of _modules) {
      for (const e of m.errors()) this.errors.push(redact(String(e.message).split('\n')[0]));
    }
    return this.onRunEnd?.(this);
  }
}
