#!/usr/bin/env node
/**
 * Requests/s of `clerk-harness load` against plain autocannon with one static token, side by side
 * (needs `npm run build`):
 *   node bench/load.bench.mjs [--seconds S] [--rounds R] [--warmup W] [--connections C]
 *
 * One emulator in this process, the reference target in a child process (`clerk-harness target`,
 * networkless verification with the emulator's PEM), and two endpoints:
 *   POST /jobs    verifies the token and writes an audit line (what a real load test hits)
 *   GET /health   no verification: the target is nearly free, so the harness's own per-request
 *                 cost (fresh token check, latency histogram, refusal capture) shows most
 * For each endpoint, R rounds of two phases of S seconds each, the order rotating every round
 * (A B, B A, A B, ...),
 * after W warm-up rounds that are run the same way and discarded:
 *   harness   runLoad() with a token supply (what `clerk-harness load` runs)
 *   plain     autocannon with `Authorization: Bearer <one token minted before the phase>`
 * It prints req/s (median and min–max over rounds) and the ratio of the medians. Asserts nothing;
 * the machine may be shared, so read the spread before the ratio.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
if (!existsSync(path.join(ROOT, 'dist', 'load', 'run-load.js'))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const { startEmulator, createTokenSource } = await import(dist('index.js'));
const { runLoad } = await import(dist('load/run-load.js'));
const { startTokenSupply } = await import(dist('load/supply-from-config.js'));

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SECONDS = flag('--seconds', 3);
const ROUNDS = flag('--rounds', 4);
const CONNECTIONS = flag('--connections', 10);
const WARMUP = flag('--warmup', 1);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function startTarget(envFile, auditDir) {
  const child = spawn(process.execPath, ['--', path.join(ROOT, 'bin', 'clerk-harness.js'), 'target', '--env-file', envFile, '--audit-dir', auditDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGINT'))) });
    });
    child.once('exit', (code) => reject(new Error(`target exited (${code}) before listening`)));
  });
}

function plainPhase(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    autocannon({ url, method, headers, body, connections: CONNECTIONS, duration: SECONDS }, (err, res) => (err ? reject(err) : resolve(res.requests.total / res.duration)));
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'load-bench-'));
const emulator = await startEmulator();
const envFile = path.join(dir, 'target.env');
const env = emulator.env();
writeFileSync(envFile, Object.entries({ CLERK_API_URL: env.CLERK_API_URL ?? emulator.url, CLERK_JWT_KEY: emulator.currentKey().publicPem.replace(/\n/g, '\\n'), CLERK_ISSUER: emulator.issuer }).map(([k, v]) => `${k}="${v}"`).join('\n') + '\n');
const target = await startTarget(envFile, path.join(dir, 'audit'));
const supply = await startTokenSupply({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'bench+clerk_test@example.com' });
const source = await createTokenSource({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'bench+clerk_test@example.com' });
try {
  const job = readFileSync(path.join(ROOT, 'fixtures', 'job.json'));
  const endpoints = [
    { name: 'POST /jobs', method: 'POST', path: '/jobs', body: job, accepted: [201] },
    { name: 'GET /health', method: 'GET', path: '/health', body: undefined, accepted: [200] },
  ];
  process.stdout.write(`load bench: ${ROUNDS} rounds (+${WARMUP} warm-up) × 2 phases of ${SECONDS} s, ${CONNECTIONS} connections, node ${process.version}, ${cpus().length} CPU(s)\n`);
  for (const ep of endpoints) {
    const url = `${target.url}${ep.path}`;
    const headers = { accept: 'application/json', ...(ep.body ? { 'content-type': 'application/json' } : {}) };
    const phases = {
      harness: async () => {
        const r = await runLoad({ target: { url, method: ep.method, headers, body: ep.body, acceptedStatus: ep.accepted }, supply, durationMs: SECONDS * 1000, connections: CONNECTIONS });
        if (r.requests.notAccepted || r.tokens.sentWithoutToken) throw new Error(`harness phase had refusals: ${JSON.stringify(r.statuses)}`);
        return r.requests.completed / (r.durationMs / 1000);
      },
      plain: async () => {
        const { token } = await source.mint();
        return plainPhase(url, ep.method, { ...headers, authorization: `Bearer ${token}` }, ep.body);
      },
    };
    const results = { harness: [], plain: [] };
    const ratios = [];
    for (let round = -WARMUP; round < ROUNDS; round++) {
      const order = (round + WARMUP) % 2 === 0 ? ['harness', 'plain'] : ['plain', 'harness'];
      const got = {};
      for (const name of order) got[name] = await phases[name]();
      if (round < 0) continue;
      results.harness.push(got.harness);
      results.plain.push(got.plain);
      ratios.push(got.harness / got.plain);
    }
    const line = (name) => `${median(results[name]).toFixed(0).padStart(7)} req/s  (min–max ${Math.min(...results[name]).toFixed(0)}–${Math.max(...results[name]).toFixed(0)})`;
    process.stdout.write(`\n${ep.name}\n  harness (clerk-harness load)     ${line('harness')}\n  plain autocannon, static token   ${line('plain')}\n`);
    process.stdout.write(`  ratio harness/plain: ${(median(results.harness) / median(results.plain)).toFixed(2)} (per-round ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal ≥ 0.90)\n`);
  }
  const s = supply.stats();
  process.stdout.write(`\ntoken supply: ${s.minted} token(s) minted, peak ${s.peakCallsInWindow} Backend API calls per ${s.limit.perMs / 1000} s\n`);
} finally {
  supply.stop();
  await target.stop();
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
}
