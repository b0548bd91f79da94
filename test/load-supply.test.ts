/**
 * The token supply on a manual clock (no real time passes): fake identities mint tokens stamped
 * with that clock, so every age, refresh, rate-limit window and Retry-After is exact.
 */
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../src/errors.js';
import type { Clock } from '../src/load/clock.js';
import { peakInWindow, SlidingWindowLimiter } from '../src/load/rate-limit.js';
import { TokenSupply, type SupplyIdentity } from '../src/load/token-supply.js';
import { LatencyHistogram } from '../src/load/histogram.js';
import { parseDuration, parseFraction, parseRate } from '../src/load/units.js';
import { loadUserEmail } from '../src/load/identities.js';
import { decideStatus, evaluateSlo, harnessProblemsOf, type LoadReport } from '../src/load/report.js';
import type { MintedToken } from '../src/tokens/types.js';

class ManualClock implements Clock {
  t = 1_700_000_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = () => this.t;
  setTimeout(fn: () => void, ms: number) {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  /** Advance in 100 ms steps, firing due timers and letting mint promises settle between steps. */
  async advance(ms: number, step = 100): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      this.t = Math.min(end, this.t + step);
      for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
        timer.live = false;
        timer.fn();
      }
      this.timers = this.timers.filter((x) => x.live);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  }
}

/** An identity whose tokens carry iat = the clock's now and the given lifetime; `fail` decides refusals. */
function fakeIdentity(clock: ManualClock, name: string, lifetimeS = 60, fail?: (n: number) => unknown): SupplyIdentity & { calls: number[] } {
  const calls: number[] = [];
  return {
    name,
    calls,
    async mint(): Promise<MintedToken> {
      calls.push(clock.now());
      const err = fail?.(calls.length);
      if (err) throw err;
      const iat = Math.floor(clock.now() / 1000);
      return { token: `tok-${name}-${calls.length}`, header: { alg: 'RS256' }, claims: { sub: `user_${name}`, iat, exp: iat + lifetimeS }, receivedAt: clock.now() };
    },
  };
}

/** What the SDK throws on a 429, wrapped the way the token source wraps it. */
function rateLimited(retryAfter?: number): Error {
  return new HarnessError('CLERK_API', 'the Clerk Backend API answered 429 too_many_requests 1 times', { cause: Object.assign(new Error('Too many requests'), { status: 429, retryAfter }) });
}

