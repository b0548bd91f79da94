/**
 * src/http/undici-request.ts loads undici's `request` from three of its modules instead of the
 * whole package. With the locked undici that light way must be the one taken, and it must behave
 * as undici's own `request`: the global keep-alive agent, a caller's dispatcher, query strings, compared with undici's own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Pool, request as fullRequest } from 'undici';
import { request, undiciEntry } from '../src/http/undici-request.js';

let server: Server;
let origin: string;
const sockets = new Set<unknown>();
beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(req.socket);
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it('takes the light entry with the locked undici', () => {
  expect(undiciEntry).toBe('light');
});

it('answers exactly as undici\'s own request: method, path and query as given, the same connections reused', async () => {
  const sequence = async (send: typeof request) => {
    sockets.clear();
    const answers: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await send(`${origin}/jobs?limit=${i}`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
      answers.push([res.statusCode, await res.body.json()]);
    }
    for (let i = 0; i < 3; i++) {
      // No method and no body: GET, as undici's own request defaults.
      const res = await send(new URL('/health', origin), {});
      answers.push([res.statusCode, await res.body.json()]);
    }
    return { answers, connections: sockets.size };
  };
  const light = await sequence(request);
  expect(light.answers.slice(0, 3)).toEqual([0, 1, 2].map((i) => [200, { method: 'POST', url: `/jobs?limit=${i}`, body: 'x' }]));
  expect(light.answers[3]).toEqual([200, { method: 'GET', url: '/health', body: '' }]);
  expect(light).toEqual(await sequence(fullRequest as unknown as typeof request));
});

it('sends through a dispatcher the caller passes (a Pool of the full undici package)', async () => {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const res = await request(`${origin}/via-pool`, { dispatcher: pool });
    expect(await res.body.json()).toEqual({ method: 'GET', url: '/via-pool', body: '' });
  } finally {
    await pool.close();
  }
});
