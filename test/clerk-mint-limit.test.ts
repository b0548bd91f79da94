/**
 * Against real Clerk the token source mints at most CLERK_MINTS_IN_FLIGHT tokens at once, shared
 * by every source of the process (an audited run starts 128 cases together, personas have sources
 * of their own); against the emulator it is not held back. Both are the emulator behind a proxy
 * that counts the token requests in flight; as "real Clerk" the proxy also hides what Clerk does
 * not have (the /__emulator routes and the emulator's marker header).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { CLERK_MINTS_IN_FLIGHT, createTokenSource } from '../src/tokens/clerk-source.js';

let emulator: Emulator;
const proxies: Server[] = [];

/** A proxy to the emulator; `peak()` is the most token requests it had in flight at once. */
async function countingProxy(asClerk: boolean): Promise<{ url: string; peak: () => number }> {
  let inFlight = 0;
  let peak = 0;
  const proxy = createServer(async (req, res) => {
    if (asClerk && req.url?.startsWith('/__emulator')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"resource_not_found","message":"not found","long_message":"not found"}]}');
      return;
    }
    const minting = /^\/v1\/sessions\/[^/]+\/tokens/.test(req.url ?? '');
    if (minting) peak = Math.max(peak, ++inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      // Slow enough that unlimited mints pile up far beyond the limit.
      if (minting) await new Promise((r) => setTimeout(r, 20));
      const upstream = await fetch(emulator.url + req.url, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as [string, string][]),
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if ((!asClerk || k !== 'x-clerk-emulator') && k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v;
      });
      res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
    } finally {
      if (minting) inFlight--;
    }
  });
  proxies.push(proxy);
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, peak: () => peak };
}

beforeAll(async () => {
  emulator = await startEmulator({});
});

afterAll(async () => {
  for (const p of proxies) p.closeAllConnections();
  await Promise.all(proxies.map((p) => new Promise<void>((r) => p.close(() => r()))));
  await emulator?.stop();
});

it('real Clerk: 60 mints from two sources at once never have more than the limit in flight, and all succeed', async () => {
  const clerk = await countingProxy(true);
  const [a, b] = await Promise.all([
    createTokenSource({ apiUrl: clerk.url, secretKey: emulator.secretKey, testUserEmail: 'limit-a+clerk_test@example.com' }),
    createTokenSource({ apiUrl: clerk.url, secretKey: emulator.secretKey, testUserEmail: 'limit-b+clerk_test@example.com' }),
  ]);
  expect([a.mode, b.mode]).toEqual(['clerk', 'clerk']);
  const tokens = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).mint()));
  expect(tokens.every((t) => t.token.split('.').length === 3)).toBe(true);
  expect(new Set(tokens.map((t) => t.claims.sub)).size).toBe(2);
  expect(clerk.peak()).toBeLessThanOrEqual(CLERK_MINTS_IN_FLIGHT);
  expect(clerk.peak()).toBeGreaterThan(1); // limited, not one at a time
});

it('the emulator: the same 60 mints are not held to that limit', async () => {
  const emu = await countingProxy(false);
  const source = await createTokenSource({ apiUrl: emu.url, secretKey: emulator.secretKey, testUserEmail: 'limit-emu+clerk_test@example.com' });
  expect(source.mode).toBe('emulator');
  await Promise.all(Array.from({ length: 60 }, () => source.mint()));
  expect(emu.peak()).toBeGreaterThan(CLERK_MINTS_IN_FLIGHT);
});