describe('token supply', () => {
  it('derives the maximum age from exp - iat (50 s of 60 s) and never hands out an older token', async () => {
    const clock = new ManualClock();
    const id = fakeIdentity(clock, 'a');
    const supply = new TokenSupply({ identities: [id], clock });
    await supply.ready();
    expect(supply.stats()).toMatchObject({ lifetimeMs: 60_000, maxAgeMs: 50_000, refreshAtMs: 25_000 });
    let oldest = 0;
    for (let s = 0; s < 300; s++) {
      await clock.advance(1000);
      const t = supply.current(0);
      expect(t, `second ${s}`).toBeDefined();
      oldest = Math.max(oldest, clock.now() - t!.iat * 1000);
    }
    expect(oldest).toBeLessThan(50_000);
    // One mint per refresh interval, not one per request.
    expect(id.calls.length).toBeGreaterThanOrEqual(11);
    expect(id.calls.length).toBeLessThanOrEqual(14);
    supply.stop();
  });

  it('answers nothing rather than a stale token when minting stops', async () => {
    const clock = new ManualClock();
    let broken = false;
    const id = fakeIdentity(clock, 'a', 60, () => (broken ? new HarnessError('CLERK_UNREACHABLE', 'cannot reach the Clerk Backend API') : undefined));
    const supply = new TokenSupply({ identities: [id], clock, maxAgeMs: 20_000 });
    await supply.ready();
    broken = true;
    await clock.advance(19_900);
    expect(supply.current(0)).toBeDefined();
    await clock.advance(200);
    expect(supply.current(0)).toBeUndefined();
    expect(supply.stats().failures).toBeGreaterThan(0);
    broken = false;
    await clock.advance(11_000); // backoff is capped at 10 s
    expect(supply.current(0)).toBeDefined();
    supply.stop();
  });

  it('keeps every window of minting calls under the limit, first mints charged for their lookups', async () => {
    const clock = new ManualClock();
    const ids = Array.from({ length: 6 }, (_, i) => fakeIdentity(clock, `u${i}`, 30));
    const supply = new TokenSupply({ identities: ids, clock, rateLimit: { calls: 8, perMs: 10_000 } });
    const ready = supply.ready();
    await clock.advance(40_000);
    await ready;
    await clock.advance(120_000);
    const { callTimes, peakCallsInWindow } = supply.stats();
    expect(peakCallsInWindow).toBeLessThanOrEqual(8);
    expect(peakInWindow(callTimes, 10_000)).toBeLessThanOrEqual(8);
    // 6 users need 6 mints per refresh interval; with 8 per 10 s the interval is stretched to fit.
    expect(supply.stats().refreshAtMs).toBeGreaterThanOrEqual(Math.ceil((6 * 10_000) / 8));
    for (let i = 0; i < 6; i++) expect(supply.current(i)).toBeDefined();
    supply.stop();
  });

  it('refuses a user count the mint rate cannot keep fresh, with the numbers and the fix', async () => {
    const clock = new ManualClock();
    const ids = Array.from({ length: 150 }, (_, i) => fakeIdentity(clock, `u${i}`, 60));
    const supply = new TokenSupply({ identities: ids, clock, rateLimit: { calls: 20, perMs: 10_000 }, firstMintCost: 1 });
    const ready = supply.ready();
    const caught = ready.catch((e: unknown) => e);
    await clock.advance(60_000);
    const err = (await caught) as HarnessError;
    expect(err).toBeInstanceOf(HarnessError);
    expect(err.message).toMatch(/keeping 150 identities' tokens younger than 50 s needs more than 30 mints per 10 s; the limit is 20/);
    expect(err.hint).toMatch(/--mint-rate/);
    supply.stop();
  });

  it('pauses every identity for a 429 Retry-After and rides the storm out on the current tokens', async () => {
    const clock = new ManualClock();
    let storm = 0;
    const refusedAt: number[] = [];
    const mk = (name: string) => fakeIdentity(clock, name, 60, () => (storm > 0 ? (storm--, refusedAt.push(clock.now()), rateLimited(3)) : undefined));
    const ids = [mk('a'), mk('b')];
    const events: string[] = [];
    const supply = new TokenSupply({ identities: ids, clock, onEvent: (e) => events.push(e.type) });
    await supply.ready();
    storm = 5; // five refusals, 3 s each: 15 s without a token, less than maxAge - refreshAt (25 s)
    for (let s = 0; s < 200; s++) {
      await clock.advance(1000);
      expect(supply.current(0), `a at ${s}`).toBeDefined();
      expect(supply.current(1), `b at ${s}`).toBeDefined();
    }
    expect(events.filter((e) => e === 'rate-limited')).toHaveLength(5);
    expect(supply.stats().rateLimited).toBe(5);
    // After each 429 nobody called, for either user, until its Retry-After (3 s) had passed.
    const calls = [...ids[0]!.calls, ...ids[1]!.calls].sort((x, y) => x - y);
    for (const r of refusedAt) {
      const next = calls.find((c) => c > r);
      expect(next! - r).toBeGreaterThanOrEqual(3000);
    }
    supply.stop();
  });

  it('waits Retry-After exactly before the next call', async () => {
    const clock = new ManualClock();
    const id = fakeIdentity(clock, 'a', 60, (n) => (n === 2 ? rateLimited(7) : undefined));
    const supply = new TokenSupply({ identities: [id], clock });
    await supply.ready();
    await clock.advance(40_000);
    expect(id.calls.length).toBe(3);
    expect(id.calls[2]! - id.calls[1]!).toBe(7000);
    supply.stop();
  });

  it('fails ready() at once with the error of a first mint that retrying cannot fix', async () => {
    const clock = new ManualClock();
    const id = fakeIdentity(clock, 'a', 60, () => new HarnessError('CLERK_API', 'CLERK_SECRET_KEY was rejected (401 clerk_key_invalid)'));
    const supply = new TokenSupply({ identities: [id], clock });
    await expect(supply.ready()).rejects.toThrow(/clerk_key_invalid/);
    expect(id.calls).toHaveLength(1);
  });

  it('refuses a maximum age not shorter than the lifetime', async () => {
    const clock = new ManualClock();
    const supply = new TokenSupply({ identities: [fakeIdentity(clock, 'a', 30)], clock, maxAgeMs: 30_000 });
    await expect(supply.ready()).rejects.toThrow(/maximum token age \(30 s\) must be shorter than the tokens' lifetime \(30 s/);
  });

  it('get() by name and round robin', async () => {
    const clock = new ManualClock();
    const supply = new TokenSupply({ identities: [fakeIdentity(clock, 'a'), fakeIdentity(clock, 'b')], clock });
    await supply.ready();
    expect((await supply.get('b')).identity).toBe('b');
    const names = [(await supply.get()).identity, (await supply.get()).identity, (await supply.get()).identity];
    expect(names).toEqual(['a', 'b', 'a']);
    expect(() => supply.get('zz')).toThrow(/no identity named "zz"/);
    supply.stop();
  });
});

describe('load building blocks', () => {
  it('sliding window limiter', () => {
    const l = new SlidingWindowLimiter({ calls: 2, perMs: 1000 });
    expect(l.tryTake(0)).toBe(true);
    expect(l.tryTake(100)).toBe(true);
    expect(l.tryTake(200)).toBe(false);
    expect(l.nextSlot(200)).toBe(1000);
    expect(l.tryTake(1000)).toBe(true);
    l.pauseUntil(5000);
    expect(l.nextSlot(1200)).toBe(5000);
    expect(peakInWindow([0, 100, 1000, 1100, 1999], 1000)).toBe(3);
  });

  it('histogram percentiles within 2 %', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 .. 1000 ms
    expect(h.percentileMs(50)).toBeGreaterThan(500 * 0.98);
    expect(h.percentileMs(50)).toBeLessThan(500 * 1.02);
    expect(h.percentileMs(95)).toBeGreaterThan(950 * 0.98);
    expect(h.percentileMs(99)).toBeLessThan(990 * 1.02);
    expect(h.percentileMs(100)).toBe(1000);
    expect(h.maxMs).toBe(1000);
  });

  it('flag units', () => {
    expect(parseDuration('d', '30s')).toBe(30_000);
    expect(parseDuration('d', '200ms')).toBe(200);
    expect(parseDuration('d', '2m')).toBe(120_000);
    expect(parseDuration('d', '200', 'ms')).toBe(200);
    expect(() => parseDuration('duration', 'soon')).toThrow(/--duration must be a duration/);
    expect(parseFraction('e', '0.1%')).toBeCloseTo(0.001);
    expect(parseFraction('e', '0.02')).toBeCloseTo(0.02);
    expect(() => parseFraction('max-error-rate', '120%')).toThrow(/--max-error-rate/);
    expect(parseRate('r', '20/10s')).toEqual({ calls: 20, perMs: 10_000 });
    expect(parseRate('r', '2/s')).toEqual({ calls: 2, perMs: 1000 });
    expect(parseRate('r', '100/min')).toEqual({ calls: 100, perMs: 60_000 });
    expect(() => parseRate('mint-rate', 'fast')).toThrow(/--mint-rate must be calls per window/);
  });

  it('SLO verdicts, and a run nothing answered never passes', () => {
    const latencyMs = { p50: 5, p95: 40, p99: 120, max: 300, mean: 9 };
    const requests = { sent: 1000, completed: 1000, perSecond: 100, accepted: 998, notAccepted: 2, transportErrors: 0, timeouts: 0, errorRate: 0.002 };
    const slo = evaluateSlo({ maxP99Ms: 200, maxErrorRate: 0.001, minRps: 50 }, { latencyMs, requests });
    expect(slo).toEqual([
      { name: 'p99', limit: 200, actual: 120, passed: true },
      { name: 'error rate', limit: 0.001, actual: 0.002, passed: false },
      { name: 'requests/s', limit: 50, actual: 100, passed: true },
    ]);
    expect(decideStatus({ slo, harnessProblems: [] })).toBe('failed');
    const tokens = { identities: 1, minted: 1, mintCalls: 4, mintLimit: { calls: 20, perMs: 10_000 }, peakCallsInWindow: 4, rateLimited: 0, mintFailures: 0, maxAgeAtSendMs: 100, sentWithoutToken: 0, expiredTokenAnswers: 0 } satisfies LoadReport['tokens'];
    expect(harnessProblemsOf(tokens, requests)).toEqual([]);
    expect(harnessProblemsOf(tokens, { completed: 0, transportErrors: 3 })[0]).toMatch(/no request was answered \(3 transport error\(s\)\)/);
    expect(harnessProblemsOf({ ...tokens, expiredTokenAnswers: 2, sentWithoutToken: 1, maxAgeMs: 50_000 })).toHaveLength(2);
  });

  it('load user emails keep the +clerk_test marker', () => {
    expect(loadUserEmail('clerk-harness+clerk_test@example.com', 1)).toBe('clerk-harness+clerk_test@example.com');
    expect(loadUserEmail('clerk-harness+clerk_test@example.com', 3)).toBe('clerk-harness+load-3+clerk_test@example.com');
    expect(loadUserEmail('me@example.com', 2)).toBe('me+load-2@example.com');
  });
});
