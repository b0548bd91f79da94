/**
 * HTTP for doctor: one request through the project's `send`, with a transport failure turned
 * into a named kind (refused / dns / tls / timeout) instead of an exception.
 */
import { isHarnessError } from '../../errors.js';
import { send } from '../../http/send.js';
import type { HttpExchange } from '../types.js';

export type TransportKind = 'refused' | 'dns' | 'tls' | 'timeout' | 'network';

export type HttpOutcome =
  | { ok: true; exchange: HttpExchange }
  | { ok: false; kind: TransportKind; code: string; error: string };

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|EPROTO$|HOSTNAME_MISMATCH)/;

function codeOf(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === 'string' && !['TARGET_UNREACHABLE', 'TARGET_TIMEOUT'].includes(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

export function classifyTransport(err: unknown): { kind: TransportKind; code: string } {
  if (isHarnessError(err) && err.code === 'TARGET_TIMEOUT') return { kind: 'timeout', code: 'timeout' };
  const code = codeOf(err) ?? 'network error';
  if (code === 'ECONNREFUSED') return { kind: 'refused', code };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return { kind: 'dns', code };
  if (TLS_CODES.test(code)) return { kind: 'tls', code };
  if (/TIMEOUT/.test(code)) return { kind: 'timeout', code };
  return { kind: 'network', code };
}

/** What a TLS failure means, in words; OpenSSL's own text ("...ssl3_record.c:350:") is not for people. */
const TLS_MEANING: Array<[RegExp, string]> = [
  [/WRONG_VERSION_NUMBER|wrong version number|packet length too long|http request/i, 'TLS handshake failed: the port speaks plain HTTP? use http://'],
  [/CERT_HAS_EXPIRED|certificate has expired/i, 'the TLS certificate has expired'],
  [/SELF_SIGNED|DEPTH_ZERO/i, 'the TLS certificate is self-signed and not trusted (trust its CA with NODE_EXTRA_CA_CERTS, or use http:// for a local server)'],
  [/ALTNAME|HOSTNAME_MISMATCH/i, 'the TLS certificate is for another host name'],
  [/UNABLE_TO_(GET|VERIFY)|unable to (get|verify)/i, 'the TLS certificate chain cannot be verified (a missing intermediate, or a private CA: NODE_EXTRA_CA_CERTS)'],
];

/** A transport failure as one plain line: TLS explained in words with its code, others flattened. */
export function plainTransportError(kind: TransportKind, code: string, message: string): string {
  if (kind === 'tls') {
    const meaning = TLS_MEANING.find(([re]) => re.test(code) || re.test(message))?.[1];
    if (meaning) return `${meaning} (${code})`;
    // OpenSSL's "...:SSL routines:function:reason:file:line:" - keep only the reason.
    const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
    return `TLS handshake failed${reason ? `: ${reason}` : ''} (${code})`;
  }
  return message.replace(/\s+/g, ' ').trim();
}

export interface RequestSpec {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  now?: () => number;
}

export async function httpExchange(spec: RequestSpec): Promise<HttpOutcome> {
  const now = spec.now ?? Date.now;
  const sentAt = now();
  try {
    const res = await send(spec.url, { method: spec.method, headers: spec.headers, body: spec.body, timeoutMs: spec.timeoutMs });
    return { ok: true, exchange: { method: spec.method, url: spec.url, status: res.status, headers: res.headers, body: res.body, sentAt, receivedAt: now() } };
  } catch (err) {
    const { kind, code } = classifyTransport(err);
    return { ok: false, kind, code, error: plainTransportError(kind, code, (err as Error).message ?? String(err)) };
  }
}

/** Date header minus the local clock at the midpoint of the exchange (ms), or undefined. */
export function dateOffsetMs(exchange: Pick<HttpExchange, 'headers' | 'sentAt' | 'receivedAt'>): number | undefined {
  const date = exchange.headers.date;
  if (!date) return undefined;
  const t = Date.parse(date);
  if (Number.isNaN(t)) return undefined;
  // The header has 1 s resolution: it says "somewhere in [t, t+1000)".
  return t + 500 - (exchange.sentAt + exchange.receivedAt) / 2;
}

/** "2.4 s" / "2 min" with the direction relative to this machine. */
export function describeOffset(offsetMs: number): { skew: string; direction: 'ahead of' | 'behind' } {
  const s = Math.abs(offsetMs) / 1000;
  const skew = s < 90 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
  return { skew, direction: offsetMs >= 0 ? 'ahead of' : 'behind' };
}

/** One line of a body for evidence, redaction is done by the executor. */
export function bodyLine(body: string, max = 160): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
