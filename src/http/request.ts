/**
 * One HTTP request the way every room of the harness sends one: a hard deadline on the whole
 * exchange, the body read up to a cap, and no answer at all returned as data (a TransportFailure
 * in the shared wording) instead of an exception. Redirects are not followed: a request carrying
 * a secret key stays where it was sent.
 */
import type { Dispatcher } from 'undici';
import { request } from './undici-request.js';
import { MAX_BODY_BYTES, readCapped } from './body.js';
import { classifyTransport, type TransportFailure } from './transport-error.js';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Longest wait for the whole exchange, body included. Required: no request waits forever. */
  timeoutMs: number;
  /** Longest body kept (default MAX_BODY_BYTES); the rest is never read. */
  maxBodyBytes?: number;
  /** False: read no body at all (probes that need only the status and headers). Default true. */
  readBody?: boolean;
  dispatcher?: Dispatcher;
}

export interface HttpResponse {
  status: number;
  /** Every response header, lower-case names, repeated ones joined with ", ". */
  headers: Record<string, string>;
  /** The body up to the cap (empty when readBody was false). */
  body: string;
  /** Set when the body was longer than the cap: how many bytes were kept. */
  truncatedAt?: number;
  durationMs: number;
}

export type RequestOutcome =
  | { ok: true; response: HttpResponse }
  /** `status` is set when the status line had arrived and the body then broke off (or timed out). */
  | { ok: false; failure: TransportFailure; cause: unknown; status?: number };

export async function httpRequest(url: string | URL, options: RequestOptions): Promise<RequestOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), options.timeoutMs);
  let status: number | undefined;
  try {
    const res = await request(url, {
      method: (options.method ?? 'GET') as 'GET',
      headers: options.headers,
      body: options.body,
      signal: controller.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      dispatcher: options.dispatcher,
    });
    status = res.statusCode;
    let body = '';
    let truncatedAt: number | undefined;
    if (options.readBody === false) {
      // Dropped unread: the abort this raises on the stream is expected, not an error to report.
      res.body.on('error', () => undefined);
      res.body.destroy();
    }
    else ({ text: body, truncatedAt } = await readCapped(res.body, options.maxBodyBytes ?? MAX_BODY_BYTES));
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(res.headers)) if (v !== undefined) headers[name.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const response: HttpResponse = { status: res.statusCode, headers, body, ...(truncatedAt ? { truncatedAt } : {}), durationMs: Math.round(performance.now() - started) };
    return { ok: true, response };
  } catch (cause) {
    const failure = classifyTransport(cause, { timeoutMs: options.timeoutMs, timedOut: controller.signal.aborted });
    return { ok: false, failure, cause, ...(status === undefined ? {} : { status }) };
  } finally {
    clearTimeout(timer);
  }
}
