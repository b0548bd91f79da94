import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { ResultCollector } from '../report/collector.js';
import type { RunPlan } from './plan.js';
import { concurrencyOf } from './limits.js';

export interface VitestRunOptions {
  reportsDir: string;
  /** vitest's -t: only tests whose "endpoint > case" name matches. */
  testNamePattern?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Reporter for the live output: 'default', 'verbose', 'dot'... */
  liveReporter?: string;
  /** Watch mode: rerun whenever one of these files changes (absolute paths or globs). */
  watch?: string[];
  /** Called after every run with its results (each rerun too, in watch mode). */
  onRunEnd?: (collector: ResultCollector) => void | Promise<void>;
}

export interface VitestRun {
  collector: ResultCollector;
  close(): Promise<void>;
}

/** The spec file sits next to this module: .ts under vitest/tsx, .js in the built CLI. */
function specFile(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return path.relative(PACKAGE_ROOT, new URL(`./auth.spec.${ext}`, import.meta.url).pathname);
}

/**
 * Run the plan through vitest's node API: every endpoint × case is one vitest test, so vitest's
 * filters, reporters (JUnit among them) and output all apply. Returns the collected results.
 */
export async function runPlanWithVitest(plan: RunPlan, options: VitestRunOptions): Promise<ResultCollector> {
  const run = await startPlan(plan, options);
  await run.close();
  return run.collector;
}

/** Start vitest on the plan; in watch mode it keeps rerunning until close(). */
export async function startPlan(plan: RunPlan, options: VitestRunOptions): Promise<VitestRun> {
  const { startVitest } = await import('vitest/node');
  const collector = new ResultCollector(options.onRunEnd);
  const previousExitCode = process.exitCode;
  const vitest = await startVitest(
    'test',
    [],
    {
      config: false,
      root: PACKAGE_ROOT,
      include: [specFile()],
      watch: Boolean(options.watch),
      forceRerunTriggers: options.watch ?? [],
      passWithNoTests: false,
      // JUnit is written from the final results (src/report/junit.ts), after blockers are decided.
      reporters: [options.liveReporter ?? 'default', collector],
      provide: { harnessPlan: plan },
      // One worker; tests overlap up to maxConcurrency. With an audit log they run in windows of
      // that size (src/suite/audit-probe-impl.ts), so a larger one means fewer quiet periods.
      pool: 'forks',
      maxWorkers: 1,
      fileParallelism: false,
      maxConcurrency: concurrencyOf(plan),
      sequence: { shuffle: false },
      // The built harness modules the spec imports load as plain Node modules: vite has nothing to
      // transform in them, and skipping it saves most of the worker's start.
      server: { deps: { external: [/\/dist\/(?!suite\/auth\.spec\.js$)/] } },
      // Against real Clerk the expired-token case may wait up to ~50 s for its genuine token to age.
      testTimeout: Math.max(30_000, plan.suite.timeoutMs * 3 + 10_000) + (plan.mode === 'clerk' ? 60_000 : 0),
      hookTimeout: 60_000,
      testNamePattern: options.testNamePattern,
      // Findings are the content of the run, not a test-runner failure worth a stack trace.
      printConsoleTrace: false,
    },
    { logLevel: 'error', cacheDir: path.join(PACKAGE_ROOT, 'node_modules', '.vite-clerk-harness') },
    { stdout: (options.stdout ?? process.stdout) as NodeJS.WriteStream, stderr: (options.stderr ?? process.stderr) as NodeJS.WriteStream },
  );
  return {
    collector,
    async close() {
      await vitest.close();
      // vitest sets process.exitCode on failures; the CLI decides the exit code from the results.
      process.exitCode = previousExitCode;
    },
  };
}
