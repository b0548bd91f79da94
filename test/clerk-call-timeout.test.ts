import { createServer, type Server } from 'node:http';
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HarnessError } from '../src/errors.js';
import { callClerk, DEAD_AFTER, newCallHealth } from '../src/tokens/clerk-call.js';

let hanging: Server;
let url: string;
beforeAll(async () => {
  hanging = createServer(() => {
    /* accepts the request, never answers */
  });
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
});
afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise<void>((r) => hanging.close(() => r()));
});

it('gives up on a Clerk API that accepts the connection and never answers', async () => {
  const clerk = createClerkClient({ apiUrl: url, secretKey: 'sk_test_hanging0000000000', telemetry: { disabled: true } });
  const err = await callClerk({ apiUrl: url, action: 'list templates' }, () => clerk.jwtTemplates.list(), { timeoutMs: 300 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HarnessError);
  expect((err as HarnessError).code).toBe('CLERK_UNREACHABLE');
  expect((err as HarnessError).message).toBe(`the Clerk Backend API at ${url} did not answer within 0.3 s while trying to list templates`);
});

/** A loopback URL nothing listens on: bind a free port, then release it. */
async function closedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

it('recovers the reason behind the SDK\'s "fetch failed" in the shared words', async () => {
  const closed = await closedUrl();
  const clerk = createClerkClient({ apiUrl: closed, secretKey: 'sk_test_closed00000000000000', telemetry: { disabled: true } });
  const err = await callClerk({ apiUrl: closed, action: 'list templates' }, () => clerk.jwtTemplates.list(), { attempts: 2, baseDelayMs: 1 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HarnessError);
  expect((err as HarnessError).code).toBe('CLERK_UNREACHABLE');
  expect((err as HarnessError).message).toBe(`cannot reach the Clerk Backend API at ${closed} to list templates: connection refused: nothing listens on that port (2 attempts)`);
});

it('trips only after answers: DEAD_AFTER refused calls in a row end every later call at once', async () => {
  const closed = await closedUrl();
  const clerk = createClerkClient({ apiUrl: closed, secretKey: 'sk_test_closed00000000000000', telemetry: { disabled: true } });
  const health = { ...newCallHealth(), successes: 5 };
  const ctx = { apiUrl: closed, action: 'mint a session token', emulator: true, health };
  const waits: number[] = [];
  const err = await callClerk(ctx, () => clerk.jwtTemplates.list(), { baseDelayMs: 1, onRetry: (i) => waits.push(i.waitMs) }).catch((e: unknown) => e);
  expect(waits).toHaveLength(DEAD_AFTER - 1);
  expect((err as HarnessError).message).toBe(`the Clerk API at ${closed} stopped answering (connection refused) after 5 successful calls: is the emulator still running?`);
  let called = false;
  const again = await callClerk(ctx, async () => ((called = true), 1)).catch((e: unknown) => e);
  expect(again).toBe(err);
  expect(called).toBe(false);
});
