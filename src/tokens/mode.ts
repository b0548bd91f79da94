/**
 * Which world CLERK_API_URL points at. A clerk-harness emulator answers GET /__emulator/info
 * (and marks every response with x-clerk-emulator); real Clerk answers 404 there. Any failure to
 * connect is left to the Backend API calls, which retry and report it properly.
 */
import { EMULATOR_ADMIN_PREFIX } from '../emulator/types.js';
import { HarnessError } from '../errors.js';

/** Longest answer read from a URL that claims to be Clerk; the rest is discarded. */
export const MAX_PROBE_BODY_BYTES = 1024 * 1024;

export interface EmulatorInfo {
  issuer: string;
  kid: string;
  publishable_key: string;
  jwks_url: string;
}

export type ModeProbe =
  | { mode: 'emulator'; info: EmulatorInfo }
  /** An emulator that refused the secret key (still an emulator, for error messages). */
  | { mode: 'emulator-key-rejected' }
  | { mode: 'clerk' };

/** Read at most `max` bytes of a body; `over` when there was more (the rest is never read). */
export async function readCapped(res: Response, max = MAX_PROBE_BODY_BYTES): Promise<{ text: string; over: boolean }> {
  if (!res.body) return { text: '', over: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return { text: '', over: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), over: false };
}

/** The fix for every "this is not Clerk" error. */
export const NOT_CLERK_HINT = 'set CLERK_API_URL to https://api.clerk.com (or leave it unset), or to the URL `clerk-harness emulator` printed; it must not point at your own API or another service';

export function notClerk(apiUrl: string, detail: string): HarnessError {
  return new HarnessError('CLERK_API', `CLERK_API_URL does not answer like Clerk's Backend API: ${apiUrl} ${detail}`, { hint: NOT_CLERK_HINT });
}

/** Transport failures a retry will not cure, in words (garbage bytes are not "unreachable"). */
export function transportWords(code: string | undefined): string | undefined {
  if (!code) return undefined;
  if (code.startsWith('HPE_')) return `answered with bytes that are not HTTP (${code}): is that port a database, a TLS-only server or something else?`;
  if (code === 'ECONNRESET') return 'reset the connection (ECONNRESET) instead of answering';
  if (code === 'UND_ERR_SOCKET') return 'closed the connection without answering (UND_ERR_SOCKET)';
  return undefined;
}

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/**
 * One bounded request to GET /v1/jwks: real Clerk answers {"keys": [...]} with a valid key and
 * {"errors": [...]} without; anything else (200 {}, an HTML page, a megabyte of something, bytes
 * that are not HTTP) is not Clerk, and is said so before the SDK meets it. Connection refused, DNS
 * and timeouts are left to the calls, which retry and name them.
 */
export async function checkClerkAnswers(apiUrl: string, secretKey: string, timeoutMs = 5000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(joinUrl(apiUrl, '/v1/jwks'), { headers: { Authorization: `Bearer ${secretKey}`, Accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // Garbage bytes will not turn into HTTP on a retry; a reset or a refusal might: the calls retry.
    const code = errorCode(err);
    if (code?.startsWith('HPE_')) throw notClerk(apiUrl, transportWords(code)!);
    return;
  }
  let body: { text: string; over: boolean };
  try {
    body = await readCapped(res);
  } catch (err) {
    throw notClerk(apiUrl, `broke off its answer to GET /v1/jwks (${errorCode(err) ?? (err as Error).message})`);
  }
  if (body.over) throw notClerk(apiUrl, `answered GET /v1/jwks with more than ${MAX_PROBE_BODY_BYTES} bytes (read no further)`);
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    const type = res.headers.get('content-type') ?? 'no content-type';
    throw notClerk(apiUrl, `answered GET /v1/jwks with ${res.status} and a body that is not JSON (${type})`);
  }
  const o = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (o && res.ok && Array.isArray(o.keys)) return;
  if (o && !res.ok && Array.isArray(o.errors)) return; // Clerk refusing the key or busy: the calls explain it
  const shown = body.text.length > 60 ? `${body.text.slice(0, 57)}...` : body.text;
  throw notClerk(apiUrl, `answered GET /v1/jwks with ${res.status} ${JSON.stringify(shown.replace(/\s+/g, ' '))}, not a JWKS ({"keys": [...]}) or Clerk errors`);
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

export async function detectMode(apiUrl: string, secretKey: string, timeoutMs = 3000): Promise<ModeProbe> {
  try {
    const res = await fetch(joinUrl(apiUrl, `${EMULATOR_ADMIN_PREFIX}/info`), {
      headers: { Authorization: `Bearer ${secretKey}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const fromEmulator = res.headers.get('x-clerk-emulator') === '1';
    if (res.ok && fromEmulator) {
      const { text } = await readCapped(res, 64 * 1024);
      const body = JSON.parse(text || 'null') as (Partial<EmulatorInfo> & { object?: string }) | null;
      if (body?.object === 'emulator' && typeof body.kid === 'string') return { mode: 'emulator', info: body as EmulatorInfo };
    }
    await res.body?.cancel();
    return fromEmulator ? { mode: 'emulator-key-rejected' } : { mode: 'clerk' };
  } catch {
    return { mode: 'clerk' };
  }
}

/**
 * For `emulator rotate|fault`: is `url` a running clerk-harness emulator? One bounded GET of its
 * info route, read no further than the headers. Refused connections are left to the admin call.
 */
export async function checkIsEmulator(url: string, secretKey: string, timeoutMs = 5000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(joinUrl(url, `${EMULATOR_ADMIN_PREFIX}/info`), { headers: { Authorization: `Bearer ${secretKey}` }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const words = transportWords(errorCode(err));
    if (words) throw new HarnessError('CLERK_API', `${url} is not a clerk-harness emulator: it ${words}`, { hint: EMULATOR_HINT });
    return;
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.headers.get('x-clerk-emulator') !== '1') {
    throw new HarnessError('CLERK_API', `${url} is not a clerk-harness emulator: GET ${EMULATOR_ADMIN_PREFIX}/info answered ${res.status} without the emulator's x-clerk-emulator header`, { hint: EMULATOR_HINT });
  }
}

const EMULATOR_HINT = 'pass the URL `clerk-harness emulator` printed with --url (or set CLERK_API_URL to it)';
