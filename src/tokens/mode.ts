/**
 * Which world CLERK_API_URL points at. A clerk-harness emulator answers GET /__emulator/info
 * (and marks every response with x-clerk-emulator); real Clerk answers 404 there. Any failure to
 * connect is left to the Backend API calls, which retry and report it properly.
 */
import { EMULATOR_ADMIN_PREFIX } from '../emulator/types.js';

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
      const body = (await res.json()) as Partial<EmulatorInfo> & { object?: string };
      if (body.object === 'emulator' && typeof body.kid === 'string') return { mode: 'emulator', info: body as EmulatorInfo };
    }
    await res.body?.cancel();
    return fromEmulator ? { mode: 'emulator-key-rejected' } : { mode: 'clerk' };
  } catch {
    return { mode: 'clerk' };
  }
}
