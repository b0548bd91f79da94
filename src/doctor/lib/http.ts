/**
 * HTTP for doctor: one request through the project's shared layer, with a transport failure as
 * data: the shared classifier's kind folded onto doctor's outcome names (refused / dns / tls /
 * timeout / network) and its words unchanged, so `doctor` and `run` say the same thing.
 */
import { httpRequest } from '../../http/request.js';
import type { TransportKind as SharedKind } from '../../http/transport-error.js';
import { redact } from '../../redact.js';
import type { HttpExchange } from '../types.js';

/** The outcomes the diagnostics tree names for a failed request (diagnostics/checks.yaml). */
export type TransportKind = 'refused' | 'dns' | 'tls' | 'timeout' | 'network';

export type HttpOutcome =
  | { ok: true; exchange: HttpExchange }
  | { ok: false; kind: TransportKind; code: string; error: string };

/** A reset, bytes that are not HTTP or anything else: `network` in the tree, told apart by `error`. */
function doctorKind(kind: SharedKind): TransportKind {
  return kind === 'refused' || kind === 'dns' || kind === 'tls' || kind === 'timeout' ? kind : 'network';
}

/** Headers evidence may show; the rest of an answer's headers is not doctor's business. */
const SHOWN_HEADERS = ['content-type', 'www-authenticate', 'x-clerk-auth-status', 'x-clerk-auth-reason', 'x-clerk-auth-message', 'location', 'date', 'allow'];

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
  const outcome = await httpRequest(spec.url, { method: spec.method, headers: spec.headers, body: spec.body, timeoutMs: spec.timeoutMs });
  if (!outcome.ok) {
    const { kind, code, words } = outcome.failure;
    return { ok: false, kind: doctorKind(kind), code, error: words };
  }
  const res = outcome.response;
  const headers: Record<string, string> = {};
  for (const name of SHOWN_HEADERS) if (res.headers[name] !== undefined) headers[name] = redact(res.headers[name]);
  return { ok: true, exchange: { method: spec.method, url: spec.url, status: res.status, headers, body: res.body, sentAt, receivedAt: now() } };
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
