/**
 * vitest's default live reporter without its "Failed Tests" block: every finding fails its vitest
 * test, and the harness prints each finding once, grouped by root cause, right after (terminal.ts).
 * Unhandled errors are still printed here; errors of the spec file itself reach the harness's
 * summary through the collector. `clerk-harness run` uses this unless --reporter names another.
 */
import { DefaultReporter } from 'vitest/node';
import type { SerializedError } from '@vitest/utils';

type File = Parameters<DefaultReporter['reportSummary']>[0];

export default class HarnessLiveReporter extends DefaultReporter {
  override reportSummary(files: File, errors: unknown[]): void {
    // printErrorsSummary is private in vitest's types, public at runtime; [] = no test or suite list.
    (this as unknown as { printErrorsSummary(files: File, errors: unknown[]): void }).printErrorsSummary([], errors as SerializedError[]);
    this.reportTestSummary(files, errors, 0);
  }
}

