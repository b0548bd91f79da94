import { createServer, type Server } from 'node:http';
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HarnessError } from '../src/errors.js';
import { callClerk } from '../src/tokens/clerk-call.js';

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
