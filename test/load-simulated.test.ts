/**
 * The load test: 90 s against the reference target with 30 s emulator tokens, including a
 * 429 storm from the emulator's fault injection, compressed in time instead of slept through.
 *
 * Scaling: the test process's Date runs SCALE (10) times faster than wall time, and so does the
 * supply's clock (scaledClock: its timers last ms / SCALE). Everything that reads time reads that
 * one virtual clock: the emulator stamps iat/exp with it (`expires_in_seconds: 30`, exactly what
 * the Backend API route accepts), the reference target's @clerk/backend verifyToken checks exp
 * (and its 5 s skew) against it, the audit line's timestamp comes from it, and the supply measures
 * ages, refresh times, the mint-rate window and Retry-After on it. So 9 s of wall-clock load is 90
 * virtual seconds: three token lifetimes, about seven refreshes per user, every age and rate
 * measured in the same seconds a real 90 s run would see. Only latencies are wall-clock (they are
 * not under test here).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { createIdentities } from '../src/load/identities.js';
import { scaledClock } from '../src/load/clock.js';
import { peakInWindow } from '../src/load/rate-limit.js';
import { runLoad } from '../src/load/run-load.js';
import { TokenSupply, type SupplyEvent } from '../src/load/token-supply.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget } from '../src/target/types.js';

const SCALE = 10;
const RealDate = Date;

/** Replace the global Date with one whose "now" runs SCALE× faster from this moment on. */
function installScaledDate(scale: number): () => void {
  const realStart = RealDate.now();
  const perfStart = performance.now();
  const virtualNow = () => realStart + (performance.now() - perfStart) * scale;
  class ScaledDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(virtualNow());
      else super(...(args as [number]));
    }
    static now(): number {
      return Math.floor(virtualNow());
    }
  }
  globalThis.Date = ScaledDate as DateConstructor;
  return () => void (globalThis.Date = RealDate);
}

describe('load: 90 virtual seconds, 30 s tokens, a 429 storm (time compressed 10×)', () => {
  let restoreDate: () => void;
  let emulator: Emulator;
  let target: ReferenceTarget;
  let auditDir: string;

  beforeAll(async () => {
    restoreDate = installScaledDate(SCALE);
    auditDir = mkdtempSync(path.join(tmpdir(), 'load-sim-'));
    emulator = await startEmulator();
    target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, issuer: emulator.issuer, auditDir });
  });

  afterAll(async () => {
    await target?.stop();
    await emulator?.stop();
    restoreDate?.();
    rmSync(auditDir, { recursive: true, force: true });
  });

  it('keeps every request authorized with tokens younger than 25 s, under the mint limit, through the storm', { timeout: 60_000 }, async () => {
    const clock = scaledClock(SCALE);
    const events: SupplyEvent[] = [];
    const identities = await createIdentities({
      apiUrl: emulator.url,
      secretKey: emulator.secretKey,
      users: 2,
      testUserEmail: 'load-sim+clerk_test@example.com',
      mint: { expiresInSeconds: 30 },
    });
    const limit = { calls: 10, perMs: 10_000 };
    const supply = new TokenSupply({ identities, clock, rateLimit: limit, onEvent: (e) => events.push(e) });
    await supply.ready();
    const virtualStart = Date.now();

    // The storm: at virtual 40 s, the next 4 token mints answer 429 with Retry-After: 2 (8 s of refusals).
    const storm = setTimeout(() => {
      emulator.injectFault({ status: 429, count: 4, retryAfterSeconds: 2, pathPattern: '^/v1/sessions/[^/]+/tokens' });
    }, 40_000 / SCALE);
    const body = readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'job.json'));
    const report = await runLoad({
      target: { url: `${target.url}/jobs`, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body, acceptedStatus: [201] },
      supply,
      clock,
      durationMs: 90_000 / SCALE,
      connections: 4,
      rate: 150,
      timeoutMs: 30_000,
    });
    clearTimeout(storm);
    supply.stop();
    const virtualElapsed = Date.now() - virtualStart;

    expect(virtualElapsed).toBeGreaterThanOrEqual(90_000);
    expect(report.requests.completed).toBeGreaterThan(500);
    // Every request authorized: no refusal at all, so in particular 0 expired-token answers.
    expect(report.statuses).toEqual({ '201': report.requests.completed });
    expect(report.requests.transportErrors).toBe(0);
    expect(report.tokens.expiredTokenAnswers).toBe(0);
    expect(report.tokens.sentWithoutToken).toBe(0);
    // Lifetime from the token itself (exp - iat = 30 s), max age 5/6 of it.
    expect(report.tokens.lifetimeMs).toBe(30_000);
    expect(report.tokens.maxAgeMs).toBe(25_000);
    expect(report.tokens.maxAgeAtSendMs).toBeLessThan(25_000);
    // Tokens were really replaced, many times: more than three lifetimes went by.
    expect(report.tokens.minted).toBeGreaterThanOrEqual(2 * 6);
    // Minting stayed under the configured limit in every 10 s window (429'd attempts included).
    const calls = supply.stats().callTimes;
    expect(peakInWindow(calls, limit.perMs)).toBeLessThanOrEqual(limit.calls);
    expect(report.tokens.peakCallsInWindow).toBeLessThanOrEqual(limit.calls);
    // The storm happened and was waited out for its Retry-After.
    const limited = events.filter((e) => e.type === 'rate-limited');
    expect(limited).toHaveLength(4);
    expect(limited.every((e) => e.type === 'rate-limited' && e.waitMs === 2000)).toBe(true);
    expect(report.status).toBe('passed');

    // What the target saw: one audit line per accepted request, each token younger than 25 s
    // when it arrived (audit timestamp on the same virtual clock, iat whole seconds).
    const jobs = path.join(auditDir, 'jobs');
    const lines = readdirSync(jobs).flatMap((f) => readFileSync(path.join(jobs, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l) as { timestamp: string; token_iat: number });
    // (requests still in flight when the load stopped were served and audited but never counted as answered)
    expect(lines.length).toBeGreaterThanOrEqual(report.requests.accepted);
    expect(lines.length).toBeLessThanOrEqual(report.requests.sent);
    const oldestSeen = Math.max(...lines.map((l) => new RealDate(l.timestamp).getTime() - l.token_iat * 1000));
    expect(oldestSeen).toBeLessThan(25_000 + 1000 /* iat is floored to the second */);
  });
});
