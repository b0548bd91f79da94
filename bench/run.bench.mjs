#!/usr/bin/env node
/**
 * How the runner scales, and what a run costs before its first case (needs `npm run build`):
 *   node bench/run.bench.mjs [--endpoints 1,10,20] [--rounds R] [--warmup W] [--fixed-rounds F] [--no-audit-runs] [--in-process]
 *
 * Scaling: suites of 1, 5 and 20 endpoints (POST /jobs under different names) × the whole case
 * catalogue, with the audit log (the reference suite's settings) and with `audit: false`, run with
 * runPlan (the package's own runner, as `clerk-harness run` judges) against the reference target
 * and the bundled emulator. They run in a process of their own beside the runner, as a backend under
 * test does (the README's CI job); --in-process puts them in the runner's process, as `npm start`'s
 * embedded default does. Each run is its own child process, so its peak RSS (the runner's, or with
 * --in-process runner + emulator + target) is its own. Per run: wall
 * time of runPlan, per-case cost, peak RSS; per round: audited/unaudited ratio, and the marginal
 * cost of one more case (largest suite minus smallest, over the cases between them) against the
 * limit measured in the same round: one RS256 crypto.sign plus one bare undici loopback round trip.
 *
 * Fixed cost: a 1-case `clerk-harness run` (the built CLI spawned, against an emulator and target
 * already running) vs a bare `vitest run` of a one-test file with the checkout's vitest, F rounds.
 *
 * Phases interleave (rotated order every round, W warm-up rounds discarded); medians and min–max
 * over rounds; ratios taken inside each round. Asserts nothing: read it, quote it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave } from './lib/interleave.mjs';
import { fmtRange, machineLine, pairedRatios, table } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const JOB_BODY = path.join(ROOT, 'fixtures', 'job.json');
const BIN = path.join(ROOT, 'bin', 'clerk-harness.js');
const VITEST = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};

/** A suite file as a user writes one: `endpoints` × the catalogue, with or without the audit log. */
function writeSuite(dir, endpoints, { audit, include } = {}) {
  const lines = [
    `name: bench ${endpoints} endpoint${endpoints === 1 ? '' : 's'}`,
    'target:',
    '  base_url: ${TARGET_URL}',
    '  timeout_ms: 5000',
    'defaults:',
    '  rejected_status: 401',
    'endpoints:',
    ...Array.from({ length: endpoints }, (_, i) => [
      `  - name: create job ${i + 1}`,
      '    method: POST',
      '    path: /jobs',
      `    body: ${JSON.stringify(JOB_BODY)}`,
      '    accepted_status: 201',
    ]).flat(),
    ...(include ? ['cases:', `  include: [${include.join(', ')}]`] : []),
    // the reference suite's audit settings (suites/reference.yaml); base_dir = the run's cwd
    ...(audit ? ['audit:', '  path: logs/audit/jobs/audit_{YYYYMMDD}.jsonl', '  wait_ms: 2000', '  timestamp_tolerance_ms: 5000'] : ['audit: false']),
    'fail_on: low',
  ];
  const file = path.join(dir, 'suite.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The emulator + reference target in their own process (bench/lib/embedded-server.mjs). */
async function startServers(cwd) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/embedded-server.mjs', import.meta.url)), cwd], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`bench servers exited (${code}) before listening`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { ...JSON.parse(line), stop: async () => { child.stdin.end(); await exited; } };
}

// ---- child: one scaling run in a fresh process; prints one JSON line ----
if (args[0] === '--child') {
  const endpoints = Number(args[1]);
  const audit = args[2] === 'audit';
  const inProcess = args[3] === 'in-process';
  const cwd = mkdtempSync(path.join(tmpdir(), 'clerk-harness-bench-run-'));
  try {
    const { loadSuite } = await import(dist('suite/load.js'));
    const { buildPlan } = await import(dist('suite/build-plan.js'));
    const { runPlan } = await import(dist('suite/run-suite.js'));
    const embedded = inProcess ? await (await import(dist('suite/embedded.js'))).startEmbedded({ cwd }) : await startServers(cwd);
    try {
      const suite = loadSuite(writeSuite(cwd, endpoints, { audit }), { cwd });
      const p0 = performance.now();
      const plan = await buildPlan({ suite, targetUrl: embedded.targetUrl, clerk: embedded.clerk, template: embedded.template, publicKeyPem: embedded.publicKeyPem, failOn: 'low' });
      const planMs = performance.now() - p0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const report = await runPlan(plan);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const verdicts = {};
      for (const r of report.results) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
      process.stdout.write(JSON.stringify({
        endpoints, audit, planMs, wallMs, cpuMs: (cpu.user + cpu.system) / 1000,
        jobs: report.results.length, ran: report.results.length - (verdicts.skip ?? 0), verdicts, status: report.status,
        maxRssMB: process.resourceUsage().maxRSS / 1024,
      }) + '\n');
    } finally {
      await embedded.stop();
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  process.exit(0);
}

function spawnTimed(argv, options = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err, ms: performance.now() - t0 }));
  });
}

