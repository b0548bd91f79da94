import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { SerializedError } from '@vitest/utils';
import type { CaseResult } from '../suite/result.js';
import { redact } from '../redact.js';

declare module '@vitest/runner' {
  interface TaskMeta {
    harness?: CaseResult;
  }
}

/**
 * Vitest reporter that collects each test's CaseResult (put in task.meta by the worker) for the
 * JSON/Markdown/HTML reports. Tests that died without a result become 'error' results.
 */
export class ResultCollector implements Reporter {
  results: CaseResult[] = [];
  errors: string[] = [];

  /** Called after every run (once, or after each rerun in watch mode). */
  constructor(private readonly onRunEnd?: (collector: ResultCollector) => void | Promise<void>) {}

  onTestRunStart(): void {
    this.results = [];
    this.errors = [];
  }

  onTestCaseResult(testCase: TestCase): void {
    const meta = testCase.meta().harness;
    if (meta) {
      this.results.push(meta);
      return;
    }
    const res = testCase.result();
    // Tests filtered out (vitest -t) end as skipped without ever running: not part of the run.
    if (res.state === 'skipped' || res.state === 'pending') return;
    const message = res.errors?.[0]?.message ?? `test ended ${res.state} without a result`;
    const [endpoint, caseId] = testCase.fullName.split(' > ');
    this.results.push({
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
