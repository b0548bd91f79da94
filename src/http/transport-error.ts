/**
 * A request that got no HTTP answer, as data ({kind, code, words}) in one wording for every room
 * that sends HTTP: run, doctor, mint and templates, init --openapi, the emulator admin client and
 * load. Each room wraps the words in its own error (code, hint); none words a failure itself, so
 * a reset reads the same in `run` and in `doctor`.
 */
import { HarnessError, type HarnessErrorCode } from '../errors.js';

export type TransportKind = 'refused' | 'dns' | 'tls' | 'timeout' | 'reset' | 'not-http' | 'other';

export interface TransportFailure {
  kind: TransportKind;
  /** The error code underneath (ECONNREFUSED, ERR_SSL_WRONG_VERSION_NUMBER, HPE_INVALID_CONSTANT), or `timeout`. */
  code: string;
  /** One plain line: what happened, with the fix when the failure itself tells it. */
  words: string;
}

/** A short name of each kind, for a parenthesis ("stopped answering (connection refused)"). */
export const TRANSPORT_KIND_LABEL: Record<TransportKind, string> = {
  refused: 'connection refused',
  dns: 'host name not found',
  tls: 'TLS failure',
  timeout: 'no answer in time',
  reset: 'connection reset',
  'not-http': 'an answer that is not HTTP',
  other: 'network error',
};

/** Codes of the harness's own errors: never the reason underneath. */
const OWN_CODES = new Set<string>(['TARGET_UNREACHABLE', 'TARGET_TIMEOUT', 'CLERK_UNREACHABLE', 'CLERK_API']);

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|EPROTO$|HOSTNAME_MISMATCH)/;
const TIMEOUT_CODE = /^(UND_ERR_(HEADERS|BODY|CONNECT)_TIMEOUT|ETIMEDOUT)$/;

/** What a TLS failure means, in words; OpenSSL's own text ("...ssl3_record.c:350:") is not for people. */
const TLS_MEANING: Array<[RegExp, string]> = [
  [/WRONG_VERSION_NUMBER|wrong version number|packet length too long|http request/i, 'TLS handshake failed: the port speaks plain HTTP? use http://'],
  [/CERT_HAS_EXPIRED|certificate has expired/i, 'the TLS certificate has expired'],
  [/SELF_SIGNED|DEPTH_ZERO/i, 'the TLS certificate is self-signed and not trusted (trust its CA with NODE_EXTRA_CA_CERTS, or use http:// for a local server)'],
  [/ALTNAME|HOSTNAME_MISMATCH/i, 'the TLS certificate is for another host name'],
  [/UNABLE_TO_(GET|VERIFY)|unable to (get|verify)/i, 'the TLS certificate chain cannot be verified (a missing intermediate, or a private CA: NODE_EXTRA_CA_CERTS)'],
];

