/**
 * Which world CLERK_API_URL points at. A clerk-harness emulator answers GET /__emulator/info
 * (and marks every response with x-clerk-emulator); real Clerk answers 404 there. Any failure to
 * connect is left to the Backend API calls, which retry and report it properly.
 */
import { EMULATOR_ADMIN_PREFIX } from '../emulator/types.js';
import { HarnessError } from '../errors.js';
import { MAX_BODY_BYTES } from '../http/body.js';
import { httpRequest } from '../http/request.js';
import { joinUrl } from '../http/url.js';

export interface EmulatorInfo {
  issuer: string;
  kid: string;
  publishable_key: string;
  jwks_url: string;
}

export type ModeProbe =
  | { mode: 'emulator'; info: EmulatorInfo }
  /**
   * An emulator that did not answer its info route (still an emulator, for error messages);
   * `keyInvalid` when the answer was its 401 clerk_key_invalid for the secret key.
   */
  | { mode: 'emulator-key-rejected'; keyInvalid: boolean }
  | { mode: 'clerk' };

/** The fix for every "this is not Clerk" error. */
export const NOT_CLERK_HINT = 'set CLERK_API_URL to https://api.clerk.com (or leave it unset), or to the URL `clerk-harness emulator` printed; it must not point at your own API or another service';

export function notClerk(apiUrl: string, detail: string): HarnessError {
  return new HarnessError('CLERK_API', `CLERK_API_URL does not answer like Clerk's Backend API: ${apiUrl} ${detail}`, { hint: NOT_CLERK_HINT });
}

/** The one error for a secret key the Clerk API (or the emulator) refuses. */
export function keyRejected(apiUrl: string, emulator: boolean, cause?: unknown): HarnessError {
  const hint = emulator
    ? 'use the CLERK_SECRET_KEY the emulator printed at start (or start it with --secret-key)'
    : 'copy the current secret key from Clerk Dashboard → API keys into CLERK_SECRET_KEY (sk_test_… for a development instance)';
  return new HarnessError('CLERK_API', `CLERK_SECRET_KEY was rejected by ${apiUrl} (401 clerk_key_invalid)`, { hint, ...(cause === undefined ? {} : { cause }) });
}

/**
 * One bounded request to GET /v1/jwks: real Clerk answers {"keys": [...]} with a valid key and
 * {"errors": [...]} without; anything else (200 {}, an HTML page, a megabyte of something, bytes
 * that are not HTTP) is not Clerk, and is said so before the SDK meets it. Connection refused, DNS
 * and timeouts are left to the calls, which retry and name them.
 */
export async function checkClerkAnswers(apiUrl: string, secretKey: string, timeoutMs = 5000): Promise<void> {
  const out = await httpRequest(joinUrl(apiUrl, '/v1/jwks'), { headers: { Authorization: `Bearer ${secretKey}`, Accept: 'application/json' }, timeoutMs });
  if (!out.ok) {
    // Garbage bytes will not turn into HTTP on a retry; a reset or a refusal might: the calls retry.
    if (out.failure.kind === 'not-http') throw notClerk(apiUrl, `(GET /v1/jwks): ${out.failure.words}`);
    if (out.status !== undefined) throw notClerk(apiUrl, `broke off its answer to GET /v1/jwks (${out.failure.words})`);
    return;
  }
  const res = out.response;
  if (res.truncatedAt !== undefined) throw notClerk(apiUrl, `answered GET /v1/jwks with more than ${MAX_BODY_BYTES} bytes (read no further)`);
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    const type = res.headers['content-type'] ?? 'no content-type';
    throw notClerk(apiUrl, `answered GET /v1/jwks with ${res.status} and a body that is not JSON (${type})`);
  }
  const ok = res.status >= 200 && res.status < 300;
  const o = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (o && ok && Array.isArray(o.keys)) return;
  if (o && !ok && Array.isArray(o.errors)) return; // Clerk refusing the key or busy: the calls explain it
  const shown = res.body.length > 60 ? `${res.body.slice(0, 57)}...` : res.body;
  throw notClerk(apiUrl, `answered GET /v1/jwks with ${res.status} ${JSON.stringify(shown.replace(/\s+/g, ' '))}, not a JWKS ({"keys": [...]}) or Clerk errors`);
}

export async function detectMode(apiUrl: string, secretKey: string, timeoutMs = 3000): Promise<ModeProbe> {
  const out = await httpRequest(joinUrl(apiUrl, `${EMULATOR_ADMIN_PREFIX}/info`), {
    headers: { Authorization: `Bearer ${secretKey}`, Accept: 'application/json' },
    timeoutMs,
    maxBodyBytes: 64 * 1024,
  });
  // Any failure to connect is left to the Backend API calls, which retry and name it.
  if (!out.ok) return { mode: 'clerk' };
  const res = out.response;
  const fromEmulator = res.headers['x-clerk-emulator'] === '1';
  if (res.status >= 200 && res.status < 300 && fromEmulator && res.truncatedAt === undefined) {
    try {
      const body = JSON.parse(res.body || 'null') as (Partial<EmulatorInfo> & { object?: string }) | null;
      if (body?.object === 'emulator' && typeof body.kid === 'string') return { mode: 'emulator', info: body as EmulatorInfo };
    } catch {
      return { mode: 'clerk' }; // not the emulator's info: the checks for real Clerk look closer
    }
  }
  if (!fromEmulator) return { mode: 'clerk' };
  let keyInvalid = false;
  if (res.status === 401) {
    try {
      keyInvalid = (JSON.parse(res.body) as { errors?: Array<{ code?: unknown }> }).errors?.[0]?.code === 'clerk_key_invalid';
    } catch {
      // not the emulator's error envelope
    }
  }
  return { mode: 'emulator-key-rejected', keyInvalid };
}

/**
 * For `emulator rotate|fault`: is `url` a running clerk-harness emulator? One bounded GET of its
 * info route, read no further than the headers. Refused connections are left to the admin call.
 */
export async function checkIsEmulator(url: string, secretKey: string, timeoutMs = 5000): Promise<void> {
  const out = await httpRequest(joinUrl(url, `${EMULATOR_ADMIN_PREFIX}/info`), { headers: { Authorization: `Bearer ${secretKey}` }, timeoutMs, readBody: false });
  if (!out.ok) {
    // Garbage bytes or a reset are an answer from something else; a refusal is left to the admin call.
    if (out.failure.kind === 'not-http' || out.failure.kind === 'reset') throw new HarnessError('CLERK_API', `${url} is not a clerk-harness emulator: ${out.failure.words}`, { hint: EMULATOR_HINT });
    return;
  }
  if (out.response.headers['x-clerk-emulator'] !== '1') {
    throw new HarnessError('CLERK_API', `${url} is not a clerk-harness emulator: GET ${EMULATOR_ADMIN_PREFIX}/info answered ${out.response.status} without the emulator's x-clerk-emulator header`, { hint: EMULATOR_HINT });
  }
}

const EMULATOR_HINT = 'pass the URL `clerk-harness emulator` printed with --url (or set CLERK_API_URL to it)';
