#!/usr/bin/env node
/**
 * The emulator's token endpoint under load, side by side with what bounds it (needs the built
 * emulator: `npm run build`, or --emulator PATH to another build of src/emulator/index.ts):
 *
 *   node bench/emulator.bench.mjs [--rounds 6] [--duration 4] [--connections 4] [--emulator dist/emulator/index.js]
 *
 * Three HTTP servers, each in its own process (so the load generator never shares their event
 * loop), driven by autocannon in this process with the same load:
 *   emulator   POST /v1/sessions/{id}/tokens (the route every test's mint calls)
 *   bare-sign  a bare node:http server signing one RS256 JWT per request with node:crypto
 *   oauth2     oauth2-mock-server's POST /token (client_credentials), a third reference
 * Phases are interleaved A B C, B C A, C A B, ... (rotated each round); the table shows the median
 * and min–max req/s per phase, the emulator/bare-sign ratio per round, and the crypto.sign rate of
 * one core measured in the same run (the physical limit of any RS256 token server), and each
 * server's own CPU time per request (process.cpuUsage in the server process), which stays
 * comparable when other work shares the machine. Never asserts.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

// ---- server roles (children) ----------------------------------------------------------------
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function serveBareSign() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const header = b64({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT' });
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const iat = Math.floor(Date.now() / 1000);
    const payload = b64({ exp: iat + 60, iat, iss: 'http://127.0.0.1', jti: randomBytes(10).toString('hex'), sid: 'sess_bench', sub: 'user_bench', v: 2 });
    const input = `${header}.${payload}`;
    const jwt = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const body = `{"object":"token","jwt":"${jwt}"}`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  // The same request the emulator gets (a bearer secret key, a JSON content type, no body); the
  // bare server just ignores them.
  const headers = { authorization: `Bearer sk_test_${randomBytes(30).toString('base64url')}`, 'content-type': 'application/json' };
  return { url: `http://127.0.0.1:${server.address().port}/v1/sessions/sess_bench/tokens`, method: 'POST', headers };
}

async function serveEmulator(modulePath) {
  const { startEmulator } = await import(pathToFileURL(modulePath).href);
  const emu = await startEmulator({});
  const headers = { authorization: `Bearer ${emu.secretKey}`, 'content-type': 'application/json' };
  const post = async (p, body) => (await fetch(emu.url + p, { method: 'POST', headers, body: JSON.stringify(body) })).json();
  const user = await post('/v1/users', { email_address: ['bench+clerk_test@example.com'] });
  const session = await post('/v1/sessions', { user_id: user.id });
  // What @clerk/backend sends on getToken: POST, JSON content type, no body.
  return { url: `${emu.url}/v1/sessions/${session.id}/tokens`, method: 'POST', headers };
}

async function serveOauth2() {
  const { OAuth2Server } = await import('oauth2-mock-server');
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  return {
    url: `${server.issuer.url}/token`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=api',
  };
}

/** One core's crypto.sign rate (RS256, 2048-bit) for `ms` milliseconds. */
function signRate(ms) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.from('x'.repeat(300));
  for (let i = 0; i < 50; i++) sign('sha256', data, privateKey);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    sign('sha256', data, privateKey);
    n++;
  }
  return (n / (performance.now() - start)) * 1000;
}

// ---- driver -----------------------------------------------------------------------------------
function child(args) {
  const proc = fork(SELF, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (m) => resolve({ proc, ...m }));
    proc.once('exit', (code) => reject(new Error(`bench child ${args.join(' ')} exited ${code}`)));
  });
}

