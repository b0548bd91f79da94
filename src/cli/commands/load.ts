/**
 * `clerk-harness load`: argv and wiring only. Drives one endpoint of a suite with autocannon,
 * tokens from the token supply (src/load/), and reports req/s, latency percentiles, the status
 * mix and every refusal by cause; exit 1 when an SLO is missed or the harness failed itself.
 */
import path from 'node:path';
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { SUPPLY_FLAGS, SUPPLY_FLAGS_HELP } from '../../load/supply-flags.js';
import { parseCommandArgs, urlFlag, type Command } from '../command.js';
import { paint, useColor } from '../output.js';

const help = `Usage: clerk-harness load --endpoint NAME [--suite FILE] [--rate N | --connections N] [options]

Drive one endpoint of a suite (its method, path, headers and body) with autocannon for a duration,
every request carrying a token from the token supply: one current token per test user, replaced in
the background before it reaches --max-age, minted under --mint-rate. Reports requests/s, latency
p50/p95/p99/max, the status mix and every answer the endpoint does not accept, split by cause
(the diagnosis catalogue of \`doctor explain\`). A "token expired" answer or a request that had to
go out without a fresh token is a failure of the harness and fails the run.
With no target configured it runs against the embedded emulator + reference target.

Load:
  --suite FILE          suite file (default: suites/reference.yaml)
  --endpoint NAME       the suite endpoint to drive (optional when the suite has one)
  --target URL          base URL of the API (default: TARGET_URL, then the suite's base_url)
  --embedded            use the embedded emulator + reference target even if TARGET_URL is set
  --duration DURATION   how long to drive it: 30s, 2m, ... (default 30s)
  --rate N              overall requests per second (default: as fast as the connections go)
  --connections N       concurrent connections (default 10; at most --rate)
  --timeout DURATION    per-request timeout (default 10s)

SLOs (exit 1 when missed):
  --max-p50, --max-p95, --max-p99 DURATION   latency percentiles, e.g. --max-p99 200ms
  --max-error-rate PERCENT                   answers not accepted + transport errors, e.g. 0.1%
  --min-rps N                                requests per second at least

${SUPPLY_FLAGS_HELP}

Audit:
  --check-audit         afterwards, require exactly one attributed success line per accepted
                        request in the suite's audit log (user_id = sub, token_iat = iat of a
                        token the load sent); exit 1 otherwise

Output:
  --json                print the result (clerk-harness/load@1) as JSON on stdout
  --reports DIR         also write DIR/load.json and DIR/load.md (appended to $GITHUB_STEP_SUMMARY)
  --quiet               no live progress line

Exit codes: 0 every SLO held, 1 an SLO missed or a harness failure (stale/missing tokens),
2 usage or configuration error, target or Clerk unreachable, 3 internal error.

Examples:
  clerk-harness load --endpoint "create job" --rate 200 --duration 60s --max-p99 200ms --max-error-rate 0.1%
  clerk-harness load --suite suites/my-api.yaml --endpoint "list jobs" --connections 50 --users 5 --json`;

