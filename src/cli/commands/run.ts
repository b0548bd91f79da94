import { DEFAULT_FAIL_ON } from '../../suite/policy.js';
import { reportOfRun } from '../../suite/run-suite.js';
import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { loadClerkSettings } from '../../tokens/local-emulator.js';
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { renderTerminalSummary } from '../../report/terminal.js';
import { writeReports } from '../../report/write.js';
import { startEmbedded } from '../../suite/embedded.js';
import { DEFAULT_SUITE_FILE, loadSuite } from '../../suite/load.js';
import { buildPlan } from '../../suite/build-plan.js';
import { preflight } from '../../suite/preflight.js';
import { assertSuiteRunnable } from '../../suite/preflight-suite.js';
import { runPlanWithVitest, startPlan } from '../../suite/vitest-run.js';
import type { ResultCollector } from '../../report/collector.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../command.js';
import { useColor } from '../output.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const REPORTERS = ['default', 'verbose', 'dot', 'tree', 'tap', 'tap-flat', 'github-actions'];

const help = `Usage: clerk-harness run [options]

Run an auth suite against a target API: every endpoint × case is one vitest test that mints its
token at the moment it runs. With no target configured (no --target, TARGET_URL or suite
base_url) it runs the embedded default: the bundled Clerk emulator + the reference target.

Options:
  --suite FILE        suite file (YAML or JSON; default: suites/reference.yaml)
  --target URL        base URL of the API under test (default: TARGET_URL, then the suite's base_url)
  --reports DIR       where to write junit.xml, results.json, summary.md, report.html (default: reports)
  --fail-on LEVEL     lowest severity that fails the run: critical|high|medium|low (default: suite's fail_on, else low)
  -t, --filter REGEX  only tests whose "<endpoint name> <case id>" matches (vitest's -t)
  --reporter NAME     vitest live reporter: default|verbose|dot|tap (default: default)
  --embedded          force the embedded default even if TARGET_URL is set
  --watch             keep running: rerun the suite (fresh tokens) when a watched file changes
  --watch-path FILE   what to watch (repeatable; default .env.local and .env, e.g. your backend's
                      source files or the file it reloads on); suite edits need a restart;
                      Ctrl-C ends watch mode with exit code 130
  -h, --help          show this help

Configuration (for your own API): CLERK_SECRET_KEY and CLERK_API_URL (real Clerk, or the emulator
from \`clerk-harness emulator\`), TARGET_URL, optionally CLERK_TEST_USER_ID / CLERK_TEST_USER_EMAIL,
CLERK_JWT_TEMPLATE, CLERK_JWT_KEY. Read from .env.local, .env, then the environment.

Exit codes: 0 every expectation held, 1 a finding at or above --fail-on, 2 configuration error or
the target could not be reached, 3 internal error.

Examples:
  clerk-harness run                                   # embedded emulator + reference target
  clerk-harness run --target http://127.0.0.1:8000 --suite suites/my-api.yaml
  clerk-harness run -t "alg-none" --reporter verbose   # the four alg:none spellings`;

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
    });
    const failOnFlag = values['fail-on'];
    if (failOnFlag !== undefined && !SEVERITIES.includes(failOnFlag as (typeof SEVERITIES)[number])) {
      throw new HarnessError('USAGE', `run: --fail-on must be one of ${SEVERITIES.join(', ')}, got "${failOnFlag}"`);
    }
    if (values.target !== undefined && !/^https?:\/\/[^/]/.test(values.target)) {
      throw new HarnessError('USAGE', `run: --target must be an http(s) URL such as http://127.0.0.1:8000, got "${values.target}"`);
    }
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
    const suite = loadSuite(values.suite ? path.resolve(ctx.cwd, values.suite) : DEFAULT_SUITE_FILE, { cwd: ctx.cwd });
    await assertSuiteRunnable(suite);
    const reportsDir = path.resolve(ctx.cwd, values.reports ?? 'reports');
    let config = loadConfig({ cwd: ctx.cwd, environment: ctx.env });
    const targetUrl = values.target ?? config.targetUrl ?? suite.baseUrl;
    if (targetUrl === undefined && values.suite !== undefined && !values.embedded) {
      // The embedded reference target only makes sense for the default suite; your suite needs your API.
      throw new HarnessError('CONFIG_MISSING', `run: no target for suite ${values.suite}: set TARGET_URL, --target, or target.base_url in the suite`, {
        hint: 'e.g. --target http://127.0.0.1:8000 (add --embedded to run it against the bundled reference target on purpose)',
      });
    }
    const embedded = values.embedded || targetUrl === undefined;

    if (!embedded) {
      // CLERK_SECRET_KEY is required for your own target, unless `clerk-harness emulator` runs in this folder.
      config = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env }).config;
    }
    const env = embedded ? await startEmbedded({ cwd: ctx.cwd, log: (l) => ctx.stderr.write(`${l}\n`) }) : undefined;
    try {
      const plan = await buildPlan({
        suite,
        targetUrl: env ? env.targetUrl : targetUrl!,
        clerk: env
          ? env.clerk
          : { apiUrl: config.clerkApiUrl, secretKey: config.clerkSecretKey!, testUserId: config.testUserId, testUserEmail: config.testUserEmail },
        template: suite.template ?? env?.template ?? config.jwtTemplate,
        publicKeyPem: env?.publicKeyPem ?? config.jwtKey,
        failOn: (failOnFlag as (typeof SEVERITIES)[number] | undefined) ?? suite.failOn ?? DEFAULT_FAIL_ON,
      });
      await preflight(plan);
      let started = new Date();
      let lastCode: ExitCode = EXIT.OK;
      /** After each run (each rerun in watch mode): summary, reports, exit code. */
      const finish = async (collector: ResultCollector): Promise<ExitCode> => {
        const finished = new Date();
        const report = reportOfRun(plan, {
          results: collector.results,
          errors: collector.errors,
          started,
          finished,
          suiteFile: path.relative(ctx.cwd, suite.file) || suite.file,
          doctorSuite: values.suite,
        });
        started = new Date();
        if (report.summary.total === 0 && report.errors.length === 0) {
          throw new HarnessError('USAGE', `run: no test matched${values.filter ? ` the filter "${values.filter}"` : ''}`, {
            hint: 'test names are "<endpoint name> <case id>", e.g. -t "create job alg-none" or -t "alg-none"',
          });
        }
        const files = await writeReports(report, reportsDir);
        const rel = (f: string) => path.relative(ctx.cwd, f) || f;
        ctx.stdout.write(
          renderTerminalSummary(report, useColor(ctx.stdout, ctx.env), [files.junit, files.json, files.markdown, files.html].map(rel)),
        );
        if (ctx.env.GITHUB_STEP_SUMMARY) {
          const { appendFile, readFile } = await import('node:fs/promises');
          await appendFile(ctx.env.GITHUB_STEP_SUMMARY, await readFile(files.markdown, 'utf8'));
        }
        lastCode = report.status === 'passed' ? EXIT.OK : report.status === 'failed' ? EXIT.FINDINGS : EXIT.USAGE;
        return lastCode;
      };
      const vitestOptions = { reportsDir, testNamePattern: values.filter, liveReporter: values.reporter, stdout: ctx.stdout, stderr: ctx.stderr };
      if (!values.watch) return await finish(await runPlanWithVitest(plan, vitestOptions));

      const triggers = (values['watch-path'] ?? ['.env.local', '.env']).map((p) => path.resolve(ctx.cwd, p));
      const run = await startPlan(plan, {
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
      await env?.stop();
    }
  },
};
export default command;
