/**
 * Drive an emulator running in another process through its /__emulator routes (rotate the key,
 * inject faults, read its info). Used by `clerk-harness emulator rotate|fault`.
 */
import { HarnessError } from '../errors.js';
import { httpRequest } from '../http/request.js';
import { joinUrl } from '../http/url.js';
import { EMULATOR_ADMIN_PREFIX, type FaultInjection } from './types.js';

async function admin<T>(apiUrl: string, secretKey: string, method: string, route: string, body?: unknown): Promise<T> {
  const out = await httpRequest(joinUrl(apiUrl, EMULATOR_ADMIN_PREFIX + route), {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    timeoutMs: 10_000,
  });
  if (!out.ok) {
    throw new HarnessError('CLERK_UNREACHABLE', `cannot reach the emulator at ${apiUrl}: ${out.failure.words}`, {
      hint: 'start it with `clerk-harness emulator`, or pass its address with --url',
      cause: out.cause,
    });
  }
  const res = out.response;
  let json = {} as T & { errors?: Array<{ code?: string; long_message?: string }> };
  try {
    json = JSON.parse(res.body) as typeof json;
  } catch {
    // not JSON: said below by status and header
  }
  if (res.status >= 200 && res.status < 300) return json;
  if (res.headers['x-clerk-emulator'] !== '1') {
    throw new HarnessError('CLERK_API', `${apiUrl} is not a clerk-harness emulator (${method} ${EMULATOR_ADMIN_PREFIX}${route} answered ${res.status})`);
  }
  const first = json?.errors?.[0];
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