async function scalingRun(endpoints, audit) {
  const r = await spawnTimed([fileURLToPath(import.meta.url), '--child', String(endpoints), audit ? 'audit' : 'plain', inProcessServers ? 'in-process' : 'separate']);
  if (r.code !== 0) throw new Error(`run ${endpoints}/${audit ? 'audit' : 'plain'} failed (${r.code}): ${r.err}`);
  return JSON.parse(r.out.trim().split('\n').pop());
}

// ---- parent ----
const endpointCounts = String(flag('--endpoints', '1,10,20')).split(',').map(Number);
const rounds = Number(flag('--rounds', 3));
const warmup = Number(flag('--warmup', 0));
const fixedRounds = Number(flag('--fixed-rounds', 5));
const withAudit = !args.includes('--no-audit-runs');
// Default: the emulator + target in a process of their own, as a backend under test is; --in-process: all in the runner's.
const inProcessServers = args.includes('--in-process');
const log = (l) => process.stderr.write(`${l}\n`);

// Loaded by the parent only: the limits load all of undici (its Pool), which a --child run must not
// pay for or have in its process (it would be the global dispatcher the runner's requests then use).
const { createSignLimit, startLoopbackLimit } = await import('./lib/limits.mjs');
const { startEmulator, startReferenceTarget } = await import(dist('index.js'));
const emulator = await startEmulator({});
const work = mkdtempSync(path.join(tmpdir(), 'clerk-harness-bench-fixed-'));
const target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir: path.join(work, 'logs', 'audit') });
const signer = createSignLimit();
const loopback = await startLoopbackLimit();
const details = {};
try {
  console.log(await machineLine());

  // ---- scaling ----
  const phases = {
    limit: async () => {
      const sign = signer.measure(200);
      const rtt = await loopback.measure(500);
      return { sign, rtt, sum: sign + rtt };
    },
  };
  for (const n of endpointCounts) {
    for (const audit of withAudit ? [false, true] : [false]) {
      const name = `${audit ? 'audit' : 'plain'}-${n}`;
      phases[name] = async () => {
        const r = await scalingRun(n, audit);
        details[name] ??= r;
        return { wall: r.wallMs, perCase: (r.wallMs * 1000) / r.ran, rss: r.maxRssMB, plan: r.planMs, cpu: r.cpuMs, ran: r.ran };
      };
    }
  }
  const scale = await interleave(phases, { rounds, warmup, log });
  const S = scale.samples;
  console.log(`\nscaling: runPlan over endpoints × catalogue, ${inProcessServers ? 'emulator + reference target in the runner\'s process' : 'emulator + reference target in a process of their own'}, ${rounds} rounds (${warmup} warm-up), order rotated each round, one child process per run`);
  const runNames = Object.keys(phases).filter((n) => n !== 'limit');
  console.log(table(
    ['suite', 'cases run', 'wall s', 'per case ms', 'peak RSS MB', 'cpu s', 'buildPlan ms', 'verdicts (first round)'],
    runNames.map((n) => [
      n, String(details[n].ran), fmtRange(S[n].wall.map((x) => x / 1000), 2), fmtRange(S[n].perCase.map((x) => x / 1000), 2),
      fmtRange(S[n].rss, 0), fmtRange(S[n].cpu.map((x) => x / 1000), 2), fmtRange(S[n].plan, 0),
      `${details[n].status}: ${Object.entries(details[n].verdicts).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    ]),
  ));
  const L = S.limit;
  console.log(`limit (same rounds): one RS256 crypto.sign ${fmtRange(L.sign, 0)} µs + one undici loopback round trip ${fmtRange(L.rtt, 0)} µs = ${fmtRange(L.sum, 0)} µs`);
  if (withAudit) {
    for (const n of endpointCounts) console.log(`audited / unaudited wall, ${n} endpoint${n === 1 ? '' : 's'}: ${fmtRange(pairedRatios(S[`audit-${n}`].wall, S[`plain-${n}`].wall), 2)}×`);
  }
  if (endpointCounts.length > 1) {
    const lo = Math.min(...endpointCounts);
    const hi = Math.max(...endpointCounts);
    for (const kind of withAudit ? ['plain', 'audit'] : ['plain']) {
      const a = S[`${kind}-${lo}`];
      const b = S[`${kind}-${hi}`];
      const marginal = b.wall.map((w, i) => ((w - a.wall[i]) * 1000) / (b.ran[i] - a.ran[i])); // µs per extra case
      console.log(`marginal cost per case, ${kind === 'plain' ? 'without' : 'with'} audit (${hi} vs ${lo} endpoints): ${fmtRange(marginal.map((x) => x / 1000), 2)} ms = ${fmtRange(pairedRatios(marginal, L.sum), 1)}× the limit`);
    }
  }

  // ---- fixed cost ----
  const suite1 = writeSuite(work, 1, { audit: false, include: ['valid-session-token'] });
  const vdir = mkdtempSync(path.join(tmpdir(), 'clerk-harness-bench-vitest-'));
  writeFileSync(path.join(vdir, 'one.test.mjs'), "test('one', () => { expect(1).toBe(1); });\n");
  writeFileSync(path.join(vdir, 'vitest.config.mjs'), "export default { test: { include: ['one.test.mjs'], globals: true } };\n");
  const env = { PATH: process.env.PATH, NO_COLOR: '1', CLERK_TELEMETRY_DISABLED: '1', CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey };
  const fixedPhases = {
    'cli-1-case': async () => {
      const r = await spawnTimed(['--', BIN, 'run', '--suite', suite1, '--target', target.url, '--reports', path.join(work, 'reports')], { cwd: work, env });
      if (r.code !== 0) throw new Error(`clerk-harness run exited ${r.code}: ${r.out}\n${r.err}`);
      return r.ms;
    },
    'vitest-1-test': async () => {
      const r = await spawnTimed([VITEST, 'run', '--root', vdir, '--config', path.join(vdir, 'vitest.config.mjs')], { cwd: vdir, env: { PATH: process.env.PATH, NO_COLOR: '1' } });
      if (r.code !== 0) throw new Error(`vitest run exited ${r.code}: ${r.out}\n${r.err}`);
      return r.ms;
    },
    'node-empty': async () => (await spawnTimed(['-e', '0'])).ms,
  };
  const fixed = await interleave(fixedPhases, { rounds: fixedRounds, warmup: 1, log });
  rmSync(vdir, { recursive: true, force: true });
  const F = fixed.samples;
  console.log(`\nfixed cost: wall of one spawned process, ${fixedRounds} rounds (1 warm-up), order rotated each round`);
  console.log(table(['command', 'wall ms median (min–max)', 'vs vitest-1-test'], Object.keys(fixedPhases).map((n) => [n, fmtRange(F[n].value, 0), fmtRange(pairedRatios(F[n].value, F['vitest-1-test'].value), 2)])));
  console.log(`1-case clerk-harness run vs a bare vitest run of a one-test file: ${fmtRange(pairedRatios(F['cli-1-case'].value, F['vitest-1-test'].value), 2)}×`);
} finally {
  await loopback.stop();
  await target.stop();
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
}
