import { DEFAULT_FAIL_ON } from '../../suite/policy.js';
import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { loadClerkSettings } from '../../tokens/local-emulator.js';
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { redactDeep } from '../../redact.js';
import { assertReportsDirUsable, removeStaleReports } from '../../report/reports-dir.js';
import { isFailing, type RunReport } from '../../report/summary.js';
import { DEFAULT_SUITE_FILE, loadSuite } from '../../suite/load.js';
import type { RunPlan } from '../../suite/plan.js';
import type { Suite } from '../../suite/types.js';
import { assertSuiteRunnable } from '../../suite/preflight-suite.js';
import { runPendingPlanWithVitest, startPlan } from '../../suite/vitest-run.js';
import { observeCollectors, type ResultCollector } from '../../report/collector.js';
import type { Command } from '../command.js';
import { parseCommandArgs, urlFlag } from '../command.js';
import { colorEnvironment, useColor } from '../output.js';

/**
 * What only the end of a run needs (the result pass, the reports, the summary). It loads while the
 * plan is built and the suite runs: the test worker is busy then, and this process mostly waits.
 */
async function loadEndOfRun() {
  const [runSuite, write, terminal, notRun] = await Promise.all([
    import('../../suite/run-suite.js'),
    import('../../report/write.js'),
    import('../../report/terminal.js'),
    import('../../report/not-run.js'),
  ]);
  return { ...notRun, reportOfRun: runSuite.reportOfRun, writeReports: write.writeReports, writeReportsSync: write.writeReportsSync, renderTerminalSummary: terminal.renderTerminalSummary };
}
type EndOfRun = Awaited<ReturnType<typeof loadEndOfRun>>;

/**
 * What needs neither the plan nor @clerk/backend, started together before vitest loads: the
 * target's preflight and the mode probe (which also tells an emulator refusing the secret key).
 * `all` settles as they are awaited in that order, so its error is always the first one's, as
 * `makePlan` reports it. The target comes first: one local request, where real Clerk is an
 * internet round trip. The SDK's calls (the Clerk check, the test user) wait for the plan, which
 * starts with vitest's run: loading the SDK here would delay the test worker's start.
 */
