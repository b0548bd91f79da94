/** The target's answers are read up to a cap: a verdict needs the start of a body, never gigabytes. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_BODY_BYTES, send } from '../src/http/send.js';
import { TransportError } from '../src/http/transport-error.js';

let server: Server;
let url: string;
let written = 0;
beforeAll(async () => {
  // Streams 64 MiB in 64 KiB chunks unless the client goes away first.
  server = createServer((req, res) => {
    if (req.url === '/small') return res.end('{"ok":true}');
    res.writeHead(500, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = 1024;
    const pump = () => {
      while (left > 0) {
        left--;
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (left = 0));
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

it('keeps the first MiB of a huge answer, flags it, and stops reading', async () => {
  const res = await send(`${url}/huge`, { method: 'GET', timeoutMs: 10_000 });
  expect(res.status).toBe(500);
  expect(res.body.length).toBe(MAX_BODY_BYTES);
  expect(res.truncatedAt).toBe(MAX_BODY_BYTES);
  // The server was cut off long before its 64 MiB (socket buffers hold a few MiB at most).
  await new Promise((r) => setTimeout(r, 50));
  expect(written).toBeLessThan(32 * 1024 * 1024);
});

it('a small answer is read whole and not flagged', async () => {
  const res = await send(`${url}/small`, { method: 'GET', timeoutMs: 10_000 });
  expect(res.body).toBe('{"ok":true}');
  expect(res.truncatedAt).toBeUndefined();
});

it('a transport failure is a TransportError carrying the failure as data', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x`;
  await new Promise<void>((r) => closed.close(() => r()));
  const err = await send(gone, { method: 'GET', timeoutMs: 2000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TransportError);
  expect(err).toMatchObject({ code: 'TARGET_UNREACHABLE', url: gone, failure: { kind: 'refused', code: 'ECONNREFUSED' }, message: `${gone}: connection refused: nothing listens on that port` });
  expect((err as { hint?: string }).hint).toMatch(/start the target/);
});