/** Every error in a cause chain (and in an AggregateError's list), outermost first. */
function chainOf(err: unknown): Array<{ code?: unknown; message?: unknown; name?: unknown }> {
  const out: Array<{ code?: unknown; message?: unknown; name?: unknown }> = [];
  const queue: unknown[] = [err];
  while (queue.length && out.length < 12) {
    const e = queue.shift();
    if (!e || typeof e !== 'object') continue;
    out.push(e as { code?: unknown });
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (cause) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return out;
}

function kindOfCode(code: string): TransportKind | undefined {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (TLS_CODE.test(code)) return 'tls';
  if (TIMEOUT_CODE.test(code)) return 'timeout';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (code.startsWith('HPE_')) return 'not-http';
  return undefined;
}

function tlsWords(code: string, message: string): string {
  const meaning = TLS_MEANING.find(([re]) => re.test(code) || re.test(message))?.[1];
  if (meaning) return `${meaning} (${code})`;
  // OpenSSL's "...:SSL routines:function:reason:file:line:" - keep only the reason.
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return `TLS handshake failed${reason ? `: ${reason}` : ''} (${code})`;
}

function wordsFor(kind: TransportKind, code: string, message: string, timeoutMs: number | undefined): string {
  switch (kind) {
    case 'refused':
      return 'connection refused: nothing listens on that port';
    case 'dns':
      return code === 'EAI_AGAIN' ? 'host name lookup failed (DNS)' : 'host name not found (DNS)';
    case 'tls':
      return tlsWords(code, message);
    case 'timeout':
      return timeoutMs === undefined ? 'did not answer in time' : `did not answer within ${timeoutMs} ms`;
    case 'reset':
      return code === 'ECONNRESET' ? 'the server reset the connection (ECONNRESET) instead of answering' : `the server closed the connection without answering (${code})`;
    case 'not-http':
      return `the server answered bytes that are not HTTP (${code}): is that port a database, a TLS-only server or something else?`;
    default:
      if (code === 'EHOSTUNREACH') return 'host unreachable (EHOSTUNREACH)';
      if (code === 'ENETUNREACH') return 'network unreachable (ENETUNREACH)';
      return `${code}: ${message.replace(/\s+/g, ' ').trim()}`;
  }
}

/**
 * Name a transport failure: any error thrown by undici, fetch or node:net (the reason is looked
 * for down the cause chain). `timedOut` says the caller's own deadline fired.
 */
export function classifyTransport(err: unknown, options: { timeoutMs?: number; timedOut?: boolean } = {}): TransportFailure {
  if (err instanceof TransportError) return err.failure;
  const chain = chainOf(err);
  const codes = chain.map((e) => e.code).filter((c): c is string => typeof c === 'string' && !OWN_CODES.has(c));
  const messages = chain.map((e) => (typeof e.message === 'string' ? e.message : '')).filter(Boolean);
  const message = messages.at(-1) ?? String(err);
  const timeoutName = chain.some((e) => e.name === 'TimeoutError');
  if (options.timedOut || timeoutName) return { kind: 'timeout', code: 'timeout', words: wordsFor('timeout', 'timeout', message, options.timeoutMs) };
  // undici 7 throws HTTPParserError without llhttp's error name (`code` undefined): "Expected HTTP/"
  // is llhttp's HPE_INVALID_CONSTANT; any other parser failure is called HPE_PARSER_ERROR here.
  const parser = chain.find((e) => e.name === 'HTTPParserError' && typeof e.code !== 'string');
  if (parser && !codes.some((c) => c.startsWith('HPE_'))) codes.unshift(/Expected HTTP\//.test(String(parser.message)) ? 'HPE_INVALID_CONSTANT' : 'HPE_PARSER_ERROR');
  // The most specific code wins: fetch's "fetch failed" wraps the socket's ECONNRESET.
  const known = codes.find((c) => kindOfCode(c) !== undefined);
  const code = known ?? codes[0] ?? 'network error';
  const kind = known ? kindOfCode(known)! : 'other';
  const tlsMessage = messages.find((m) => /SSL routines|certificate/i.test(m)) ?? message;
  return { kind, code: kind === 'timeout' ? 'timeout' : code, words: wordsFor(kind, code, kind === 'tls' ? tlsMessage : message, options.timeoutMs) };
}

/** `url: words` (a timeout reads `url did not answer within N ms`). */
export function transportMessage(url: string, failure: TransportFailure): string {
  return failure.kind === 'timeout' ? `${url} ${failure.words}` : `${url}: ${failure.words}`;
}

/** A HarnessError that carries the failure as data, so a caller can switch on `failure.kind`. */
export class TransportError extends HarnessError {
  constructor(
    code: HarnessErrorCode,
    readonly url: string,
    readonly failure: TransportFailure,
    options: { message?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(code, options.message ?? transportMessage(url, failure), { hint: options.hint, cause: options.cause });
    this.name = 'TransportError';
  }
}
