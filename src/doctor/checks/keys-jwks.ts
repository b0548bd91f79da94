/**
 * keys.jwks: the keys Clerk publishes for the instance the BACKEND's env file points at: the
 * Backend API's /v1/jwks with the backend's secret key (what @clerk/backend uses) and the
 * Frontend API's public /.well-known/jwks.json (what jose/PyJWKClient setups use).
 */
import { createClerkClient } from '@clerk/backend';
import type { JWK } from 'jose';
import { valueProblem } from '../../config/placeholders.js';
import { DEFAULT_API_URL } from '../../config/load.js';
import { httpExchange } from '../lib/http.js';
import { fingerprint } from '../lib/pem.js';
import type { CheckModule, Facts } from '../types.js';
import { backendEnv, firstValue } from './env-values.js';

type Fetched = { ok: true; keys: JWK[] } | { ok: false; rejected?: number; error: string };

async function fromBackendApi(apiUrl: string, secretKey: string, timeoutMs: number): Promise<Fetched> {
  const clerk = createClerkClient({ secretKey, apiUrl, telemetry: { disabled: true } });
  let timer: NodeJS.Timeout | undefined;
  // The SDK call has no timeout of its own; doctor must answer even when the network hangs.
  const timeout = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  try {
    const jwks = await Promise.race([clerk.jwks.getJwks(), timeout]);
    return { ok: true, keys: (jwks.keys ?? []) as JWK[] };
  } catch (err) {
    const e = err as { status?: number; errors?: Array<{ code?: string; message?: string }>; message?: string };
    if (e.status === 401 || e.status === 403) return { ok: false, rejected: e.status, error: e.errors?.[0]?.code ?? 'unauthorized' };
    return { ok: false, error: e.status ? `HTTP ${e.status}` : (e.errors?.[0]?.message ?? e.message ?? 'network error') };
  } finally {
    clearTimeout(timer);
  }
}

async function fromFrontendApi(url: string, timeoutMs: number): Promise<Fetched> {
  const res = await httpExchange({ method: 'GET', url, headers: { accept: 'application/json' }, timeoutMs });
  if (!res.ok) return { ok: false, error: `${res.code}` };
  if (res.exchange.status !== 200) return { ok: false, error: `HTTP ${res.exchange.status}` };
  try {
    return { ok: true, keys: ((JSON.parse(res.exchange.body) as { keys?: JWK[] }).keys ?? []) as JWK[] };
  } catch {
    return { ok: false, error: 'not JSON' };
  }
}

/** The Frontend API JWKS URL: CLERK_JWKS_URL, else CLERK_ISSUER's, else the publishable key's host. */
export function frontendJwksUrl(env: NonNullable<Facts['env']>): string | undefined {
  const explicit = firstValue(env, ['CLERK_JWKS_URL']);
  if (explicit) return explicit.value;
  const issuer = firstValue(env, ['CLERK_ISSUER', 'CLERK_FRONTEND_API_URL']);
  if (issuer && !valueProblem(issuer.value)) return `${issuer.value.replace(/\/+$/, '')}/.well-known/jwks.json`;
  const pk = firstValue(env, ['CLERK_PUBLISHABLE_KEY', 'NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY', 'VITE_CLERK_PUBLISHABLE_KEY']);
  const m = pk && /^pk_(test|live)_(.+)$/.exec(pk.value);
  if (!m) return undefined;
  const host = Buffer.from(m[2], 'base64').toString('utf8').replace(/\$$/, '');
  return host.includes('.') ? `https://${host}/.well-known/jwks.json` : undefined;
}

const kidsOf = (keys: JWK[]) => keys.map((k) => k.kid ?? '(no kid)').join(', ') || '(none)';

export const keysJwks: CheckModule = {
  id: 'keys.jwks',
  async run(ctx, facts) {
    const env = backendEnv(facts);
    const secret = firstValue(env, ['CLERK_SECRET_KEY']);
    const apiUrl = firstValue(env, ['CLERK_API_URL'])?.value ?? DEFAULT_API_URL;
    const feUrl = frontendJwksUrl(env);
    const useSecret = secret && !valueProblem(secret.value) ? secret.value : undefined;
    if (!useSecret && !feUrl) return { outcome: 'no-source' };
    const [bapi, fapi] = await Promise.all([
      useSecret ? fromBackendApi(apiUrl, useSecret, ctx.options.timeoutMs) : undefined,
      feUrl ? fromFrontendApi(feUrl, ctx.options.timeoutMs) : undefined,
    ]);
    const evidence: string[] = [];
    const sources: string[] = [];
    const keys: JWK[] = [];
    const add = (label: string, f: Fetched | undefined) => {
      if (!f) return;
      if (f.ok) {
        sources.push(label);
        evidence.push(`${label}: ${f.keys.map((k) => `${k.kid} (${fingerprint(k)})`).join(', ') || 'no keys'}`);
        for (const k of f.keys) if (!keys.some((x) => x.kid === k.kid && x.n === k.n)) keys.push(k);
      } else evidence.push(`${label}: ${f.rejected ? `rejected (${f.rejected})` : `failed (${f.error})`}`);
    };
    add(`${apiUrl.replace(/\/+$/, '')}/v1/jwks (backend's CLERK_SECRET_KEY)`, bapi);
    add(feUrl ?? '', fapi);
    if (bapi && !bapi.ok && bapi.rejected) {
      return { outcome: 'key-rejected', vars: { status: bapi.rejected, envFile: env.display }, evidence };
    }
    if (keys.length === 0) {
      const error = [bapi, fapi].filter((f): f is Extract<Fetched, { ok: false }> => !!f && !f.ok).map((f) => f.error).join('; ') || 'no keys published';
      return { outcome: 'unreachable', vars: { error }, evidence };
    }
    if (bapi?.ok && fapi?.ok && bapi.keys.length && fapi.keys.length && !bapi.keys.some((b) => fapi.keys.some((f) => f.n === b.n))) {
      return {
        outcome: 'sources-disagree',
        vars: { detail: `the backend's secret key and its issuer/publishable key belong to different instances (${kidsOf(bapi.keys)} vs ${kidsOf(fapi.keys)})` },
        evidence,
        facts: { backendJwks: { keys: bapi.keys, sources } },
      };
    }
    return { outcome: 'fetched', vars: { kids: kidsOf(keys) }, details: evidence, facts: { backendJwks: { keys, sources } } };
  },
};
