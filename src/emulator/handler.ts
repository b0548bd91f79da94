/**
 * The request handler: public JWKS, then faults, then secret-key auth, then the route tables.
 * Every answer, errors included, is JSON with Clerk's exact Content-Type and error envelope.
 *
 * It is on the hot path of every test (one token request per case), so a request costs little
 * beyond its signature: routes are looked up by their first path segment instead of trying every
 * pattern, the URL is split rather than parsed, the Date header is formatted once a second,
 * nothing is timed or logged unless a logger was given, and that log is bounded under load.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_ROUTES } from './admin-routes.js';
import { ApiFailure, methodNotAllowed, notFound, secretKeyInvalid } from './api-errors.js';
import type { EmulatorCore } from './core.js';
import { announcesNoBody, bearer, readJsonBody, sendFailure, sendJson, setResponseDate } from './http-util.js';
import { createRequestLog } from './request-log.js';
import { BAPI_ROUTES, type Route } from './routes.js';
import { EMULATOR_ADMIN_PREFIX } from './types.js';

const ROUTES: Route[] = [...BAPI_ROUTES, ...ADMIN_ROUTES];
const JWKS_PATH = '/.well-known/jwks.json';

/** `/v1/users/…` -> `v1/users`: the key routes are grouped under. */
function segmentKey(path: string): string {
  const second = path.indexOf('/', 1);
  if (second < 0) return path.slice(1);
  const third = path.indexOf('/', second + 1);
  return path.slice(1, third < 0 ? undefined : third);
}

/** The literal `/v1/<resource>` a route's pattern starts with, or undefined when it has none. */
function literalKey(route: Route): string | undefined {
  const m = /^\^((?:\\\/|\/)[A-Za-z0-9_]+(?:\\\/|\/)[A-Za-z0-9_]+)(?:\$|\\\/|\/)/.exec(route.path.source);
  return m ? segmentKey(m[1].replace(/\\\//g, '/')) : undefined;
}

/** Routes by segment key, in table order; routes without a literal prefix are tried for every path. */
function indexRoutes(routes: Route[]): (path: string) => Route[] {
  const byKey = new Map<string, Route[]>();
  const anywhere: Route[] = [];
  for (const r of routes) {
    const key = literalKey(r);
    if (key === undefined) anywhere.push(r);
    else byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  if (anywhere.length > 0) for (const [k, list] of byKey) byKey.set(k, routes.filter((r) => list.includes(r) || anywhere.includes(r)));
  return (path) => byKey.get(segmentKey(path)) ?? anywhere;
}

const candidates = indexRoutes(ROUTES);

function internalError(): ApiFailure {
  return new ApiFailure(500, {
    code: 'internal_clerk_error',
    message: 'Oops, an unexpected error occurred',
    long_message: 'The emulator failed to handle this request; its log has the details.',
    meta: {},
  });
}

function decodeParam(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw notFound('resource', raw);
  }
}

/** Path and query of the request target (origin-form is split; anything else goes through URL). */
function target(rawUrl: string): { path: string; search: string } {
  if (rawUrl.startsWith('/')) {
    const q = rawUrl.indexOf('?');
    return q < 0 ? { path: rawUrl, search: '' } : { path: rawUrl.slice(0, q), search: rawUrl.slice(q + 1) };
  }
  const url = new URL(rawUrl, 'http://emulator.invalid');
  return { path: url.pathname, search: url.search.slice(1) };
}

/**
 * Answer one request. Synchronous when the route is (the token route without a body is), so the
 * hot path pays no promise chain; throws or rejects with ApiFailure.
 */
function route(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, path: string, search: string): void | Promise<void> {
  const method = req.method ?? 'GET';
  if (path === JWKS_PATH) {
    const fault = core.faults.take(path);
    if (fault) return sendFailure(res, fault);
    if (method !== 'GET') throw methodNotAllowed(method, path);
    return sendJson(res, 200, core.jwks());
  }
  const admin = path.startsWith(EMULATOR_ADMIN_PREFIX + '/');
  if (!admin) {
    const fault = core.faults.take(path);
    if (fault) return sendFailure(res, fault);
  }
  if (!admin && !path.startsWith('/v1/')) throw notFound('resource');
  if (bearer(req) !== core.secretKey) throw secretKeyInvalid();
  let hit: Route | undefined;
  let pathMatched = false;
  let match: RegExpExecArray | null = null;
  for (const r of candidates(path)) {
    const m = r.path.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method === method) {
      hit = r;
      match = m;
      break;
    }
  }
  if (!hit || !match) throw pathMatched ? methodNotAllowed(method, path) : notFound('resource');
  const params = match.length > 1 ? match.slice(1).map(decodeParam) : [];
  let bodyPromise: Promise<Record<string, unknown>> | undefined;
  let query: URLSearchParams | undefined;
  const out = hit.handle({
    core,
    params,
    get query() {
      return (query ??= new URLSearchParams(search));
    },
    noBody: announcesNoBody(req),
    body: () => (bodyPromise ??= readJsonBody(req)),
  });
  if (out instanceof Promise) return out.then((b) => sendJson(res, 200, b));
  sendJson(res, 200, out);
}

export function createRequestHandler(core: EmulatorCore, log?: (line: string) => void) {
  const requestLog = log && createRequestLog(log);
  // Date on the emulator's clock: with --clock-offset a client (doctor's clerk.clock) must see
  // the same skew the tokens' iat/exp carry, not Node's real-time default header.
  let dateSecond = -1;
  let dateHeader = '';
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = requestLog ? performance.now() : 0;
    const { path, search } = target(req.url ?? '/');
    let note = '';
    const nowMs = core.nowMs();
    const second = Math.floor(nowMs / 1000);
    if (second !== dateSecond) {
      dateSecond = second;
      dateHeader = new Date(second * 1000).toUTCString();
    }
    res.sendDate = false; // ours is written with the other headers (setResponseDate)
    setResponseDate(res, dateHeader);
    if (requestLog) {
      // One line a request (bounded under load: request-log.ts); never headers.
      res.on('finish', () => requestLog(req.method ?? 'GET', path, res.statusCode, performance.now() - started, note));
    }
    const fail = (err: unknown): void => {
      if (!(err instanceof ApiFailure)) note = ` internal error: ${(err as Error)?.message ?? String(err)}`;
      const failure = err instanceof ApiFailure ? err : internalError();
      if (res.headersSent) return void res.end();
      // Drain any unread body so keep-alive connections stay usable.
      req.resume();
      sendFailure(res, failure);
    };
    try {
      route(core, req, res, path, search)?.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}
