/**
 * The token supply: a pool of session tokens, one current token per identity (a test user or a
 * persona), each replaced in the background before it reaches `maxAge` (default 50 s of a 60 s
 * token, i.e. 5/6 of the lifetime the token itself states with exp - iat), minted through the same
 * token source as `run` at a rate that stays under Clerk's Backend API limits and pauses for a
 * 429's Retry-After. It never hands out a token older than maxAge: `current()` answers nothing
 * rather than a stale token, and `get()` waits for the replacement.
 *
 * Replacement starts at `refreshAt` (default half of maxAge), so a refusal storm as long as the
 * other half of maxAge is ridden out on the current token without a single stale request.
 */
import { HarnessError } from '../errors.js';
import type { MintedToken } from '../tokens/types.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_MINT_RATE, peakInWindow, SlidingWindowLimiter, type RateLimit } from './rate-limit.js';

export interface SupplyIdentity {
  /** Shown in reports and used to ask for this identity's token (a user id or a persona name). */
  name: string;
  /** One Backend API call (more on the first: user lookup, session) returning a fresh token. */
  mint(): Promise<MintedToken>;
}

export interface SuppliedToken {
  readonly token: string;
  readonly identity: string;
  readonly sub?: string;
  /** The token's own `iat` (seconds). */
  readonly iat: number;
  /** Clock ms its age counts from: `iat`, or when the mint was sent if that is earlier (clock skew). */
  readonly issuedAt: number;
  /** exp - iat, in ms. */
  readonly lifetimeMs: number;
  /** issuedAt + maxAge: from then on it is never handed out. */
  readonly staleAt: number;
}

export type SupplyEvent =
  | { type: 'minted'; identity: string; at: number; lifetimeMs: number }
  | { type: 'rate-limited'; identity: string; at: number; waitMs: number }
  | { type: 'mint-failed'; identity: string; at: number; message: string; retryInMs: number };

export interface TokenSupplyOptions {
  identities: SupplyIdentity[];
  /** Oldest a token may be when handed out. Default: 5/6 of its lifetime (50 s of 60 s). */
  maxAgeMs?: number;
  /** Age at which its replacement is minted. Default: half of maxAge (later if the rate limit needs it). */
  refreshAtMs?: number;
  /** Backend API calls allowed per window. Default 20 per 10 s (see DEFAULT_MINT_RATE). */
  rateLimit?: RateLimit;
  clock?: Clock;
  /** Calls an identity's first mint may cost (find/create the user, create a session, mint). Default 4. */
  firstMintCost?: number;
  /** How long ready() and get() wait for a token before failing, in clock ms. Default 60 s. */
  waitTimeoutMs?: number;
  onEvent?: (event: SupplyEvent) => void;
}

export interface SupplyStats {
  identities: number;
  minted: number;
  /** Backend API calls charged against the limit (first mints count firstMintCost). */
  calls: number;
  rateLimited: number;
  failures: number;
  lastError?: string;
  limit: RateLimit;
  /** Most calls in any window of limit.perMs: must never exceed limit.calls. */
  peakCallsInWindow: number;
  lifetimeMs?: number;
  maxAgeMs?: number;
  refreshAtMs?: number;
  /** Clock ms of every call charged (for tests and the JSON report). */
  callTimes: number[];
}

interface Waiter {
  resolve(token: SuppliedToken): void;
  reject(err: unknown): void;
}

interface IdentityState {
  identity: SupplyIdentity;
  current?: SuppliedToken;
  inflight: boolean;
  everMinted: boolean;
  /** Not before this clock ms (backoff after a failure). */
  notBefore: number;
  failuresInRow: number;
  waiters: Waiter[];
}

/** A 429 somewhere in the error's cause chain, with its Retry-After in ms when it had one. */
export function rateLimitOf(err: unknown): { retryAfterMs?: number } | undefined {
  for (let e = err as { status?: unknown; retryAfter?: unknown; cause?: unknown } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) {
    if (e.status === 429) return { retryAfterMs: typeof e.retryAfter === 'number' ? e.retryAfter * 1000 : undefined };
  }
  return undefined;
}

