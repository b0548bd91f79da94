/**
 * Drive an emulator running in another process through its /__emulator routes (rotate the key,
 * inject faults, read its info). Used by `clerk-harness emulator rotate|fault`.
 */
import { HarnessError } from '../errors.js';
import { EMULATOR_ADMIN_PREFIX, type FaultInjection } from './types.js';

async function admin<T>(apiUrl: string, secretKey: string, method: string, route: string, body?: unknown): Promise<T> {
  const url = apiUrl.replace(/\/+$/, '') + EMULATOR_ADMIN_PREFIX + route;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    const c = (cause as { cause?: { code?: string } }).cause;
    throw new HarnessError('CLERK_UNREACHABLE', `cannot reach the emulator at ${apiUrl}: ${c?.code ?? (cause as Error).message}`, {
      hint: 'start it with `clerk-harness emulator`, or pass its address with --url',
      cause,
    });
  }
  const json = (await res.json().catch(() => ({}))) as T & { errors?: Array<{ code?: string; long_message?: string }> };
  if (res.ok) return json;
  if (res.headers.get('x-clerk-emulator') !== '1') {
    throw new HarnessError('CLERK_API', `${apiUrl} is not a clerk-harness emulator (${method} ${EMULATOR_ADMIN_PREFIX}${route} answered ${res.status})`);
  }
  const first = json.errors?.[0];
  if (res.status === 401) {
    throw new HarnessError('CLERK_API', `the emulator at ${apiUrl} rejected the secret key (401 clerk_key_invalid)`, {
      hint: 'pass the CLERK_SECRET_KEY it printed at start (--secret-key or the environment)',
    });
  }
  throw new HarnessError('CLERK_API', `the emulator at ${apiUrl} refused: ${res.status} ${first?.code ?? ''} ${first?.long_message ?? ''}`.trim());
}

export function rotateRemoteKey(apiUrl: string, secretKey: string): Promise<{ kid: string; public_pem: string }> {
  return admin(apiUrl, secretKey, 'POST', '/rotate');
}

export async function injectRemoteFault(apiUrl: string, secretKey: string, fault: FaultInjection): Promise<void> {
  await admin(apiUrl, secretKey, 'POST', '/faults', {
    status: fault.status,
    count: fault.count,
    retry_after_seconds: fault.retryAfterSeconds,
    path_pattern: fault.pathPattern,
  });
}

export function remoteInfo(apiUrl: string, secretKey: string): Promise<{ issuer: string; kid: string; publishable_key: string; jwks_url: string }> {
  return admin(apiUrl, secretKey, 'GET', '/info');
}
