/**
 * The plan's way to a test worker that started before it was built (src/suite/plan-channel.ts).
 * Expected before running: the worker with the right nonce gets the plan as built (structured
 * clone: keys set to undefined stay keys, Dates stay Dates), only once it is ready; a wrong nonce
 * gets nothing (the plan carries the secret key); a plan that failed reaches the worker as that
 * error; a closed channel is an error that says what happened, not a hang.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { openPlanChannel, receivePlan } from '../src/suite/plan-channel.js';
import type { RunPlan } from '../src/suite/plan.js';

const PLAN = { mode: 'emulator', targetUrl: 'http://127.0.0.1:1', suite: { baseUrl: undefined, name: 'p' }, at: new Date(0), clerk: { secretKey: 'sk_test_x' } } as unknown as RunPlan;

describe('plan channel', () => {
  it('hands the plan over once it is ready, as built', async () => {
    let resolve!: (p: RunPlan) => void;
    const channel = await openPlanChannel(new Promise<RunPlan>((r) => (resolve = r)));
    try {
      let got: RunPlan | undefined;
      const receiving = receivePlan(channel.address).then((p) => (got = p));
      await new Promise((r) => setTimeout(r, 30));
      expect(got).toBeUndefined();
      resolve(PLAN);
      await receiving;
      expect(got).toEqual(PLAN);
      expect(Object.keys((got as unknown as { suite: object }).suite)).toContain('baseUrl');
      expect((got as unknown as { at: unknown }).at).toBeInstanceOf(Date);
    } finally {
      await channel.close();
    }
  });

  it('answers nothing without the nonce', async () => {
    const channel = await openPlanChannel(Promise.resolve(PLAN));
    try {
      await expect(receivePlan({ ...channel.address, nonce: 'x'.repeat(channel.address.nonce.length) })).rejects.toThrow(/got no plan/);
      const raw = await new Promise<string>((resolve) => {
        const s = net.connect(channel.address.port, '127.0.0.1', () => s.write('no newline, just a long line '.repeat(20)));
        let got = '';
        s.setEncoding('utf8').on('data', (d: string) => (got += d));
        s.on('close', () => resolve(got));
        s.on('error', () => undefined);
      });
      expect(raw).toBe('');
    } finally {
      await channel.close();
    }
  });

  it('a plan that failed reaches the worker as its error', async () => {
    const failed = Promise.reject(new Error('CLERK_SECRET_KEY was rejected'));
    failed.catch(() => undefined);
    const channel = await openPlanChannel(failed);
    try {
      await expect(receivePlan(channel.address)).rejects.toThrow('no plan: CLERK_SECRET_KEY was rejected');
    } finally {
      await channel.close();
    }
  });

  it('a closed channel is an error, not a hang', async () => {
    const channel = await openPlanChannel(Promise.resolve(PLAN));
    await channel.close();
    await expect(receivePlan(channel.address)).rejects.toThrow(/could not reach the harness/);
  });
});
