/**
 * How many cases are in flight at once. Expected before running: without an audit log, against
 * the emulator, up to CONCURRENCY.emulator (32) requests reach the target together, never more;
 * against real Clerk the width stays 8 (every case mints through the Backend API, under its rate
 * limit); with an audit log the windows are up to 128 wide. The same width holds through
 * `clerk-harness run`, whose vitest worker starts before the plan exists and takes its limits
 * from the plan once it arrives (src/suite/plan-channel.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { buildPlan } from '../src/suite/build-plan.js';
import { AUDITED_CONCURRENCY, CONCURRENCY, concurrencyOf, testTimeoutOf } from '../src/suite/limits.js';
import { loadSuite } from '../src/suite/load.js';
import { runPlan } from '../src/suite/run-suite.js';
import { runCli } from './helpers/cli.js';

let emulator: Emulator;
let target: Server;
let targetUrl: string;
let dir: string;
let inFlight = 0;
let peak = 0;

beforeAll(async () => {
  emulator = await startEmulator({});
  // Holds every request 25 ms, so requests sent together are seen together; refuses them all.
  target = createServer((req, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    req.resume().on('end', () =>
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"Invalid token"}');
      }, 25),
    );
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  dir = mkdtempSync(path.join(tmpdir(), 'run-concurrency-'));
});
afterAll(async () => {
  await new Promise((resolve) => target?.close(resolve));
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('cases in flight at once', () => {
  it('without an audit log, against the emulator: up to 32 requests reach the target together, never more', async () => {
    const endpoints = Array.from({ length: 3 }, (_, i) => [`  - name: e${i}`, '    method: GET', '    path: /jobs']).flat();
    const file = path.join(dir, 'suite.yaml');
    writeFileSync(file, ['name: concurrency', 'audit: false', 'endpoints:', ...endpoints, ''].join('\n'));
    const suite = loadSuite(file, { cwd: dir });
    const plan = await buildPlan({ suite, targetUrl, clerk: { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'concurrency@example.com' }, publicKeyPem: emulator.currentKey().publicPem, failOn: 'low' });
    expect(plan.mode).toBe('emulator');
    peak = 0;
    const report = await runPlan(plan);
    expect(report.results.length).toBeGreaterThan(CONCURRENCY.emulator);
    expect(peak).toBeLessThanOrEqual(CONCURRENCY.emulator);
    expect(peak).toBeGreaterThan(CONCURRENCY.clerk);
  });

  it('through `clerk-harness run` (vitest, the plan sent to a worker already started): the same width', async () => {
    const endpoints = Array.from({ length: 3 }, (_, i) => [`  - name: e${i}`, '    method: GET', '    path: /jobs']).flat();
    writeFileSync(path.join(dir, 'cli.yaml'), ['name: concurrency', 'audit: false', 'endpoints:', ...endpoints, ''].join('\n'));
    peak = 0;
    const r = await runCli(['run', '--suite', 'cli.yaml', '--target', targetUrl, '--reports', 'reports', '--json'], {
      cwd: dir,
      env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey },
    });
    const report = JSON.parse(r.stdout) as { mode: string; results: unknown[] };
    expect(report.mode, r.stderr).toBe('emulator');
    expect(report.results.length).toBeGreaterThan(CONCURRENCY.emulator);
    expect(peak).toBeLessThanOrEqual(CONCURRENCY.emulator);
    expect(peak).toBeGreaterThan(CONCURRENCY.clerk);
  });

  it('the width by mode and audit log', () => {
    expect(concurrencyOf({ mode: 'emulator', suite: { audit: false } })).toBe(32);
    expect(concurrencyOf({ mode: 'clerk', suite: { audit: false } })).toBe(8);
    const audit = loadSuite(writeAudited(), { cwd: dir }).audit;
    expect(audit).toBeDefined();
    for (const mode of ['emulator', 'clerk'] as const) expect(concurrencyOf({ mode, suite: { audit } })).toBe(AUDITED_CONCURRENCY[mode]);
    expect(AUDITED_CONCURRENCY.clerk).toBe(128);
  });

  it('the test timeout: three request timeouts and 10 s, at least 30 s; a minute more against real Clerk', () => {
    expect(testTimeoutOf({ mode: 'emulator', suite: { timeoutMs: 5000 } })).toBe(30_000);
    expect(testTimeoutOf({ mode: 'emulator', suite: { timeoutMs: 20_000 } })).toBe(70_000);
    expect(testTimeoutOf({ mode: 'clerk', suite: { timeoutMs: 5000 } })).toBe(90_000);
  });

  it('with an audit log, one request timeout more for each round of sends a window ahead may take', () => {
    const audit = loadSuite(writeAudited(), { cwd: dir }).audit;
    // 512 cases under way against the emulator, sent 128 at a time: 4 rounds of 5 s.
    expect(testTimeoutOf({ mode: 'emulator', suite: { timeoutMs: 5000, audit } })).toBe(30_000 + 4 * 5000);
    // 128 against real Clerk: one round, and the minute for the expired token.
    expect(testTimeoutOf({ mode: 'clerk', suite: { timeoutMs: 5000, audit } })).toBe(30_000 + 5000 + 60_000);
  });
});

function writeAudited(): string {
  const file = path.join(dir, 'audited.yaml');
  writeFileSync(file, ['name: audited', 'audit:', '  path: logs/audit.jsonl', 'endpoints:', '  - { name: e, method: GET, path: /jobs }', ''].join('\n'));
  return file;
}
