import { Agent, request } from 'undici';
import { HarnessError } from '../errors.js';
import { redact } from '../redact.js';

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  dispatcher?: Agent;
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

/** A verdict needs the start of an answer, never all of it: a 500 MB answer must not take gigabytes. */
export const MAX_BODY_BYTES = 1 << 20;

/** Read at most `max` bytes of a body, then stop reading (the connection is dropped, not drained). */
export async function readCapped(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (err?: Error) => void }, max = MAX_BODY_BYTES): Promise<{ text: string; truncatedAt?: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (size + b.length > max) {
      chunks.push(b.subarray(0, max - size));
      size = max;
      body.destroy?.();
      return { text: Buffer.concat(chunks).toString('utf8'), truncatedAt: max };
    }
    chunks.push(b);
    size += b.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

const SHOWN_HEADERS = ['content-type', 'www-authenticate', 'x-clerk-auth-status', 'x-clerk-auth-reason', 'x-clerk-auth-message', 'location', 'date'];

/** Name a transport failure the way a user thinks about it, with the fix. */
export function transportError(url: string, err: unknown, timeoutMs: number): HarnessError {
  const code = (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  const msg = (err as Error)?.message ?? String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || /timeout/i.test(msg)) {
    return new HarnessError('TARGET_TIMEOUT', `${url} did not answer within ${timeoutMs} ms`, {
      hint: 'is the server stuck (debugger, blocked event loop, waiting on a dependency)? raise target.timeout_ms in the suite if it is just slow',
      cause: err,
    });
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing listens on that port',
    ENOTFOUND: 'host name not found (DNS)',
    EAI_AGAIN: 'host name lookup failed (DNS)',
    ECONNRESET: 'connection reset by the server',
    EHOSTUNREACH: 'host unreachable',
    CERT_HAS_EXPIRED: 'TLS certificate expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: self-signed certificate',
    ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: certificate does not match the host name',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: certificate chain cannot be verified',
  };
  const reason = (code && reasons[code]) ?? `${code ?? 'network error'}: ${msg}`;
  return new HarnessError('TARGET_UNREACHABLE', `${url}: ${reason}`, {
    hint: 'start the target (or check TARGET_URL / --target, e.g. http://127.0.0.1:8000; prefer 127.0.0.1 over localhost)',
    cause: err,
  });
}

/** One HTTP request with a hard timeout; transport failures become HarnessErrors. */
export async function send(url: string, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), options.timeoutMs);
  try {
    const res = await request(url, {
      method: options.method as 'GET',
      headers: options.headers,
      body: options.body,
      signal: controller.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      dispatcher: options.dispatcher,
    });
    const { text: body, truncatedAt } = await readCapped(res.body);
    const headers: Record<string, string> = {};
    for (const name of SHOWN_HEADERS) {
      const v = res.headers[name];
      if (v !== undefined) headers[name] = redact(Array.isArray(v) ? v.join(', ') : v);
    }
    return { status: res.statusCode, headers, body, ...(truncatedAt ? { truncatedAt } : {}), durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    throw transportError(url, err, options.timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

/** First `max` characters of a body, redacted, on one line. */
export function excerpt(body: string, max = 300): string {
  const flat = redact(body).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
