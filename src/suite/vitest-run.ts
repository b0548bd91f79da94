import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { ResultCollector } from '../report/collector.js';
import type { RunPlan } from './plan.js';
import { concurrencyOf, testTimeoutOf } from './limits.js';
import { openPlanChannel } from './plan-channel.js';
import type { Suite } from './types.js';

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
  /** Called as vitest starts a run (each rerun in watch mode), just before its worker starts. */
  onRunStart?: () => void;
  /** Told of the vitest instance as it starts. */
  onInit?: (vitest: { close(): Promise<void> }) => void;
}

export interface PendingPlanOptions extends VitestRunOptions {
  /**
   * Checks under way before vitest loads (the target and the Clerk API answering): one that has
   * failed by the time vitest is loaded stops the run there, with its error and no test worker.
   * `makePlan` must reject with the same error when it awaits them.
   */
  early?: Promise<unknown>;
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
  const run = await startPlan({ harnessPlan: plan }, plan, options);
  await run.close();
  return run.collector;
}

/**
 * Start vitest before the plan exists: `makePlan` is called once vitest starts its run, so the test
 * worker boots on the other core while this process builds the plan, and the spec takes it from
 * plan-channel.ts. Until the plan is there vitest's output is held back; if the plan fails, that
 * output is dropped and the plan's error is thrown, as if vitest had never started. `suite` sets
 * the test timeout the worker starts with (the longer, real-Clerk one); the spec sets the plan's
 * own limits once it has it.
 */
export async function runPendingPlanWithVitest(makePlan: () => Promise<RunPlan>, suite: Suite, options: PendingPlanOptions): Promise<ResultCollector> {
  if (options.early) {
    const early: { failed?: { error: unknown } } = {};
    options.early.catch((error: unknown) => void (early.failed = { error }));
    // Loading vitest takes long enough for a refused connection or a rejected key to come back.
    await import('vitest/node');
    if (early.failed) throw early.failed.error;
  }
  let settle!: { resolve: (p: RunPlan) => void; reject: (e: unknown) => void };
  const pending = new Promise<RunPlan>((resolve, reject) => (settle = { resolve, reject }));
  pending.catch(() => undefined);
  let begun = false;
  const begin = () => {
    if (begun) return;
    begun = true;
    makePlan().then(settle.resolve, settle.reject);
  };
  const stdout = heldBack(options.stdout ?? process.stdout);
  const stderr = heldBack(options.stderr ?? process.stderr);
  let vitest: { close(): Promise<void> } | undefined;
  const ready = pending.then(
    () => (stdout.release(), stderr.release(), undefined),
    (err: unknown) => {
      // Nothing to run: stop the worker now rather than let it boot only to fail its file.
      vitest?.close().catch(() => undefined);
      return err ?? new Error('the plan failed');
    },
  );
  const channel = await openPlanChannel(pending);
  let run: VitestRun | undefined;
  let failure: unknown;
  try {
    run = await startPlan({ harnessPlanChannel: channel.address }, { mode: 'clerk', suite }, {
      ...options,
      stdout,
      stderr,
      onRunStart: () => (begin(), options.onRunStart?.()),
      onInit: (v) => ((vitest = v), options.onInit?.(v)),
    });
    await run.close();
  } catch (err) {
    failure = err;
  } finally {
    await channel.close();
  }
  // A vitest that ended before its run started never asked for the plan: its own error is the news.
  const planError = begun ? await ready : undefined;
  if (planError) throw planError;
  if (failure !== undefined || !begun) throw failure ?? new Error('vitest ended before the run started');
  return run!.collector;
}

/** A stream whose writes wait until release(), then pass straight through; everything else is the stream's own. */
function heldBack(stream: NodeJS.WritableStream): NodeJS.WritableStream & { release(): void } {
  let held: Array<[chunk: unknown, ...rest: unknown[]]> | undefined = [];
  const passOn = (...args: unknown[]) => (stream.write as (...a: unknown[]) => boolean)(...args);
  /** write()/end() callbacks are called as if the write had happened: the caller must not wait on a held write. */
  const callBack = (args: unknown[]) => {
    const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
    if (cb) queueMicrotask(cb);
  };
  const write = (...args: [unknown, ...unknown[]]): boolean => {
    if (!held) return passOn(...args);
    held.push(args);
    callBack(args);
    return true;
  };
  const release = () => {
    const pendingWrites = held ?? [];
    held = undefined;
    for (const args of pendingWrites) passOn(...args.filter((a) => typeof a !== 'function'));
  };
  const end = (...args: unknown[]) => callBack(args);
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return write;
      if (key === 'release') return release;
      // vitest pipes into the stream it is given; Node's pipe() never ends process.stdout/stderr, but
      // would end this wrapper of them. The stream is the CLI's, and stays open.
      if (key === 'end') return end;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as NodeJS.WritableStream & { release(): void };
}

/** Start vitest on the plan; in watch mode it keeps rerunning until close(). */
export async function startPlan(
  provided: { harnessPlan: RunPlan } | { harnessPlanChannel: import('./plan-channel.js').PlanAddress },
  limits: Parameters<typeof concurrencyOf>[0] & Parameters<typeof testTimeoutOf>[0],
  options: VitestRunOptions,
): Promise<VitestRun> {
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
      reporters: [options.liveReporter ?? 'default', collector, { onInit: options.onInit, onTestRunStart: options.onRunStart }],
      provide: provided,
      // One worker; tests overlap up to maxConcurrency. With an audit log they run in windows of
      // that size (src/suite/audit-probe-impl.ts), so a larger one means fewer quiet periods.
      pool: 'forks',
      maxWorkers: 1,
      fileParallelism: false,
      maxConcurrency: concurrencyOf(limits),
      sequence: { shuffle: false },
      // The built harness modules the spec imports load as plain Node modules: vite has nothing to
      // transform in them, and skipping it saves most of the worker's start.
      server: { deps: { external: [/\/dist\/(?!suite\/auth\.spec\.js$)/] } },
      testTimeout: testTimeoutOf(limits),
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