/** Worth retrying: rate limited, a 5xx, or the Backend API unreachable. */
function transient(err: unknown): boolean {
  if (rateLimitOf(err)) return true;
  for (let e = err as { status?: unknown; code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) {
    if (typeof e.status === 'number' && e.status >= 500) return true;
    if (e.code === 'CLERK_UNREACHABLE') return true;
  }
  return false;
}

export class TokenSupply {
  private readonly clock: Clock;
  private readonly limiter: SlidingWindowLimiter;
  private readonly ids: IdentityState[];
  private readonly byName = new Map<string, number>();
  private readonly firstMintCost: number;
  private readonly waitTimeoutMs: number;
  private timer?: { cancel(): void };
  private stopped = false;
  private fatal?: unknown;
  private rr = 0;
  private lifetimeMs?: number;
  private maxAgeMs?: number;
  private refreshAtMs?: number;
  private readonly counters = { minted: 0, calls: 0, rateLimited: 0, failures: 0, lastError: undefined as string | undefined };

  constructor(private readonly options: TokenSupplyOptions) {
    if (options.identities.length === 0) throw new HarnessError('USAGE', 'the token supply needs at least one identity (test user)');
    this.clock = options.clock ?? systemClock;
    this.limiter = new SlidingWindowLimiter(options.rateLimit ?? DEFAULT_MINT_RATE);
    this.firstMintCost = options.firstMintCost ?? 4;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
    this.ids = options.identities.map((identity, i) => {
      if (this.byName.has(identity.name)) throw new HarnessError('USAGE', `the token supply has two identities named "${identity.name}"`);
      this.byName.set(identity.name, i);
      return { identity, inflight: false, everMinted: false, notBefore: 0, failuresInRow: 0, waiters: [] };
    });
    if (options.maxAgeMs !== undefined && !(options.maxAgeMs > 0)) throw new HarnessError('USAGE', `the maximum token age must be > 0, got ${options.maxAgeMs} ms`);
    if (options.refreshAtMs !== undefined && options.maxAgeMs !== undefined && options.refreshAtMs >= options.maxAgeMs) {
      throw new HarnessError('USAGE', `tokens must be refreshed before their maximum age: refresh at ${options.refreshAtMs} ms >= max age ${options.maxAgeMs} ms`);
    }
  }

  /** Names of the identities, in order (index = the `identity` argument of current/get). */
  get identityNames(): string[] {
    return this.ids.map((s) => s.identity.name);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Start minting; resolves once every identity holds a fresh token. */
  async ready(): Promise<void> {
    this.schedule();
    await Promise.all(this.ids.map((_, i) => this.get(i)));
  }

  /**
   * The identity's token if it is younger than maxAge at `now`, else undefined (never a stale
   * one). Synchronous and cheap: the load runner calls it before every request.
   */
  current(identity: number, now = this.clock.now()): SuppliedToken | undefined {
    const t = this.ids[identity]?.current;
    return t !== undefined && now < t.staleAt ? t : undefined;
  }

  /** A fresh token for the identity (index or name; default: round robin), waiting for a mint if needed. */
  get(identity?: number | string): Promise<SuppliedToken> {
    const index = this.indexOf(identity);
    const fresh = this.current(index);
    if (fresh) return Promise.resolve(fresh);
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.stopped) return Promise.reject(new HarnessError('USAGE', 'the token supply is stopped'));
    return new Promise<SuppliedToken>((resolve, reject) => {
      const state = this.ids[index]!;
      const timer = this.clock.setTimeout(() => {
        state.waiters = state.waiters.filter((w) => w !== waiter);
        const why = this.counters.lastError ? `: ${this.counters.lastError}` : this.limiter.pausedUntil > this.clock.now() ? ' (Clerk asked to wait: 429 Retry-After)' : '';
        reject(new HarnessError('CLERK_API', `no fresh token for ${state.identity.name} within ${Math.round(this.waitTimeoutMs / 1000)} s${why}`, {
          hint: 'check CLERK_API_URL / CLERK_SECRET_KEY with `clerk-harness mint`; under a rate limit, lower the number of users or raise --mint-rate',
        }));
      }, this.waitTimeoutMs);
      const waiter: Waiter = {
        resolve: (t) => (timer.cancel(), resolve(t)),
        reject: (e) => (timer.cancel(), reject(e)),
      };
      state.waiters.push(waiter);
      this.schedule();
    });
  }

  stats(): SupplyStats {
    const limit = this.limiter.limit;
    return {
      identities: this.ids.length,
      ...this.counters,
      limit,
      peakCallsInWindow: peakInWindow(this.limiter.history, limit.perMs),
      lifetimeMs: this.lifetimeMs,
      maxAgeMs: this.maxAgeMs,
      refreshAtMs: this.refreshAtMs,
      callTimes: [...this.limiter.history],
    };
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    const err = new HarnessError('USAGE', 'the token supply was stopped');
    for (const s of this.ids) for (const w of s.waiters.splice(0)) w.reject(err);
  }

  private indexOf(identity: number | string | undefined): number {
    if (identity === undefined) return this.rr++ % this.ids.length;
    if (typeof identity === 'number') {
      if (!Number.isInteger(identity) || identity < 0 || identity >= this.ids.length) throw new HarnessError('USAGE', `no identity #${identity} (the supply has ${this.ids.length})`);
      return identity;
    }
    const i = this.byName.get(identity);
    if (i === undefined) throw new HarnessError('USAGE', `no identity named "${identity}"; known: ${this.identityNames.join(', ')}`);
    return i;
  }

  /** Limits derived from the first token's lifetime (exp - iat), checked once. */
  private limitsFor(lifetimeMs: number): { maxAgeMs: number; refreshAtMs: number } {
    if (this.maxAgeMs !== undefined && this.refreshAtMs !== undefined && this.lifetimeMs === lifetimeMs) return { maxAgeMs: this.maxAgeMs, refreshAtMs: this.refreshAtMs };
    const maxAgeMs = this.options.maxAgeMs ?? Math.floor((lifetimeMs * 5) / 6);
    if (maxAgeMs >= lifetimeMs) {
      throw new HarnessError('USAGE', `the maximum token age (${maxAgeMs / 1000} s) must be shorter than the tokens' lifetime (${lifetimeMs / 1000} s, exp - iat)`, {
        hint: `use --max-age ${Math.floor((lifetimeMs * 5) / 6000)}s or less, or longer-lived tokens (--expires-in)`,
      });
    }
    // Steady state: every identity minted once per refresh interval must fit in the limit.
    const { calls, perMs } = this.limiter.limit;
    const needed = Math.ceil((this.ids.length * perMs) / calls * 1.1);
    const refreshAtMs = Math.max(this.options.refreshAtMs ?? Math.floor(maxAgeMs / 2), needed);
    if (refreshAtMs >= maxAgeMs) {
      const perWindow = Math.ceil((this.ids.length * perMs) / maxAgeMs);
      throw new HarnessError('USAGE', `keeping ${this.ids.length} identities' tokens younger than ${maxAgeMs / 1000} s needs more than ${perWindow} mints per ${perMs / 1000} s; the limit is ${calls}`, {
        hint: 'use fewer users, raise --mint-rate (Clerk allows 100 per 10 s on development instances, 1000 on production), or mint longer-lived tokens (--expires-in)',
      });
    }
    this.lifetimeMs = lifetimeMs;
    this.maxAgeMs = maxAgeMs;
    this.refreshAtMs = refreshAtMs;
    return { maxAgeMs, refreshAtMs };
  }

  private toSupplied(state: IdentityState, minted: MintedToken, sentAt: number): SuppliedToken {
    const { iat, exp, sub } = minted.claims;
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat) {
      throw new HarnessError('TOKEN_INVALID', `the token source returned a token without a usable iat/exp (iat ${String(iat)}, exp ${String(exp)})`);
    }
    const lifetimeMs = (exp - iat) * 1000;
    const { maxAgeMs } = this.limitsFor(lifetimeMs);
    // Age from iat, unless this clock is behind the issuer's: then from when we asked for it.
    const issuedAt = Math.min(iat * 1000, sentAt);
    return { token: minted.token, identity: state.identity.name, sub: typeof sub === 'string' ? sub : undefined, iat, issuedAt, lifetimeMs, staleAt: issuedAt + maxAgeMs };
  }

  /** Start every mint that is due and allowed; wake up when the next one will be. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = undefined;
    const now = this.clock.now();
    let wake = Infinity;
    for (const state of this.ids) {
      if (state.inflight) continue;
      const refreshAt = state.current && this.refreshAtMs !== undefined ? state.current.issuedAt + this.refreshAtMs : now;
      const due = Math.max(refreshAt, state.notBefore);
      if (due > now) {
        wake = Math.min(wake, due);
        continue;
      }
      const cost = state.everMinted ? 1 : this.firstMintCost;
      if (this.limiter.tryTake(now, cost)) {
        this.counters.calls += Math.min(cost, this.limiter.limit.calls);
        void this.mint(state, now);
      } else {
        wake = Math.min(wake, this.limiter.nextSlot(now, cost));
      }
    }
    if (wake !== Infinity) this.timer = this.clock.setTimeout(() => this.schedule(), Math.max(1, wake - now));
  }

  private async mint(state: IdentityState, sentAt: number): Promise<void> {
    state.inflight = true;
    const name = state.identity.name;
    try {
      const minted = await state.identity.mint();
      if (this.stopped) return;
      const supplied = this.toSupplied(state, minted, sentAt);
      state.current = supplied;
      state.everMinted = true;
      state.failuresInRow = 0;
      state.notBefore = 0;
      this.counters.minted++;
      this.options.onEvent?.({ type: 'minted', identity: name, at: this.clock.now(), lifetimeMs: supplied.lifetimeMs });
      for (const w of state.waiters.splice(0)) w.resolve(supplied);
    } catch (err) {
      if (this.stopped) return;
      const now = this.clock.now();
      state.failuresInRow++;
      const limited = rateLimitOf(err);
      if (limited) {
        this.counters.rateLimited++;
        const waitMs = limited.retryAfterMs ?? Math.min(30_000, 1000 * 2 ** (state.failuresInRow - 1));
        this.limiter.pauseUntil(now + waitMs);
        state.notBefore = now + waitMs;
        this.options.onEvent?.({ type: 'rate-limited', identity: name, at: now, waitMs });
        return;
      }
      this.counters.failures++;
      this.counters.lastError = (err as Error)?.message ?? String(err);
      if (!state.everMinted && !transient(err)) {
        // A wrong key, an unknown template, a bad lifetime: retrying cannot help.
        this.fatal = err;
        for (const s of this.ids) for (const w of s.waiters.splice(0)) w.reject(err);
        this.stop();
        return;
      }
      const retryInMs = Math.min(10_000, 500 * 2 ** (state.failuresInRow - 1));
      state.notBefore = now + retryInMs;
      this.options.onEvent?.({ type: 'mint-failed', identity: name, at: now, message: this.counters.lastError, retryInMs });
    } finally {
      state.inflight = false;
      this.schedule();
    }
  }
}
