/**
 * Issue 14: an external emulator that dies mid-run. After one successful mint the token source
 * meets connection refused DEAD_AFTER times in a row, stops retrying, and fails every later mint
 * at once with one clear error, so a run of 78 cases fails in seconds instead of retrying each.
 * Also the emulator's admin side: a fault path pattern runs on re2js (a hostile pattern cannot
 * hang it, a bad one is a clear error), driven through the admin client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { injectRemoteFault } from '../src/emulator/admin-client.js';
import { compilePathPattern, FaultQueue } from '../src/emulator/faults.js';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { HarnessError } from '../src/errors.js';
import { createTokenSource } from '../src/tokens/clerk-source.js';

const KEY = 'sk_test_deademulator0123456789';
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe('a dead emulator mid-run', () => {
  it('fails 20 mints after the emulator stops, all with one message, in well under 5 s', async () => {
    emu = await startEmulator({ secretKey: KEY });
    const url = emu.url;
    const source = await createTokenSource({ apiUrl: url, secretKey: KEY, testUserEmail: 'dead@example.com' });
    expect((await source.mint()).token.split('.')).toHaveLength(3);
    await emu.stop();
    emu = undefined;

    const started = performance.now();
    const errors: unknown[] = [];
    for (let i = 0; i < 20; i++) errors.push(await source.mint().then(() => undefined, (e: unknown) => e));
    const took = performance.now() - started;

    // createSession + getToken (and the user lookup) made the calls before it stopped.
    const expected = new RegExp(`^the Clerk API at ${url.replace(/[.:/]/g, '\\$&')} stopped answering \\(connection refused\\) after \\d+ successful calls?: is the emulator still running\\?$`);
    for (const err of errors) {
      expect(err).toBeInstanceOf(HarnessError);
      expect((err as HarnessError).code).toBe('CLERK_UNREACHABLE');
      expect((err as HarnessError).message).toMatch(expected);
    }
    // One error object, given to every later call: the same words every time.
    expect(new Set(errors).size).toBe(1);
    expect((errors[0] as HarnessError).message).not.toContain(KEY);
    expect(took).toBeLessThan(5000);
  });

  it('mints that were already waiting when it stopped fail fast too', async () => {
    emu = await startEmulator({ secretKey: KEY });
    const source = await createTokenSource({ apiUrl: emu.url, secretKey: KEY, testUserEmail: 'dead2@example.com' });
    await source.mint();
    await emu.stop();
    emu = undefined;
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => source.mint()));
    expect(results.every((r) => r.status === 'rejected' && /stopped answering \(connection refused\)/.test((r.reason as Error).message))).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a source that never had an answer keeps the bounded retries and the old message', async () => {
    emu = await startEmulator({ secretKey: KEY });
    const url = emu.url;
    await emu.stop();
    emu = undefined;
    const err = await createTokenSource({ apiUrl: url, secretKey: KEY, testUserEmail: 'never@example.com', retry: { attempts: 2, baseDelayMs: 1 } })
      .then((s) => s.mint())
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toBe(`cannot reach the Clerk Backend API at ${url} to look up the test user never@example.com: connection refused: nothing listens on that port (2 attempts)`);
  });
});

describe('emulator fault path patterns run on re2js', () => {
  it('a catastrophic-backtracking pattern matches in linear time', () => {
    const queue = new FaultQueue();
    queue.add({ status: 503, count: 1, pathPattern: '^(a+)+$' });
    const started = performance.now();
    expect(queue.take(`/${'a'.repeat(50_000)}b`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(queue.take('aaaa')?.status).toBe(503);
  });

  it('a pattern re2js cannot run is a TypeError that says why', () => {
    expect(() => compilePathPattern('(?=x)y')).toThrow(TypeError);
    expect(() => compilePathPattern('(?=x)y')).toThrow(/fault path pattern "\(\?=x\)y" is not a valid regular expression .*lookaround and backreferences are not supported/);
    expect(() => compilePathPattern('[')).toThrow(/missing closing \]/);
    expect(compilePathPattern('^/v1/(users|sessions)').test('/v1/users/user_1')).toBe(true);
  });

  it('through the admin client: a bad pattern is refused with the reason, a hostile one does not hang the emulator', async () => {
    emu = await startEmulator({ secretKey: KEY });
    const err = await injectRemoteFault(emu.url, KEY, { status: 503, count: 1, pathPattern: '(?<=a)b' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/refused: 422 .*not a valid regular expression/);
    await injectRemoteFault(emu.url, KEY, { status: 503, count: 1, pathPattern: '^/(a+)+$' });
    const started = performance.now();
    const res = await fetch(`${emu.url}/${'a'.repeat(20_000)}b`, { headers: { Authorization: `Bearer ${KEY}` } });
    await res.body?.cancel();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
