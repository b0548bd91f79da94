/**
 * The request handler: public JWKS, then faults, then secret-key auth, then the route tables.
 * Every answer, errors included, is JSON with Clerk's exact Content-Type and error envelope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_ROUTES } from './admin-routes.js';
import { ApiFailure, methodNotAllowed, notFound, secretKeyInvalid } from './api-errors.js';
import type { EmulatorCore } from './core.js';
import { bearer, readJsonBody, sendFailure, sendJson } from './http-util.js';
import { BAPI_ROUTES, type Route } from './routes.js';
import { EMULATOR_ADMIN_PREFIX } from './types.js';

const ROUTES: Route[] = [...BAPI_ROUTES, ...ADMIN_ROUTES];

function internalError(): ApiFailure {
  return new ApiFailure(500, {
    code: 'internal_clerk_error',
    message: 'Oops, an unexpected error occurred',
    long_message: 'The emulator failed to handle this request; its log has the details.',
    meta: {},
  });
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw notFound('resource', raw);
  }
}

async function route(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/.well-known/jwks.json') {
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
  const matching = ROUTES.filter((r) => r.path.test(path));
  const hit = matching.find((r) => r.method === method);
  if (!hit) throw matching.length > 0 ? methodNotAllowed(method, path) : notFound('resource');
  const params = (hit.path.exec(path) ?? []).slice(1).map(decodeParam);
  let bodyPromise: Promise<Record<string, unknown>> | undefined;
  const body = await hit.handle({ core, params, query: url.searchParams, body: () => (bodyPromise ??= readJsonBody(req)) });
  sendJson(res, 200, body);
}

export function createRequestHandler(core: EmulatorCore, log?: (line: string) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    let note = '';
    // Date on the emulator's clock: with --clock-offset a client (doctor's clerk.clock) must see
    // the same skew the tokens' iat/exp carry, not Node's real-time default header.
    res.setHeader('Date', new Date(core.nowMs()).toUTCString());
    res.on('finish', () => {
      // One line a request; never headers (the Authorization header carries the secret key).
      log?.(`${req.method} ${url.pathname} -> ${res.statusCode} (${(performance.now() - started).toFixed(1)} ms)${note}`);
    });
    route(core, req, res, url).catch((err: unknown) => {
      if (!(err instanceof ApiFailure)) note = ` internal error: ${(err as Error)?.message ?? String(err)}`;
      const failure = err instanceof ApiFailure ? err : internalError();
      if (res.headersSent) return void res.end();
      // Drain any unread body so keep-alive connections stay usable.
      req.resume();
      sendFailure(res, failure);
    });
  };
}