const OPTIONS = {
  suite: { type: 'string' },
  endpoint: { type: 'string' },
  target: { type: 'string' },
  embedded: { type: 'boolean' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  timeout: { type: 'string' },
  'max-p50': { type: 'string' },
  'max-p95': { type: 'string' },
  'max-p99': { type: 'string' },
  'max-error-rate': { type: 'string' },
  'min-rps': { type: 'string' },
  json: { type: 'boolean' },
  reports: { type: 'string' },
  quiet: { type: 'boolean' },
  'check-audit': { type: 'boolean' },
  ...SUPPLY_FLAGS,
} as const;

function positive(flag: string, value: string | undefined, max = 1_000_000): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HarnessError('USAGE', `load: --${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

const command: Command = {
  summary: 'load-test one endpoint with always-fresh tokens (req/s, p50/p95/p99, refusals by cause, SLOs)',
  help,
  async run(ctx): Promise<ExitCode> {
    const { values } = parseCommandArgs('load', ctx.argv, OPTIONS);
    const [{ parseDuration, parseFraction }, { supplySettingsFrom, clerkOf }] = await Promise.all([import('../../load/units.js'), import('../../load/supply-flags.js')]);
    urlFlag('load', 'target', values.target);
    const durationMs = values.duration === undefined ? 30_000 : parseDuration('duration', values.duration);
    const rate = positive('rate', values.rate);
    const connections = positive('connections', values.connections, 10_000);
    const timeoutMs = values.timeout === undefined ? 10_000 : parseDuration('timeout', values.timeout);
    const slo = {
      maxP50Ms: values['max-p50'] === undefined ? undefined : parseDuration('max-p50', values['max-p50'], 'ms'),
      maxP95Ms: values['max-p95'] === undefined ? undefined : parseDuration('max-p95', values['max-p95'], 'ms'),
      maxP99Ms: values['max-p99'] === undefined ? undefined : parseDuration('max-p99', values['max-p99'], 'ms'),
      maxErrorRate: values['max-error-rate'] === undefined ? undefined : parseFraction('max-error-rate', values['max-error-rate']),
      minRps: positive('min-rps', values['min-rps']),
    };

    const [{ loadSuite, DEFAULT_SUITE_FILE }, { loadConfig }, { loadClerkSettings }, { startEmbedded }, { pickEndpoint, loadTargetFor }] = await Promise.all([
      import('../../suite/load.js'),
      import('../../config/load.js'),
      import('../../tokens/local-emulator.js'),
      import('../../suite/embedded.js'),
      import('../../load/endpoint.js'),
    ]);
    // Before anything starts: a --reports that cannot hold the reports is said now, not after the load.
    if (values.reports) (await import('../../report/write.js')).assertReportsDirUsable(path.resolve(ctx.cwd, values.reports), values.reports, 'load');
    const suite = loadSuite(values.suite ? path.resolve(ctx.cwd, values.suite) : DEFAULT_SUITE_FILE, { cwd: ctx.cwd });
    const endpoint = pickEndpoint(suite, values.endpoint, { firstByDefault: values.suite === undefined });
    let config = loadConfig({ cwd: ctx.cwd, environment: ctx.env });
    const targetUrl = values.target ?? config.targetUrl ?? suite.baseUrl;
    if (targetUrl === undefined && values.suite !== undefined && !values.embedded) {
      throw new HarnessError('CONFIG_MISSING', `load: no target for suite ${values.suite}: set TARGET_URL, --target, or target.base_url in the suite`, {
        hint: 'e.g. --target http://127.0.0.1:8000 (add --embedded to load the bundled reference target on purpose)',
      });
    }
    const embedded = values.embedded || targetUrl === undefined;
    if (!embedded) config = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env }).config;
    const log = (line: string) => ctx.stderr.write(`${line}\n`);
    const env = embedded ? await startEmbedded({ cwd: ctx.cwd, log: values.quiet ? undefined : log }) : undefined;
    const { startTokenSupply } = await import('../../load/supply-from-config.js');
    const { runLoad } = await import('../../load/run-load.js');
    const { renderLoadTerminal, renderLoadMarkdown, decideStatus } = await import('../../load/report.js');
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    let supply: Awaited<ReturnType<typeof startTokenSupply>> | undefined;
    try {
      const clerk = env ? { ...env.clerk, testUserId: undefined } : clerkOf(config);
      const settings = supplySettingsFrom('load', values, clerk, suite.template ?? env?.template ?? config.jwtTemplate);
      supply = await startTokenSupply(settings);
      const target = loadTargetFor(suite, endpoint, env ? env.targetUrl : targetUrl!);
      const audit = values['check-audit'] ? suite.audit : undefined;
      if (values['check-audit'] && (!audit || !endpoint.audited)) {
        throw new HarnessError('USAGE', `load: --check-audit needs an audit log: ${!audit ? 'the suite has no audit section' : `endpoint "${endpoint.name}" is not audited (audit.endpoints)`}`);
      }
      const { takeAuditCheckpoint, checkLoadAudit } = await import('../../load/audit-check.js');
      const checkpoint = audit ? await takeAuditCheckpoint(audit) : undefined;
      const sentTokens = new Set<string>();
      const live = !values.quiet && Boolean((ctx.stderr as NodeJS.WriteStream).isTTY);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const report = await runLoad({
        target,
        supply,
        durationMs,
        rate,
        connections,
        timeoutMs,
        slo,
        signal: abort.signal,
        meta: { suite: path.relative(ctx.cwd, suite.file) || suite.file, endpoint: endpoint.name },
        onTokenSent: (t) => void sentTokens.add(`${t.sub}:${t.iat}`),
        onProgress: live
          ? (p) => {
              const secs = Math.round(p.elapsedMs / 1000);
              ctx.stderr.write(`\r\u001b[2Kload: ${secs}/${Math.round(durationMs / 1000)} s  ${p.lastSecond} req/s  ${p.completed} answered  ${p.notAccepted} not accepted  ${p.minted} tokens minted${p.sentWithoutToken ? `  ${p.sentWithoutToken} without token` : ''}`);
            }
          : undefined,
      });
      if (live) ctx.stderr.write('\r\u001b[2K');
      if (audit && checkpoint) {
        const inFlight = Math.max(0, report.requests.sent - report.requests.completed - report.requests.transportErrors);
        report.audit = await checkLoadAudit(audit, checkpoint, { accepted: report.requests.accepted, inFlight, tokens: sentTokens });
        report.status = decideStatus(report);
      }
      if (values.reports) {
        const { mkdir, writeFile, appendFile } = await import('node:fs/promises');
        const dir = path.resolve(ctx.cwd, values.reports);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'load.json'), JSON.stringify(report, null, 2) + '\n');
        const md = renderLoadMarkdown(report);
        await writeFile(path.join(dir, 'load.md'), md);
        if (ctx.env.GITHUB_STEP_SUMMARY) await appendFile(ctx.env.GITHUB_STEP_SUMMARY, md);
      }
      ctx.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : renderLoadTerminal(report, paint(useColor(ctx.stdout, ctx.env))));
      return report.status === 'passed' ? EXIT.OK : EXIT.FINDINGS;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      supply?.stop();
      await env?.stop();
    }
  },
};
export default command;