async function measureSignRate(ms) {
  const { rate } = await child(['--sign-rate', String(ms)]);
  return rate;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const rounds = Number(arg('rounds', 6));
  const duration = Number(arg('duration', 4));
  const connections = Number(arg('connections', 4));
  const modulePath = path.resolve(arg('emulator', fileURLToPath(new URL('../dist/emulator/index.js', import.meta.url))));
  if (!existsSync(modulePath)) {
    process.stderr.write(`bench: ${modulePath} is missing; run \`npm run build\` first (or pass --emulator)\n`);
    process.exit(2);
  }
  const { default: autocannon } = await import('autocannon');

  const names = ['emulator', 'bare-sign', 'oauth2'];
  const servers = {};
  for (const name of names) servers[name] = await child(['--serve', name, modulePath]);

  /** The server's own CPU time (user + system, µs) so far: per request it is robust to a busy machine. */
  const cpuOf = (name) =>
    new Promise((resolve) => {
      const { proc } = servers[name];
      const on = (m) => {
        if (m && m.cpu) {
          proc.off('message', on);
          resolve(m.cpu.user + m.cpu.system);
        }
      };
      proc.on('message', on);
      proc.send('cpu');
    });

  const load = async (name, seconds) => {
    const t = servers[name].ready;
    const cpu0 = await cpuOf(name);
    const r = await autocannon({ url: t.url, method: t.method, headers: t.headers, body: t.body, connections, duration: seconds, pipelining: 1 });
    const cpu = (await cpuOf(name)) - cpu0;
    if (r.non2xx || r.errors || r.timeouts) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    return { rate: r.requests.total / (r.duration || seconds), cpuPerRequest: cpu / Math.max(1, r.requests.total) };
  };

  for (const name of names) await load(name, 1); // warm up: JIT, keep-alive pools, caches
  const signRates = [await measureSignRate(1000)];
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const got = {};
    for (const name of order) got[name] = await load(name, duration);
    for (const name of names) {
      results[name].push(got[name].rate);
      cpu[name].push(got[name].cpuPerRequest);
    }
    ratios.push(got.emulator.rate / got['bare-sign'].rate);
    process.stderr.write(`round ${round + 1}/${rounds} [${order.join(' ')}]: ${names.map((n) => `${n} ${got[n].rate.toFixed(0)}/s ${got[n].cpuPerRequest.toFixed(0)}µs`).join(', ')}\n`);
  }
  signRates.push(await measureSignRate(1000));
  for (const s of Object.values(servers)) s.proc.send('stop');

  const bare = median(results['bare-sign']);
  const cpus = os.cpus();
  console.log(`emulator token endpoint: ${rounds} rounds x ${duration} s per phase, autocannon c=${connections}, Node ${process.version}, ${cpus.length} x ${cpus[0]?.model.trim()}`);
  console.log(`physical limit: crypto.sign RS256-2048 on one core ${signRates.map((r) => r.toFixed(0)).join(' / ')} /s (start / end of run)`);
  const bareCpu = median(cpu['bare-sign']);
  console.log('phase         median req/s   min–max req/s     vs bare-sign   server CPU/request (median, min–max)   vs bare-sign');
  for (const name of names) {
    const xs = results[name];
    const cs = cpu[name];
    console.log(
      `${name.padEnd(12)} ${median(xs).toFixed(0).padStart(13)}   ${`${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`.padEnd(16)}  ${(median(xs) / bare).toFixed(2).padStart(5)}x` +
        `        ${`${median(cs).toFixed(0)} µs (${Math.min(...cs).toFixed(0)}–${Math.max(...cs).toFixed(0)})`.padEnd(28)}  ${(bareCpu / median(cs)).toFixed(2)}x`,
    );
  }
  console.log(`(CPU/request ratio = bare-sign CPU / phase CPU, so above 1 means cheaper than the bare server; it does not depend on how busy the machine is)`);
  console.log(`emulator / bare-sign per round: median ${median(ratios).toFixed(2)}x, min–max ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x`);
  console.log(`emulator / oauth2 (medians): ${(median(results.emulator) / median(results.oauth2)).toFixed(2)}x`);
  process.exit(0);
}

const role = process.argv[2];
if (role === '--serve') {
  const which = process.argv[3];
  const target = which === 'bare-sign' ? await serveBareSign() : which === 'emulator' ? await serveEmulator(process.argv[4]) : await serveOauth2();
  process.send({ ready: target });
  process.on('message', (m) => {
    if (m === 'stop') process.exit(0);
    if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
  });
} else if (role === '--sign-rate') {
  process.send({ rate: signRate(Number(process.argv[3])) });
  process.exit(0);
} else {
  await main();
}
