/**
 * `artillery run` (the devDependency, spawned as a user runs it) of the shipped example scenario
 * against the reference target, with the `clerk-harness/artillery` processor minting from the
 * emulator: every request carries a fresh token and is accepted. The phases are shortened with
 * Artillery's own --overrides; the scenario file itself is the one in examples/artillery/. Only
 * Artillery's telemetry client is replaced (test/helpers/offline-artillery.cjs): offline, it holds
 * the exit for ~12 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { startTokenSupply } from '../src/load/supply-from-config.js';
import { startTokensServer, type TokensServer } from '../src/load/tokens-server.js';
import type { TokenSupply } from '../src/load/token-supply.js';
import { startReferenceTarget } from '../src/target/reference.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARTILLERY = path.join(ROOT, 'node_modules', '.bin', 'artillery');
const SCENARIO = path.join(ROOT, 'examples', 'artillery', 'scenario.yml');
const OFFLINE_ARTILLERY = path.join(ROOT, 'test', 'helpers', 'offline-artillery.cjs');

interface ArtilleryReport {
  aggregate: { counters: Record<string, number>; summaries: Record<string, { max: number; count: number }> };
}

function artillery(dir: string, targetUrl: string, env: Record<string, string>): Promise<{ code: number | null; output: string; report: ArtilleryReport }> {
  const out = path.join(dir, `report-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const args = ['run', SCENARIO, '--target', targetUrl, '--overrides', JSON.stringify({ config: { phases: [{ duration: 1, arrivalRate: 4 }] } }), '--output', out];
  return new Promise((resolve, reject) => {
    // cwd is an empty folder: no .env.local of this checkout can leak into the processor.
    // OFFLINE_ARTILLERY stops Artillery's exit-time telemetry post, which retries ~12 s offline.
    const child = spawn(ARTILLERY, args, {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ARTILLERY_DISABLE_TELEMETRY: 'true', CLERK_TELEMETRY_DISABLED: '1', NODE_OPTIONS: `--require ${JSON.stringify(OFFLINE_ARTILLERY)}`, ...env },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, output, report: JSON.parse(readFileSync(out, 'utf8')) as ArtilleryReport });
      } catch (err) {
        reject(new Error(`artillery wrote no report (exit ${code}):\n${output.slice(-3000)}`, { cause: err }));
      }
    });
  });
}

function auditLines(dir: string): Array<{ user_id: string; token_iat: number }> {
  const jobs = path.join(dir, 'jobs');
  return readdirSync(jobs).flatMap((f) => readFileSync(path.join(jobs, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}

function expectAllAuthorized(report: ArtilleryReport): number {
  const c = report.aggregate.counters;
  const requests = c['http.requests'];
  expect(requests).toBeGreaterThan(0);
  // Every request answered 201, none anything else, and each one had a token put on it.
  expect(Object.keys(c).filter((k) => k.startsWith('http.codes.'))).toEqual(['http.codes.201']);
  expect(c['http.codes.201']).toBe(requests);
  expect(c['clerk_harness.tokens_attached']).toBe(requests);
  expect(c['vusers.failed'] ?? 0).toBe(0);
  // No token left older than the default maximum age (50 s of the emulator's 60 s tokens).
  expect(report.aggregate.summaries['clerk_harness.token_age_ms'].max).toBeLessThan(50_000);
  return requests;
}

// The two runs have their own target and audit folder, so they overlap (Artillery's start is slow).
describe.concurrent('artillery run of examples/artillery/scenario.yml with clerk-harness/artillery', () => {
  let emulator: Emulator;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'artillery-'));
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('authorizes every request with a token from a supply inside each Artillery worker', { timeout: 180_000 }, async () => {
    const auditDir = path.join(dir, 'audit-local');
    const target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir });
    try {
      const run = await artillery(dir, target.url, { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey, CLERK_TEST_USER_EMAIL: 'artillery+clerk_test@example.com' });
      expect(run.code, run.output.slice(-2000)).toBe(0);
      const requests = expectAllAuthorized(run.report);
      // The target attributed each of them to the test user, with the token's iat.
      const lines = auditLines(auditDir);
      expect(lines).toHaveLength(requests);
      expect(new Set(lines.map((l) => l.user_id)).size).toBe(1);
      expect(lines.every((l) => l.user_id.startsWith('user_') && Number.isInteger(l.token_iat))).toBe(true);
    } finally {
      await target.stop();
    }
  });

  it('takes its tokens from `tokens serve` when CLERK_HARNESS_TOKENS_URL is set', { timeout: 180_000 }, async () => {
    const auditDir = path.join(dir, 'audit-served');
    const target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir });
    let supply: TokenSupply | undefined;
    let server: TokensServer | undefined;
    try {
      supply = await startTokenSupply({ apiUrl: emulator.url, secretKey: emulator.secretKey, users: 2, testUserEmail: 'served+clerk_test@example.com' });
      server = await startTokensServer(supply);
      // No Clerk settings at all in Artillery's environment: only the tokens endpoint.
      const run = await artillery(dir, target.url, { CLERK_HARNESS_TOKENS_URL: `${server.url}/token` });
      expect(run.code, run.output.slice(-2000)).toBe(0);
      const requests = expectAllAuthorized(run.report);
      const lines = auditLines(auditDir);
      expect(lines).toHaveLength(requests);
      // Round robin over the supply's two users; the tokens all came from the one supply.
      expect(new Set(lines.map((l) => l.user_id)).size).toBe(2);
      expect(supply.stats().minted).toBeLessThanOrEqual(4);
    } finally {
      await server?.stop();
      supply?.stop();
      await target.stop();
    }
  });
});
