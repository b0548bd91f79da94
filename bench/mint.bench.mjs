#!/usr/bin/env node
/**
 * Token minting cost, side by side in one run (needs `npm run build`):
 *   node bench/mint.bench.mjs [--n N]
 *
 * Against one in-process emulator, times N tokens each way:
 *   raw-http   POST /v1/sessions/{id}/tokens with fetch (the baseline: the emulator's own cost)
 *   sdk        createTokenSource().mint(): @clerk/backend + retries + decoding, what every test pays
 *   case       a full catalogue case build (mint, mutate, re-sign with the emulator key over HTTP)
 * and prints tokens/s, mean and p95 latency, and the ratio to the baseline. Tests never run this.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../dist/index.js', import.meta.url);
if (!existsSync(fileURLToPath(DIST))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const { startEmulator, createTokenSource, getCase } = await import(DIST.href);
const nArg = process.argv.indexOf('--n');
const N = nArg > 0 ? Number(process.argv[nArg + 1]) : 2000;

const emulator = await startEmulator({});
const source = await createTokenSource({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'bench+clerk_test@example.com' });
const userId = await source.userId();
const session = await (
  await fetch(`${emulator.url}/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId }),
  })
).json();

const phases = {
  'raw-http': async () => {
    const res = await fetch(`${emulator.url}/v1/sessions/${session.id}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${emulator.secretKey}` } });
    const body = await res.json();
    if (!body.jwt) throw new Error('no jwt');
  },
  sdk: async () => {
    await source.mint();
  },
  case: async () => {
    const ctx = { source, mint: (o) => source.mint(o), trustedSigner: source.trustedSigner, nowSeconds: () => Math.floor(Date.now() / 1000) };
    const auth = await getCase('missing-exp').build(ctx);
    if (auth.kind !== 'request') throw new Error(auth.reason);
  },
};

const results = [];
for (const [name, fn] of Object.entries(phases)) {
  for (let i = 0; i < Math.min(100, N); i++) await fn(); // warm up
  const times = [];
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  results.push({ name, perSec: (N / total) * 1000, mean: total / N, p95: times[Math.floor(N * 0.95)] });
}
await emulator.stop();

const base = results[0];
console.log(`mint benchmark: ${N} tokens per phase, Node ${process.version}`);
console.log('phase       tokens/s    mean ms   p95 ms   time vs raw-http');
for (const r of results) {
  console.log(`${r.name.padEnd(10)} ${r.perSec.toFixed(0).padStart(9)} ${r.mean.toFixed(2).padStart(10)} ${r.p95.toFixed(2).padStart(8)}   ${(r.mean / base.mean).toFixed(2)}x`);
}
