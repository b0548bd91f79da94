#!/usr/bin/env node
/**
 * Token minting cost against its limit, side by side (needs `npm run build`):
 *   node bench/mint.bench.mjs [--n N] [--rounds R] [--warmup W]
 *
 * One in-process emulator; R interleaved rounds (after W discarded warm-up rounds; the phase order
 * rotates every round), each phase doing N sequential operations per round:
 *   sign       the limit: one RS256 signature with node's crypto.sign (2048-bit key)
 *   loopback   the limit: one bare undici keep-alive round trip to a node:http server answering 204
 *   raw-http   POST /v1/sessions/{id}/tokens with fetch (the emulator's own cost of a token)
 *   sdk        createTokenSource().mint(): @clerk/backend + retries + decoding, what every test pays
 *   case       a forged catalogue case (missing-exp: mint, mutate, re-sign with the trusted key)
 * and prints µs per operation (median and min–max over rounds), ratios taken inside each round
 * (to raw-http and to sign + loopback, the least a minted token can cost; a forged case at least
 * a mint and one local re-sign). Asserts nothing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interleave, timePerOp } from './lib/interleave.mjs';
import { createSignLimit, startLoopbackLimit } from './lib/limits.mjs';
import { fmtRange, machineLine, pairedRatios, table } from './lib/stats.mjs';

const DIST = new URL('../dist/index.js', import.meta.url);
if (!existsSync(fileURLToPath(DIST))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const { startEmulator, createTokenSource, getCase } = await import(DIST.href);
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const N = flag('--n', 300);
const rounds = flag('--rounds', 7);
const warmup = flag('--warmup', 1);

const emulator = await startEmulator({});
const loopback = await startLoopbackLimit();
const signer = createSignLimit();
try {
  const source = await createTokenSource({ apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'bench+clerk_test@example.com' });
  const userId = await source.userId();
  const session = await (
    await fetch(`${emulator.url}/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId }),
    })
  ).json();
  const ctx = { source, mint: (o) => source.mint(o), trustedSigner: source.trustedSigner, nowSeconds: () => Math.floor(Date.now() / 1000) };
  const missingExp = getCase('missing-exp');

  const ops = {
    sign: () => signer.measure(N),
    loopback: () => loopback.measure(N),
    'raw-http': () =>
      timePerOp(async () => {
        const res = await fetch(`${emulator.url}/v1/sessions/${session.id}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${emulator.secretKey}` } });
        const body = await res.json();
        if (!body.jwt) throw new Error('no jwt');
      }, N),
    sdk: () => timePerOp(() => source.mint(), N),
    case: () =>
      timePerOp(async () => {
        const auth = await missingExp.build(ctx);
        if (auth.kind !== 'request') throw new Error(auth.reason);
      }, N),
  };
  const { samples } = await interleave(ops, { rounds, warmup, log: (l) => process.stderr.write(`${l}\n`) });
  const us = (name) => samples[name].value;
  const limit = us('sign').map((s, i) => s + us('loopback')[i]);
  const caseLimit = us('sign').map((s, i) => 2 * s + us('loopback')[i]); // a mint, then one local re-sign

  console.log(await machineLine());
  console.log(`mint benchmark: ${N} sequential operations per phase per round, ${rounds} rounds after ${warmup} warm-up, order rotated each round`);
  const rows = Object.keys(ops).map((name) => [
    name,
    fmtRange(us(name), 0),
    fmtRange(us(name).map((x) => 1e6 / x), 0),
    fmtRange(pairedRatios(us(name), us('raw-http')), 2),
    fmtRange(pairedRatios(us(name), limit), 2),
  ]);
  rows.push(['sign+loopback', fmtRange(limit, 0), fmtRange(limit.map((x) => 1e6 / x), 0), fmtRange(pairedRatios(limit, us('raw-http')), 2), '1.00']);
  console.log(table(['phase', 'µs/op median (min–max)', 'ops/s', 'time vs raw-http', 'time vs sign+loopback'], rows));
  const r = (a, b) => fmtRange(pairedRatios(us(a), b === 'limit' ? limit : b === 'caseLimit' ? caseLimit : us(b)), 2);
  console.log(`sdk mint vs the raw request it wraps: ${r('sdk', 'raw-http')}×; raw request vs its limit (one sign + one round trip): ${r('raw-http', 'limit')}×`);
  console.log(`forged case vs one sdk mint: ${r('case', 'sdk')}×; vs its limit (a mint and one local re-sign: two signs + one round trip): ${r('case', 'caseLimit')}×`);
} finally {
  await loopback.stop();
  await emulator.stop();
}
