/**
 * runDoctor: the whole doctor as a function - facts known up front, the tree walked, causes
 * ranked - returning the report as data. The CLI command only parses flags and renders.
 */
import { loadConfig } from '../config/load.js';
import { HarnessError } from '../errors.js';
import { createTokenSource } from '../tokens/clerk-source.js';
import type { TokenSource } from '../tokens/types.js';
import { CHECK_MODULES } from './checks/index.js';
import { loadDiagnostics, type Diagnostics } from './data.js';
import { executeChecks } from './executor.js';
import { rankCauses } from './rank.js';
import type { CheckModule, CheckResult, DoctorOptions, DoctorReport, DoctorSummary, Facts } from './types.js';

export interface RunDoctorInput {
  options: DoctorOptions;
  cwd: string;
  /** The harness's environment (its own config is read from here and cwd's env files). */
  env: NodeJS.ProcessEnv;
  now?: () => number;
  /** Override the harness's token source (tests); default: createTokenSource from loadConfig. */
  tokenSource?: () => Promise<TokenSource>;
  diagnostics?: Diagnostics;
  modules?: ReadonlyMap<string, CheckModule>;
  platform?: NodeJS.Platform;
  onResult?: (r: CheckResult) => void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

/** Needs that are unavailable before anything runs. */
export function initialFacts(options: DoctorOptions, platform: NodeJS.Platform): Facts {
  const unavailable: Facts['unavailable'] = {};
  if (!options.target) {
    unavailable.target = 'no target URL (pass --target or set TARGET_URL)';
    unavailable['local-process'] = 'no target URL';
  } else {
    const host = new URL(options.target).hostname;
    if (!LOOPBACK.has(host)) unavailable['local-process'] = `the target (${host}) does not run on this machine`;
    else if (platform !== 'linux') unavailable['local-process'] = 'finding the server process reads /proc (Linux only)';
  }
  return { unavailable };
}

function memo<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= make();
    p.catch(() => (p = undefined));
    return p;
  };
}

export function harnessTokenSource(cwd: string, env: NodeJS.ProcessEnv): () => Promise<TokenSource> {
  return memo(async () => {
    const config = loadConfig({ cwd, environment: env });
    if (!config.clerkSecretKey) throw new HarnessError('CONFIG_MISSING', 'the harness has no CLERK_SECRET_KEY');
    return createTokenSource({
      apiUrl: config.clerkApiUrl,
      secretKey: config.clerkSecretKey,
      testUserId: config.testUserId,
      testUserEmail: config.testUserEmail,
      // doctor should answer in seconds: one retry, short backoff.
      retry: { attempts: 2, baseDelayMs: 200, maxRetryAfterSeconds: 3 },
    });
  });
}

/**
 * The counts of the report: pass/warn/fail/skip over the checks shown (what the text prints
 * without --verbose), notReached for the skipped checks that are not shown (the tree did not
 * route there, or --only did not ask for them). So pass+warn+fail+skip equals the number of
 * checks with shown: true, and notReached the number of skips with shown: false. Prerequisites
 * --only ran silently are in neither: they are not what the user asked about.
 */
export function summarize(results: CheckResult[]): DoctorSummary {
  const summary: DoctorSummary = { pass: 0, warn: 0, fail: 0, skip: 0, notReached: 0 };
  for (const r of results) {
    if (r.shown) summary[r.status]++;
    else if (r.status === 'skip') summary.notReached++;
  }
  return summary;
}

export async function runDoctor(input: RunDoctorInput): Promise<DoctorReport> {
  const diagnostics = input.diagnostics ?? loadDiagnostics();
  const facts = initialFacts(input.options, input.platform ?? process.platform);
  const results = await executeChecks({
    diagnostics,
    modules: input.modules ?? CHECK_MODULES,
    context: {
      diagnostics,
      cwd: input.cwd,
      options: input.options,
      env: input.env,
      now: input.now ?? Date.now,
      tokenSource: input.tokenSource ?? harnessTokenSource(input.cwd, input.env),
    },
    facts,
    only: input.options.only,
    onResult: input.onResult,
  });
  const shown = results.filter((r) => r.shown);
  const summary = summarize(results);
  const o = input.options;
  return {
    schema: 'clerk-harness/doctor@1',
    ok: summary.fail === 0,
    inputs: {
      envFile: o.envFile,
      target: o.target,
      probe: o.probe,
      endpoint: `${o.endpoint.method} ${o.endpoint.path}`,
      auditDir: o.auditDir,
      tokenSource: facts.harness?.apiUrl,
    },
    summary,
    rootCauses: rankCauses(shown, diagnostics),
    checks: results,
  };
}
