/**
 * The plan, handed to a test worker that started before the plan was built. `clerk-harness run`
 * starts vitest first, so that the worker boots (a node process, vitest's runtime, the spec's
 * imports) on the other core while this process builds the plan (Backend API calls, preflight);
 * the spec then waits here for the plan instead of reading it from vitest's `provide`.
 *
 * A loopback TCP connection: the worker sends the nonce it was given through `provide`, and gets
 * one line back once the plan is ready (or the error that stopped it): the answer structured-cloned
 * (v8.serialize, as a worker's messages are), base64. The plan holds the
 * secret key the worker mints with, so nothing is answered without the nonce, and the listener
 * closes as soon as the one worker it waits for has its answer.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { deserialize, serialize } from 'node:v8';
import type { RunPlan } from './plan.js';

export interface PlanAddress {
  port: number;
  nonce: string;
}

type Answer = { plan: RunPlan } | { error: string };

export interface PlanChannel {
  address: PlanAddress;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1 for the worker; answer with `plan` once it settles. */
export async function openPlanChannel(plan: Promise<RunPlan>): Promise<PlanChannel> {
  const nonce = randomBytes(24).toString('base64url');
  const answer: Promise<string> = plan.then(
    (p) => serialize({ plan: p } satisfies Answer).toString('base64'),
    (err: Error) => serialize({ error: err?.message ?? String(err) } satisfies Answer).toString('base64'),
  );
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let got = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      got += chunk;
      const nl = got.indexOf('\n');
      if (nl === -1) {
        if (got.length > 256) socket.destroy();
        return;
      }
      const sent = Buffer.from(got.slice(0, nl));
      const expected = Buffer.from(nonce);
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return void socket.destroy();
      void answer.then((line) => socket.end(`${line}\n`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as net.AddressInfo;
  return {
    address: { port, nonce },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** In the worker: the plan, once the CLI process has built it. Throws the error that stopped it. */
export function receivePlan(address: PlanAddress): Promise<RunPlan> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address.port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${address.nonce}\n`));
    socket.on('data', (chunk: string) => (got += chunk));
    socket.on('error', (err) => reject(new Error(`the test worker could not reach the harness for its plan: ${err.message}`)));
    socket.on('end', () => {
      try {
        const answer = deserialize(Buffer.from(got.trim(), 'base64')) as Answer;
        if ('plan' in answer) resolve(answer.plan);
        else reject(new Error(`no plan: ${answer.error}`));
      } catch {
        reject(new Error('the test worker got no plan from the harness (the connection closed early)'));
      }
    });
  });
}