function earlyChecks(clerk: { apiUrl: string; secretKey: string }, suite: Suite, targetUrl: string) {
  const probe = import('../../tokens/mode.js').then(async ({ detectMode, keyRejected }) => {
    const answer = await detectMode(clerk.apiUrl, clerk.secretKey);
    if (answer.mode === 'emulator-key-rejected' && answer.keyInvalid) throw keyRejected(clerk.apiUrl, true);
    return answer.mode;
  });
  const target = import('../../suite/preflight.js').then(({ preflight }) => preflight({ suite, targetUrl }));
  const all = (async () => {
    await target;
    await probe;
  })();
  for (const p of [probe, target, all]) p.catch(() => undefined); // awaited through `all` (makePlan, runPendingPlanWithVitest)
  return { probe, all };
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const REPORTERS = ['default', 'verbose', 'dot', 'tree', 'tap', 'tap-flat', 'github-actions'];

const help = `Usage: clerk-harness run [options]

Run an auth suite against a target API: every endpoint × case is one vitest test that mints its
token at the moment it runs. With no target configured (no --target, TARGET_URL or suite
base_url) it runs the embedded default: the bundled Clerk emulator + the reference target.

Options:
  --suite FILE        suite file (YAML or JSON; default: suites/reference.yaml; \`clerk-harness init\` writes one)
  --target URL        base URL of the API under test (default: TARGET_URL, then the suite's base_url)
  --reports DIR       where to write junit.xml, results.json, summary.md, report.html (default: reports);
                      the reports of an earlier run there are removed when the run starts
  --fail-on LEVEL     lowest severity that fails the run: critical|high|medium|low (default: suite's fail_on, else medium)
  -t, --filter REGEX  only tests whose "<endpoint name> <case id>" matches (vitest's -t)
  --list              print the endpoint × case tests that would run, with skip reasons; send nothing
  --json              print the result document (clerk-harness/result@1) on stdout; the live
                      output and the summary go to stderr
  --bail              stop after the first failing test (a finding at or above --fail-on, or an
                      error); the tests that did not run are reported as skipped "not run"
  --no-color          no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them), vitest's output included
  --reporter NAME     vitest live reporter: default|verbose|dot|tap|tap-flat|github-actions
                      (default: vitest's default without its failed-tests block: the harness
                      prints each finding once, grouped by root cause)
  --embedded          force the embedded default even if TARGET_URL is set
  --watch             keep running: rerun the suite (fresh tokens) when a watched file changes
  --watch-path FILE   what to watch (repeatable; default .env.local and .env, e.g. your backend's
                      source files or the file it reloads on); suite edits need a restart;
                      Ctrl-C ends watch mode with exit code 130
  -h, --help          show this help

Configuration (for your own API): CLERK_SECRET_KEY and CLERK_API_URL (real Clerk, or the emulator
from \`clerk-harness emulator\`), TARGET_URL, optionally CLERK_TEST_USER_ID / CLERK_TEST_USER_EMAIL,
CLERK_JWT_TEMPLATE, CLERK_JWT_KEY. Read from .env.local, .env, then the environment.

Exit codes: 0 every expectation held, 1 a finding at or above --fail-on, 2 configuration error,
the target could not be reached, or the run could not complete, 3 internal error; 130/143 when
interrupted (SIGINT/SIGTERM: the reports say so and list the tests that did not run).

Examples:
  clerk-harness run                                   # embedded emulator + reference target
  clerk-harness run --target http://127.0.0.1:8000 --suite suites/my-api.yaml
  clerk-harness run --suite suites/my-api.yaml --list # what would run, and what is skipped why
  clerk-harness run -t "alg-none" --reporter verbose   # the four alg:none spellings
  clerk-harness run --json > results.json`;

const isLoopback = (url: string | undefined) => {
  try {
    return url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

/** The built live reporter next to this module's tree (vitest loads custom reporters by path). */
function liveReporterPath(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`../../report/live-reporter.${ext}`, import.meta.url).pathname;
}

const command: Command = {
  summary: 'run the auth suites against a target',
  help,
  async run(ctx): Promise<ExitCode> {
    const { values } = parseCommandArgs('run', ctx.argv, {
      suite: { type: 'string' },
      target: { type: 'string' },
      reports: { type: 'string' },
      'fail-on': { type: 'string' },
      filter: { type: 'string', short: 't' },
      reporter: { type: 'string' },
      embedded: { type: 'boolean' },
      watch: { type: 'boolean' },
      'watch-path': { type: 'string', multiple: true },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
      bail: { type: 'boolean' },
      'no-color': { type: 'boolean' },
    });
    const failOnFlag = values['fail-on'];
    if (failOnFlag !== undefined && !SEVERITIES.includes(failOnFlag as (typeof SEVERITIES)[number])) {
      throw new HarnessError('USAGE', `run: --fail-on must be one of ${SEVERITIES.join(', ')}, got "${failOnFlag}"`);
    }
    urlFlag('run', 'target', values.target);
    if (values.reporter !== undefined && !REPORTERS.includes(values.reporter)) {
      throw new HarnessError('USAGE', `run: --reporter must be one of ${REPORTERS.join(', ')}, got "${values.reporter}"`);
    }
    if (values.filter !== undefined) {
      try {
        new RegExp(values.filter);
      } catch (err) {
        throw new HarnessError('USAGE', `run: -t/--filter is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    if (values.watch && (values.json || values.bail || values.list)) {
      throw new HarnessError('USAGE', `run: --watch cannot be combined with --${values.json ? 'json' : values.bail ? 'bail' : 'list'}`);
    }
    // --json keeps stdout for the document; everything a person reads goes to stderr.
    const human = values.json ? ctx.stderr : ctx.stdout;
    const colorFlag = values['no-color'] ? false : undefined;
    const color = useColor(human, ctx.env, colorFlag);
    if (ctx.env === process.env) {
      // vitest runs in this process and decides its colours from the environment when first imported.
      for (const [k, v] of Object.entries(colorEnvironment(color))) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }

    const suite = loadSuite(values.suite ? path.resolve(ctx.cwd, values.suite) : DEFAULT_SUITE_FILE, { cwd: ctx.cwd });
    await assertSuiteRunnable(suite);
    const reportsDir = path.resolve(ctx.cwd, values.reports ?? 'reports');
    let config = loadConfig({ cwd: ctx.cwd, environment: ctx.env });
    const targetUrl = values.target ?? config.targetUrl ?? suite.baseUrl;
    if (targetUrl === undefined && values.suite !== undefined && !values.embedded && !values.list) {
      // The embedded reference target only makes sense for the default suite; your suite needs your API.
      throw new HarnessError('CONFIG_MISSING', `run: no target for suite ${values.suite}: set TARGET_URL, --target, or target.base_url in the suite`, {
        hint: 'e.g. --target http://127.0.0.1:8000 (add --embedded to run it against the bundled reference target on purpose)',
      });
    }
    const embedded = values.embedded || targetUrl === undefined;
    // The bundled default suite sits in the package, not the project: name it by its absolute path.
    const relSuite = path.relative(ctx.cwd, suite.file);
    const suiteFile = relSuite && !relSuite.startsWith('..') ? relSuite : suite.file;

    if (values.list) {
      // Nothing is started and nothing is sent: the mode is what the configuration says.
      const mode = embedded || isLoopback(config.clerkApiUrl) ? 'emulator' : 'clerk';
      const { listTests, renderList } = await import('../../report/list.js');
      const tests = await listTests({
        suite,
        mode,
        template: suite.template ?? (embedded ? (await import('../../suite/embedded.js')).EMBEDDED_TEMPLATE : config.jwtTemplate),
        publicKey: mode === 'emulator' || Boolean(config.jwtKey),
        filter: values.filter,
      });
      if (values.json) {
        ctx.stdout.write(JSON.stringify(redactDeep({ format: 'clerk-harness/list@1', suite: { name: suite.name, file: suiteFile }, target: embedded ? 'embedded' : targetUrl, mode, tests }), null, 2) + '\n');
      } else {
        const where = embedded ? 'the embedded reference target' : targetUrl!;
        const tokens = mode === 'emulator' ? `emulator${embedded ? '' : ' (CLERK_API_URL is on this machine)'}` : 'Clerk';
        ctx.stdout.write(renderList(tests, { suite: suite.name, suiteFile, target: where, mode: tokens }, color));
      }
      if (tests.length === 0) {
        throw new HarnessError('USAGE', `run: no test matched${values.filter ? ` the filter "${values.filter}"` : ''}`, { hint: 'test names are "<endpoint name> <case id>"' });
      }
      return EXIT.OK;
    }

    // Before anything starts: the reports must have somewhere to go, and an earlier run's reports
    // must not be left beside this run as if they were its own.
    assertReportsDirUsable(reportsDir, values.reports ?? 'reports');
    if (!values.watch) await removeStaleReports(reportsDir);

    if (!embedded) {
      // CLERK_SECRET_KEY is required for your own target, unless `clerk-harness emulator` runs in this folder.
      config = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env }).config;
    }

    // vitest starts before the plan is built (runPendingPlanWithVitest), so its worker boots while
    // this thread builds it. What only the end of the run needs loads once the run has started:
    // any earlier, every millisecond it takes here would delay the worker's start.
    let end: EndOfRun | undefined;
    let endLoading: Promise<EndOfRun> | undefined;
    const loadEnd = (): Promise<EndOfRun> => {
      if (!endLoading) {
        endLoading = loadEndOfRun().then((m) => (end = m));
        endLoading.catch(() => undefined);
      }
      return endLoading;
    };

    let plan: RunPlan | undefined;
    let live: ResultCollector | undefined;
    let started = new Date();
    const reportFrom = (collector: { results: ResultCollector['results']; errors: string[] }, finished = new Date()): RunReport =>
      end!.reportOfRun(plan!, {
        results: end!.inPlanOrder(plan!, collector.results),
        errors: collector.errors,
        started,
        finished,
        suiteFile,
        doctorSuite: values.suite,
      });

    // An interrupt writes complete reports that say so (the results so far, the rest "not run"),
    // synchronously: vitest's own handler exits the process right after this one.
    const onSignal = (signal: NodeJS.Signals) => {
      process.exitCode = signal === 'SIGINT' ? 130 : 143;
      if (plan && !end) ctx.stderr.write(`\nclerk-harness run: interrupted by ${signal} before any test ran; no reports written\n`);
      if (plan && end) {
        const { markIncomplete, writeReportsSync } = end;
        try {
          const report = markIncomplete(reportFrom({ results: [...(live?.results ?? [])], errors: [...(live?.errors ?? [])] }), plan, {
            filter: values.filter,
            reason: 'interrupted',
            message: `interrupted by ${signal}`,
          });
          writeReportsSync(report, reportsDir);
          ctx.stderr.write(`\nclerk-harness run: interrupted by ${signal}: reports in ${path.relative(ctx.cwd, reportsDir) || reportsDir} hold the ${report.summary.total - (report.incomplete?.notRun ?? 0)} results so far and mark ${report.incomplete?.notRun ?? 0} tests as not run\n`);
        } catch (err) {
          ctx.stderr.write(`\nclerk-harness run: interrupted by ${signal}; the reports could not be written: ${(err as Error).message}\n`);
        }
      }
      setTimeout(() => process.exit(), 200);
    };
    const unobserve = observeCollectors((c) => {
      live = c;
      if (values.bail) c.bailOn = (r) => r.verdict === 'error' || (plan !== undefined && isFailing(r, plan.failOn));
    });
    if (!values.watch) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }

    // What needs no plan is asked at once, while vitest loads: a target nothing listens on, or an
    // emulator refusing the secret key, then fails in the time of its request, with no test worker
    // started when the answer beats vitest's import (a local target or emulator: always).
    const clerkInput = embedded ? undefined : { apiUrl: config.clerkApiUrl, secretKey: config.clerkSecretKey!, testUserId: config.testUserId, testUserEmail: config.testUserEmail };
    const early = clerkInput ? earlyChecks(clerkInput, suite, targetUrl!) : undefined;

    let env: Awaited<ReturnType<typeof import('../../suite/embedded.js')['startEmbedded']>> | undefined;
    try {
      /** The emulator and target (embedded runs), the plan and its preflight; without --watch, while vitest's worker boots. */
      const makePlan = async (): Promise<RunPlan> => {
        // The embedded emulator and reference target load only when they are used.
        env = embedded ? await (await import('../../suite/embedded.js')).startEmbedded({ cwd: ctx.cwd, log: (l) => ctx.stderr.write(`${l}\n`) }) : undefined;
        const { buildPlan } = await import('../../suite/build-plan.js');
        // Your own target: the checks started before vitest (their order is `all`'s); embedded: its preflight below.
        await early?.all;
        const probed = await early?.probe;
        plan = await buildPlan({
          suite,
          targetUrl: env ? env.targetUrl : targetUrl!,
          clerk: env ? env.clerk : clerkInput!,
          probed,
          template: suite.template ?? env?.template ?? config.jwtTemplate,
          publicKeyPem: env?.publicKeyPem ?? config.jwtKey,
          failOn: (failOnFlag as (typeof SEVERITIES)[number] | undefined) ?? suite.failOn ?? DEFAULT_FAIL_ON,
        });
        if (!early) await (await import('../../suite/preflight.js')).preflight(plan);
        started = new Date();
        return plan;
      };
      let lastCode: ExitCode = EXIT.OK;
      /** After each run (each rerun in watch mode): summary, reports, exit code. */
      const finish = async (collector: ResultCollector): Promise<ExitCode> => {
        const { markIncomplete, notRunResults, renderTerminalSummary, writeReports } = await loadEnd();
        let report = reportFrom(collector);
        if (collector.bailedAt) {
          const r = collector.bailedAt;
          report = markIncomplete(report, plan!, { filter: values.filter, reason: 'bail', message: `--bail: stopped after the first failure (${r.endpoint} ${r.caseId})` });
        } else if (!values.watch && notRunResults(plan!, report.results, { filter: values.filter, verdict: 'error', reason: '' }).length > 0) {
          // A worker that exited (or a run vitest ended early): what never ran is never "passed".
          report = markIncomplete(report, plan!, { filter: values.filter, reason: 'worker-exited', message: 'the test worker stopped before every test ran' });
        }
        started = new Date();
        if (report.summary.total === 0 && report.errors.length === 0) {
          throw new HarnessError('USAGE', `run: no test matched${values.filter ? ` the filter "${values.filter}"` : ''}`, {
            hint: 'test names are "<endpoint name> <case id>", e.g. -t "create job alg-none" or -t "alg-none"; `clerk-harness run --list` shows them',
          });
        }
        const files = await writeReports(report, reportsDir);
        const rel = (f: string) => path.relative(ctx.cwd, f) || f;
        human.write(renderTerminalSummary(report, color, [files.junit, files.json, files.markdown, files.html].map(rel)));
        if (values.json) ctx.stdout.write(JSON.stringify(redactDeep(report), null, 2) + '\n');
        if (ctx.env.GITHUB_STEP_SUMMARY) {
          const { appendFile, readFile } = await import('node:fs/promises');
          await appendFile(ctx.env.GITHUB_STEP_SUMMARY, await readFile(files.markdown, 'utf8'));
        }
        lastCode = report.status === 'passed' ? EXIT.OK : report.status === 'failed' ? EXIT.FINDINGS : EXIT.USAGE;
        return lastCode;
      };
      const vitestOptions = {
        reportsDir,
        testNamePattern: values.filter,
        liveReporter: values.reporter ?? liveReporterPath(),
        stdout: human,
        stderr: ctx.stderr,
        onRunStart: () => void setImmediate(loadEnd),
      };
      if (!values.watch) return await finish(await runPendingPlanWithVitest(makePlan, suite, { ...vitestOptions, early: early?.all }));
      plan = await makePlan();

      const triggers = (values['watch-path'] ?? ['.env.local', '.env']).map((p) => path.resolve(ctx.cwd, p));
      const run = await startPlan({ harnessPlan: plan }, plan, {
        ...vitestOptions,
        watch: triggers,
        onRunEnd: async (c) => {
          await finish(c).then(
            () => void ctx.stdout.write(`\nwatching ${triggers.map((t) => path.relative(ctx.cwd, t) || t).join(', ')}: changes rerun the suite with fresh tokens; Ctrl-C stops\n`),
            (err: Error) => void ctx.stderr.write(`clerk-harness run: ${err.message}\n`),
          );
        },
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await run.close();
      return lastCode;
    } finally {
      unobserve();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await env?.stop();
    }
  },
};
export default command;
