/**
 * `clerk-harness/artillery`: an Artillery processor that puts a fresh Clerk session token on every
 * request. In the scenario:
 *
 *   config:
 *     processor: "./processor.mjs"      # export { setClerkToken } from 'clerk-harness/artillery'
 *   scenarios:
 *     - beforeRequest: setClerkToken    # every request of the scenario
 *       flow: [...]
 *
 * Where the tokens come from (read once per Artillery worker, from its environment):
 *   CLERK_HARNESS_TOKENS_URL  a `clerk-harness tokens serve` endpoint (…/token): one supply shared by
 *                             all workers on this machine;
 *   otherwise                 a token supply inside the worker, configured like `mint`:
 *                             CLERK_SECRET_KEY, CLERK_API_URL, CLERK_TEST_USER_ID / _EMAIL,
 *                             CLERK_JWT_TEMPLATE (.env.local, .env, environment), plus
 *                             CLERK_HARNESS_USERS (N test users), CLERK_HARNESS_EXPIRES_IN (s),
 *                             CLERK_HARNESS_MAX_AGE (e.g. 50s), CLERK_HARNESS_MINT_RATE (e.g. 20/10s:
 *                             per worker, so divide Clerk's budget by workers × runners).
 * A scenario variable `clerkUser` (from a payload or `config.variables`) picks the user.
 *
 * It also reports two custom metrics: counter `clerk_harness.tokens_attached` and histogram
 * `clerk_harness.token_age_ms` (age of the token when the request left).
 */
import { HarnessError } from './errors.js';
import { httpRequest } from './http/request.js';
import type { TokenSupply } from './load/token-supply.js';

interface TokenProvider {
  token(user?: string): Promise<{ token: string; ageMs: number }>;
}

interface ArtilleryRequest {
  headers?: Record<string, string>;
}
interface ArtilleryContext {
  vars?: Record<string, unknown>;
}
interface ArtilleryEvents {
  emit(kind: 'counter' | 'histogram', name: string, value: number): void;
}

let provider: Promise<TokenProvider> | undefined;
let supplyInUse: TokenSupply | undefined;

/** Fetch from `tokens serve`; a named user's token is kept until the server says it goes stale. */
function remoteProvider(endpoint: string): TokenProvider {
  const cache = new Map<string, { token: string; staleAt: number; issuedAt: number }>();
  const inflight = new Map<string, Promise<{ token: string; staleAt: number; issuedAt: number }>>();
  const fetchOne = async (user: string) => {
    const url = new URL(endpoint);
    if (user) url.searchParams.set('user', user);
    const out = await httpRequest(url, { timeoutMs: 30_000 });
    if (!out.ok) {
      throw new HarnessError('CLERK_UNREACHABLE', `cannot reach clerk-harness tokens serve at ${url.origin}: ${out.failure.words}`, {
        hint: 'start `clerk-harness tokens serve` first, or fix CLERK_HARNESS_TOKENS_URL (the …/token URL it prints)',
        cause: out.cause,
      });
    }
    const res = out.response;
    let body: { token?: string; stale_at?: string; age_ms?: number; error?: string } = {};
    try {
      body = (JSON.parse(res.body) as typeof body) ?? {};
    } catch {
      // not JSON: said below with the status
    }
    if (res.status < 200 || res.status >= 300 || typeof body.token !== 'string' || typeof body.stale_at !== 'string') {
      throw new HarnessError('CLERK_API', `clerk-harness tokens serve at ${url.origin} answered ${res.status}${typeof body.error === 'string' ? `: ${body.error}` : ''}`);
    }
    const now = Date.now();
    return { token: body.token, staleAt: Date.parse(body.stale_at), issuedAt: now - (body.age_ms ?? 0) };
  };
  return {
    async token(user = '') {
      // Without a user the server picks one (round robin), so every request asks it.
      if (!user) {
        const t = await fetchOne('');
        return { token: t.token, ageMs: Date.now() - t.issuedAt };
      }
      let t = cache.get(user);
      if (!t || Date.now() >= t.staleAt) {
        let p = inflight.get(user);
        if (!p) {
          p = fetchOne(user).finally(() => inflight.delete(user));
          inflight.set(user, p);
        }
        t = await p;
        cache.set(user, t);
      }
      return { token: t.token, ageMs: Date.now() - t.issuedAt };
    },
  };
}

async function localProvider(env: NodeJS.ProcessEnv): Promise<TokenProvider> {
  const [{ loadClerkSettings }, { supplySettingsFrom, clerkOf }, { startTokenSupply }] = await Promise.all([
    import('./tokens/local-emulator.js'),
    import('./load/supply-flags.js'),
    import('./load/supply-from-config.js'),
  ]);
  const { config } = loadClerkSettings({ cwd: process.cwd(), environment: env });
  const settings = supplySettingsFrom(
    'artillery processor',
    { users: env.CLERK_HARNESS_USERS || undefined, 'expires-in': env.CLERK_HARNESS_EXPIRES_IN || undefined, 'max-age': env.CLERK_HARNESS_MAX_AGE || undefined, 'mint-rate': env.CLERK_HARNESS_MINT_RATE || undefined },
    clerkOf(config),
    config.jwtTemplate,
  );
  const supply = await startTokenSupply(settings);
  supplyInUse = supply;
  return {
    async token(user) {
      const t = await supply.get(user || undefined);
      return { token: t.token, ageMs: Date.now() - t.issuedAt };
    },
  };
}

function getProvider(): Promise<TokenProvider> {
  if (!provider) {
    const env = process.env;
    const p = env.CLERK_HARNESS_TOKENS_URL ? Promise.resolve(remoteProvider(env.CLERK_HARNESS_TOKENS_URL)) : localProvider(env);
    provider = p;
    p.catch(() => provider === p && (provider = undefined)); // the next request tries again
  }
  return provider;
}

/** Artillery `beforeRequest` hook: set `Authorization: Bearer <fresh token>`. */
export async function setClerkToken(req: ArtilleryRequest, context: ArtilleryContext, events?: ArtilleryEvents): Promise<void> {
  const user = context?.vars?.clerkUser;
  const { token, ageMs } = await (await getProvider()).token(typeof user === 'string' && user ? user : undefined);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) if (k.toLowerCase() !== 'authorization') headers[k] = v;
  headers.authorization = `Bearer ${token}`;
  req.headers = headers;
  events?.emit('counter', 'clerk_harness.tokens_attached', 1);
  events?.emit('histogram', 'clerk_harness.token_age_ms', Math.max(0, ageMs));
}

/** The same hook under Artillery's own name, for `beforeRequest: beforeRequest`. */
export const beforeRequest = setClerkToken;

/** Stop the worker's token supply (Artillery's `after` hooks or tests). */
export function stopClerkTokens(): void {
  supplyInUse?.stop();
  supplyInUse = undefined;
  provider = undefined;
}
