/**
 * `clerk-harness tokens serve` as a function: a loopback HTTP endpoint that hands out the supply's
 * current token, so any load tool (k6, Locust, JMeter, a shell loop) can stay fresh with one GET.
 *
 *   GET /token[?user=NAME|INDEX][&format=bare]  -> {token, user, sub, iat, age_ms, max_age_ms, stale_at}
 *                                                 (or the bare token as text/plain); round robin
 *                                                 over the users without ?user
 *   GET /stats                                  -> the supply's counters (no token)
 *   GET /health                                 -> {status: "ok"}
 *
 * It hands out bearer tokens, so it listens on loopback only, refuses a Host header that is not a
 * loopback name (DNS rebinding) and any request with an Origin header (a web page).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HarnessError } from '../errors.js';
import { systemClock, type Clock } from './clock.js';
import type { TokenSupply } from './token-supply.js';

export interface TokensServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(header) ?? /^([^:]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase();
}

/** Throws a usage error for a listen address that is not loopback. */
export function assertLoopbackHost(host: string): void {
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new HarnessError('USAGE', `tokens serve: --host ${host} is not a loopback address; the endpoint hands out bearer tokens and listens on 127.0.0.1, ::1 or localhost only`);
  }
}

export async function startTokensServer(supply: TokenSupply, options: { port?: number; host?: string; clock?: Clock } = {}): Promise<TokensServer> {
  const host = options.host ?? '127.0.0.1';
  assertLoopbackHost(host);
  const clock = options.clock ?? systemClock;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const name = hostName(req.headers.host);
    if (!name || !LOOPBACK_HOSTS.has(name)) return send(res, 403, { error: 'only loopback Host names are served' });
    if (req.headers.origin !== undefined) return send(res, 403, { error: 'requests from web pages (with an Origin header) are refused' });
    const url = new URL(req.url ?? '/', 'http://tokens.local');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET only' }, { allow: 'GET' });
    if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
    if (url.pathname === '/stats') {
      const { callTimes: _omit, ...stats } = supply.stats();
      return send(res, 200, stats);
    }
    if (url.pathname !== '/token') return send(res, 404, { error: 'not found: use GET /token, /stats or /health' });
    const user = url.searchParams.get('user');
    const which = user === null ? undefined : /^\d+$/.test(user) ? Number(user) : user;
    let t;
    try {
      t = await supply.get(which);
    } catch (err) {
      if (err instanceof HarnessError && err.code === 'USAGE') return send(res, 404, { error: err.message });
      return send(res, 503, { error: (err as Error).message }, { 'retry-after': '1' });
    }
    const now = clock.now();
    if (url.searchParams.get('format') === 'bare') return send(res, 200, t.token);
    send(res, 200, {
      token: t.token,
      user: t.identity,
      sub: t.sub ?? null,
      iat: t.iat,
      age_ms: Math.max(0, now - t.issuedAt),
      max_age_ms: t.staleAt - t.issuedAt,
      stale_at: new Date(t.staleAt).toISOString(),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new HarnessError('USAGE', `tokens serve cannot listen on ${host}:${options.port ?? 0}: ${err.code ?? err.message}`, { hint: 'choose another --port, or 0 for a free one', cause: err })),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
