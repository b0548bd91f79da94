/**
 * `emulator wait`: is the env file a backend is about to read true for the emulator that runs now?
 * A file that merely exists proves nothing (a stale one from an earlier run, an emulator that failed
 * to bind its port): the file's CLERK_API_URL must answer as a clerk-harness emulator, accept the
 * file's CLERK_SECRET_KEY, and serve the file's PEM in its JWKS. One check is data; the poll repeats it.
 */
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'dotenv';
import { EMULATOR_ADMIN_PREFIX } from './types.js';
import { httpRequest } from '../http/request.js';
import { joinUrl } from '../http/url.js';

export type EnvFileCheck =
  | { ok: true; url: string; kid: string }
  | { ok: false; reason: string };

interface Jwk {
  kid?: string;
  n?: string;
  e?: string;
}

const PEM_NAMES = ['CLERK_JWT_KEY', 'CLERK_PEM_PUBLIC_KEY'] as const;

/** Check settings (from an env file or the harness's configuration) against the emulator they name. */
export async function checkEmulatorSettings(
  where: string,
  env: Record<string, string | undefined>,
  timeoutMs = 2000,
): Promise<EnvFileCheck> {
  const url = env.CLERK_API_URL;
  const secretKey = env.CLERK_SECRET_KEY;
  if (!url) return { ok: false, reason: `${where} has no CLERK_API_URL line yet` };
  if (!secretKey) return { ok: false, reason: `${where} has no CLERK_SECRET_KEY line yet` };
  const info = await httpRequest(joinUrl(url, `${EMULATOR_ADMIN_PREFIX}/info`), {
    headers: { Authorization: `Bearer ${secretKey}`, Accept: 'application/json' },
    timeoutMs,
    maxBodyBytes: 64 * 1024,
  });
  if (!info.ok) return { ok: false, reason: `no emulator answers at ${url} (CLERK_API_URL in ${where}): ${info.failure.words}` };
  const res = info.response;
  if (res.headers['x-clerk-emulator'] !== '1') {
    return { ok: false, reason: `${url} (CLERK_API_URL in ${where}) answered ${res.status} but is not a clerk-harness emulator` };
  }
  if (res.status === 401 || res.status === 403) {
    return { ok: false, reason: `the emulator at ${url} refuses the CLERK_SECRET_KEY in ${where}: the file is stale (written by an earlier emulator)` };
  }
  let kid: string | undefined;
  try {
    kid = (JSON.parse(res.body) as { kid?: unknown }).kid as string | undefined;
  } catch {
    // not JSON: said below
  }
  if (res.status !== 200 || typeof kid !== 'string') return { ok: false, reason: `the emulator at ${url} answered ${res.status} to ${EMULATOR_ADMIN_PREFIX}/info without its kid` };

  const pems = PEM_NAMES.filter((name) => env[name]);
  if (pems.length === 0) return { ok: true, url, kid };
  const jwks = await httpRequest(joinUrl(url, '/.well-known/jwks.json'), { headers: { Accept: 'application/json' }, timeoutMs, maxBodyBytes: 256 * 1024 });
  if (!jwks.ok) return { ok: false, reason: `the emulator at ${url} did not serve its JWKS: ${jwks.failure.words}` };
  let keys: Jwk[] = [];
  try {
    keys = ((JSON.parse(jwks.response.body) as { keys?: Jwk[] }).keys ?? []).filter((k) => k && typeof k === 'object');
  } catch {
    return { ok: false, reason: `the emulator at ${url} served a JWKS that is not JSON` };
  }
  for (const name of pems) {
    let jwk: Jwk;
    try {
      jwk = createPublicKey(env[name]!).export({ format: 'jwk' }) as Jwk;
    } catch {
      return { ok: false, reason: `${name} in ${where} is not a PEM public key` };
    }
    if (!keys.some((k) => k.n === jwk.n && k.e === jwk.e)) {
      return { ok: false, reason: `${name} in ${where} is not a key the emulator at ${url} serves (kid ${kid}): the file is stale (written by an earlier emulator, or before a rotation)` };
    }
  }
  return { ok: true, url, kid };
}

/** Read and check one env file; a missing file is "not yet", like a missing line. */
export async function checkEnvFile(file: string, shown: string = file): Promise<EnvFileCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: `${shown} does not exist yet` };
    return { ok: false, reason: `${shown} cannot be read: ${(err as Error).message}` };
  }
  return checkEmulatorSettings(shown, parse(text));
}

/** Repeat `check` every `intervalMs` until it passes or `timeoutMs` has passed; the last outcome is the answer. */
export async function pollUntil(check: () => Promise<EnvFileCheck>, timeoutMs: number, intervalMs = 200): Promise<EnvFileCheck> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await check();
    if (outcome.ok || Date.now() + intervalMs > deadline) return outcome;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
