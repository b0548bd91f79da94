/**
 * The runner's request to the target: `httpRequest` with the headers a verdict shows (redacted),
 * and a transport failure thrown as a TransportError (TARGET_UNREACHABLE / TARGET_TIMEOUT) in the
 * shared wording, with the fix for a target.
 */
import type { Dispatcher } from 'undici';
import { redact } from '../redact.js';
import { httpRequest } from './request.js';
import { TransportError, type TransportFailure } from './transport-error.js';

export { MAX_BODY_BYTES, readCapped } from './body.js';

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

export interface SendResult {
  status: number;
  headers: Record<string, string>;
  /** The body up to `MAX_BODY_BYTES` (the rest is discarded unread). */
  body: string;
  /** Set when the body was longer than the cap: how many bytes were kept. */
  truncatedAt?: number;
  durationMs: number;
}

const SHOWN_HEADERS = ['content-type', 'www-authenticate', 'x-clerk-auth-status', 'x-clerk-auth-reason', 'x-clerk-auth-message', 'location', 'date'];

/** A target that gave no HTTP answer, in the shared words, with the fix. */
export function transportError(url: string, failure: TransportFailure, cause?: unknown): TransportError {
  if (failure.kind === 'timeout') {
    return new TransportError('TARGET_TIMEOUT', url, failure, {
      hint: 'is the server stuck (debugger, blocked event loop, waiting on a dependency)? raise target.timeout_ms in the suite if it is just slow',
      cause,
    });
  }
  return new TransportError('TARGET_UNREACHABLE', url, failure, {
    hint: 'start the target (or check TARGET_URL / --target, e.g. http://127.0.0.1:8000; prefer 127.0.0.1 over localhost)',
    cause,
  });
}

/** One HTTP request with a hard timeout; transport failures become TransportErrors. */
export async function send(url: string, options: SendOptions): Promise<SendResult> {
  const outcome = await httpRequest(url, options);
  if (!outcome.ok) throw transportError(url, outcome.failure, outcome.cause);
  const res = outcome.response;
  const headers: Record<string, string> = {};
  for (const name of SHOWN_HEADERS) {
    const v = res.headers[name];
    if (v !== undefined) headers[name] = redact(v);
  }
  return { status: res.status, headers, body: res.body, ...(res.truncatedAt ? { truncatedAt: res.truncatedAt } : {}), durationMs: res.durationMs };
}

/** First `max` characters of a body, redacted, on one line. */
export function excerpt(body: string, max = 300): string {
  const flat = redact(body).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
