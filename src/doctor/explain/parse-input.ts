/**
 * Take apart whatever a user pastes into `doctor explain`: a bare token, `Bearer <token>`, a Clerk
 * key, a status line, `curl -i` output (status + headers + body), a JSON body, or a log line.
 */

export interface ParsedInput {
  /** A JWT found in the input (bare, after Bearer, or anywhere in the text). */
  token?: string;
  /** A Clerk API key where a token was expected. */
  key?: { kind: 'secret' | 'publishable'; value: string };
  status?: number;
  statusText?: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The body (or the whole text when it is not an HTTP response). */
  body?: string;
  /** Message strings worth matching: JSON detail/message fields, header messages, the raw text. */
  messages: string[];
  /** jose error codes (ERR_...) in the input. */
  joseCodes: string[];
}

const JWT_ANYWHERE = /\b(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)/;
const KEY = /\b((sk|pk)_(test|live)_[A-Za-z0-9+/=_$-]{4,})/;
const STATUS_LINE = /^(?:HTTP\/[0-9.]+\s+)?([1-5][0-9]{2})(?:\s+([A-Za-z][A-Za-z '-]*))?$/;
const HEADER_LINE = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/;

/** At most this many strings are taken from one JSON body (a pasted list of 10^6 errors stays cheap). */
const MAX_JSON_MESSAGES = 200;

/** Strings inside a JSON body that carry the reason (FastAPI detail, Clerk errors, jose code). */
function jsonMessages(value: unknown, out: string[], depth = 0): void {
  if (depth > 4 || value === null || value === undefined || out.length >= MAX_JSON_MESSAGES) return;
  if (typeof value === 'string') {
    out.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) jsonMessages(v, out, depth + 1);
    return;
  }
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of ['detail', 'message', 'long_message', 'longMessage', 'error', 'error_description', 'reason', 'msg', 'code', 'errors']) {
      if (k in o) jsonMessages(o[k], out, depth + 1);
    }
  }
}

/** Message strings of an HTTP answer: JSON fields, the x-clerk-auth-message header, the raw body. */
export function responseMessages(body: string, headers: Record<string, string>): string[] {
  const out: string[] = [];
  const text = typeof body === 'string' ? body : '';
  try {
    // V8's JSON.parse does not recurse on the call stack: a 100k-deep body parses; jsonMessages stops at depth 4.
    if (text.trim()) jsonMessages(JSON.parse(text), out);
  } catch {
    // not JSON
  }
  if (text.trim()) out.push(text.trim());
  for (const name of ['x-clerk-auth-message', 'www-authenticate']) {
    const value = headerText((headers ?? {})[name]);
    if (value) out.push(value);
  }
  return out;
}

/**
 * A header value as text, whatever the caller's header object holds: a string, a list (Node's
 * IncomingHttpHeaders, undici's multi-value headers) or something else (ignored).
 */
export function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === 'string');
    return parts.length ? parts.join(', ') : undefined;
  }
  if (typeof value === 'number') return String(value);
  return undefined;
}

function unquote(s: string): string {
  const t = s.trim();
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1).trim() : t;
}

const LEADING_TOKEN = /^\s*(?:authorization:\s*)?(?:bearer\s+)?(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i;

/**
 * `curl -v` output: request lines start with "> ", response lines with "< ", curl's own with "* ".
 * Returns the response as `curl -i` prints it, the request's bearer token first (its own line), so
 * the rest of parseInput reads one shape; other input comes back unchanged.
 */
export function fromCurlVerbose(text: string): string {
  const lines = text.split('\n');
  if (!lines.some((l) => /^< HTTP\/[0-9.]+ [1-5]\d\d/.test(l))) return text;
  let token: string | undefined;
  const response: string[] = [];
  const body: string[] = [];
  for (const l of lines) {
    if (l.startsWith('> ')) {
      const t = /^> authorization:\s*bearer\s+(\S+)/i.exec(l);
      if (t) token = t[1];
    } else if (l.startsWith('< ')) response.push(l.slice(2));
    else if (l === '<' || l === '>' || l.startsWith('* ') || /^[{}] \[\d+ bytes data\]$/.test(l)) continue;
    else body.push(l);
  }
  const head = response.filter((l) => l.trim() !== '');
  return [...(token ? [token] : []), ...head, '', ...body].join('\n');
}

export function parseInput(raw: string): ParsedInput {
  let text = fromCurlVerbose(unquote(raw.replace(/\r\n?/g, '\n')));
  const out: ParsedInput = { headers: {}, messages: [], joseCodes: [] };
  const bare = text.replace(/^(authorization:\s*)?(bearer\s+)?/i, '').trim();
  const key = KEY.exec(bare);
  if (key && key.index === 0 && key[1].length === bare.length) {
    out.key = { kind: key[2] === 'sk' ? 'secret' : 'publishable', value: key[1] };
    return out;
  }
  if (/^eyJ[A-Za-z0-9_.=-]*$/.test(bare)) {
    // A token on its own, well-formed or not (a truncated one is still worth decoding).
    out.token = bare;
    return out;
  }

  // The token the request carried, on its own line before the answer ("<token>\n\nHTTP/1.1 403 ...").
  let leading: string | undefined;
  const head = text.split('\n');
  const lead = LEADING_TOKEN.exec(head[0] ?? '');
  if (lead && head.slice(1).some((l) => l.trim() !== '')) {
    leading = lead[1];
    let k = 1;
    while (k < head.length && head[k].trim() === '') k++;
    text = head.slice(k).join('\n');
  }

  const lines = text.split('\n');
  let i = 0;
  const first = lines[0]?.trim() ?? '';
  const status = STATUS_LINE.exec(first);
  if (status) {
    out.status = Number(status[1]);
    out.statusText = status[2]?.trim();
    i = 1;
  }
  // Header block: only right after a status line, or when the input starts with header lines.
  while (i < lines.length) {
    const h = HEADER_LINE.exec(lines[i]);
    if (!h || /\s/.test(h[1]) || (!status && !/^(x-clerk|www-authenticate|content-type|date|location|authorization)/i.test(h[1]))) break;
    out.headers[h[1].toLowerCase()] = h[2].trim();
    i++;
  }
  const body = lines.slice(i).join('\n').trim();
  if (body) out.body = body;

  out.messages = responseMessages(body, out.headers);
  out.joseCodes = [...new Set(text.match(/\bERR_[A-Z_]{4,}\b/g) ?? [])];

  const jwt = leading ? [leading, leading] : JWT_ANYWHERE.exec(text);
  if (jwt) out.token = jwt[1];
  else if (!out.status && key) out.key = { kind: key[2] === 'sk' ? 'secret' : 'publishable', value: key[1] };
  const auth = out.headers.authorization;
  if (auth && !jwt) {
    const k = KEY.exec(auth);
    if (k) out.key = { kind: k[2] === 'sk' ? 'secret' : 'publishable', value: k[1] };
  }
  return out;
}
