/**
 * clerk.config and clerk.api: the harness's OWN access to Clerk (its CLERK_SECRET_KEY and
 * CLERK_API_URL, from the directory doctor runs in), which it needs to mint fresh tokens. This is
 * not the backend's env file; keys.jwks checks the backend's key.
 */
import type { JWK } from 'jose';
import { loadConfig } from '../../config/load.js';
import { isHarnessError } from '../../errors.js';
import { dateOffsetMs, httpExchange } from '../lib/http.js';
import type { CheckModule } from '../types.js';

export const clerkConfig: CheckModule = {
  id: 'clerk.config',
  async run(ctx) {
    let config;
    try {
      config = loadConfig({ cwd: ctx.cwd, environment: ctx.env });
    } catch (err) {
      if (!isHarnessError(err)) throw err;
      return {
        outcome: 'invalid',
        vars: { message: err.message },
        fix: err.hint ?? 'fix the variable named above (the harness reads .env.local, .env, then the environment)',
        facts: { unavailable: { 'clerk-network': `the harness's configuration is invalid (${err.message})` } },
      };
    }
    if (!config.clerkSecretKey) {
      return {
        outcome: 'no-secret-key',
        facts: { unavailable: { 'clerk-network': 'the harness has no CLERK_SECRET_KEY to mint tokens with' } },
      };
    }
    const where = config.sources.CLERK_SECRET_KEY ?? 'environment';
    return {
      outcome: 'ready',
      vars: { apiUrl: config.clerkApiUrl, mode: `secret key from ${where}` },
      details: [`CLERK_API_URL ${config.clerkApiUrl} (${config.sources.CLERK_API_URL ?? 'default'})`, `CLERK_SECRET_KEY from ${where}`],
      facts: { harness: { config, apiUrl: config.clerkApiUrl } },
    };
  },
};

export const clerkApi: CheckModule = {
  id: 'clerk.api',
  async run(ctx, facts) {
    const { config, apiUrl } = facts.harness!;
    // A raw GET rather than @clerk/backend's jwks.getJwks(): the Date header is needed for the
    // clock check, and the SDK does not expose response headers.
    const res = await httpExchange({
      method: 'GET',
      url: `${apiUrl.replace(/\/+$/, '')}/v1/jwks`,
      headers: { authorization: `Bearer ${config.clerkSecretKey}`, accept: 'application/json' },
      timeoutMs: ctx.options.timeoutMs,
      now: ctx.now,
    });
    if (!res.ok) {
      return {
        outcome: 'unreachable',
        vars: { apiUrl, error: res.error },
        facts: { unavailable: { 'clerk-network': `cannot reach ${apiUrl}: ${res.error}` } },
      };
    }
    const ex = res.exchange;
    if (ex.status === 401 || ex.status === 403) {
      let code = '';
      try {
        code = (JSON.parse(ex.body) as { errors?: Array<{ code?: string }> }).errors?.[0]?.code ?? '';
      } catch {
        // not a Clerk error body
      }
      return {
        outcome: 'key-rejected',
        vars: { apiUrl, status: ex.status, code },
        facts: { unavailable: { 'clerk-network': `${apiUrl} rejects the harness's secret key` } },
      };
    }
    if (ex.status !== 200) {
      return { outcome: 'error', vars: { apiUrl, status: ex.status }, facts: { unavailable: { 'clerk-network': `${apiUrl} answered ${ex.status}` } } };
    }
    let keys: JWK[] = [];
    try {
      keys = ((JSON.parse(ex.body) as { keys?: JWK[] }).keys ?? []) as JWK[];
    } catch {
      // keys stay empty; minting will tell
    }
    return {
      outcome: 'accepted',
      vars: { apiUrl },
      details: [`JWKS kids: ${keys.map((k) => k.kid).join(', ') || '(none)'}`, `Date: ${ex.headers.date ?? '(none)'}`],
      facts: { clerkOffsetMs: dateOffsetMs(ex), harnessJwks: keys },
    };
  },
};
