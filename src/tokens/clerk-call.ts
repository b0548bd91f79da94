/**
 * Bounded retries around one Backend API call, and the one-line errors a user sees when Clerk (or
 * the emulator) keeps refusing. 429 waits for Retry-After (capped); 5xx and network failures back
 * off a few times; 401 `clerk_key_invalid` fails at once with the fix. Other 4xx answers are
 * returned to the caller as ClerkCallError so it can explain them in context (unknown template...).
 * A token source that has had answers and then meets refused or reset connections DEAD_AFTER
 * times in a row (an emulator stopped mid-run) fails that call and every later one at once.
 */
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, isHarnessError } from '../errors.js';
import { httpRequest } from '../http/request.js';
import { TRANSPORT_KIND_LABEL, type TransportFailure } from '../http/transport-error.js';
import { keyRejected, notClerk } from './mode.js';

export interface RetryOptions {
  /** Total attempts, first included. Default 4. */
  attempts?: number;
  /** First backoff in ms, doubled each retry (with jitter). Default 250. */
  baseDelayMs?: number;
  /** Longest Retry-After honoured, in seconds; a longer one fails at once. Default 10. */
  maxRetryAfterSeconds?: number;
  /** Longest wait for one answer, in ms; a server that accepts but never answers fails. Default 15000. */
  timeoutMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<unknown>;
  /** Called before each retry (for logs): what happened and how long we wait. */
  onRetry?: (info: { attempt: number; status?: number; waitMs: number }) => void;
}

/** A 4xx answer the caller should interpret: status and the first Clerk error. */
export class ClerkCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly clerkMessage: string,
    readonly longMessage: string | undefined,
    readonly cause: unknown,
  ) {
    super(`${status} ${code}: ${longMessage ?? clerkMessage}`);
    this.name = 'ClerkCallError';
  }
}

export interface CallContext {
  apiUrl: string;
  /** What the call was for, e.g. "create a session for user_123". */
  action: string;
  /** True when apiUrl is a clerk-harness emulator (changes the fix we suggest). */
  emulator?: boolean;
  /** Shared by every call of one token source: lets a dead API fail later calls at once. */
  health?: CallHealth;
}

/** What one token source has seen of its Clerk API so far. */
export interface CallHealth {
  /** Calls that succeeded. */
  successes: number;
  /** Refused or reset connections in a row since the last answer. */
  downInARow: number;
  /** Set once the API stopped answering: every later call throws it without a request. */
  dead?: HarnessError;
}

export function newCallHealth(): CallHealth {
  return { successes: 0, downInARow: 0 };
}

/** Refused or reset connections in a row, after at least one success, that mean "it is gone". */
export const DEAD_AFTER = 3;

type Outcome =
  | { kind: 'retry'; waitMs: number; status?: number; network?: true }
  | { kind: 'fail'; error: Error }
  | { kind: 'unreachable'; message: string };

function classify(err: unknown, attempt: number, ctx: CallContext, options: Required<Omit<RetryOptions, 'sleep' | 'onRetry' | 'timeoutMs'>>): Outcome {
  if (isHarnessError(err)) return { kind: 'fail', error: err };
  // The SDK throws plain errors ("A valid resource ID is required", a TypeError reading a field)
  // only when an answer lacked what Clerk always sends.
  if (!isClerkAPIResponseError(err)) return { kind: 'fail', error: notClerk(ctx.apiUrl, `gave an answer the Clerk SDK cannot use while trying to ${ctx.action} (${(err as Error)?.message ?? String(err)})`) };
  const status = err.status as number | undefined;
  const first = err.errors[0];
  const code = first?.code ?? 'unknown';
  const backoff = options.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
  const last = attempt >= options.attempts;
  if (status === undefined) {
    // No HTTP answer at all: the SDK reports fetch failures as unexpected_error without a status.
    const network = /fetch failed|network|ECONN|ENOTFOUND|socket|terminated/i.test(first?.message ?? '');
    if (network && !last) return { kind: 'retry', waitMs: backoff, network: true };
    if (network) return { kind: 'unreachable', message: first?.message ?? 'fetch failed' };
    return { kind: 'fail', error: new HarnessError('CLERK_API', `unexpected answer from ${ctx.apiUrl} while trying to ${ctx.action}: ${first?.message ?? err.message}`, { cause: err }) };
  }
  if (status === 401 && code === 'clerk_key_invalid') return { kind: 'fail', error: keyRejected(ctx.apiUrl, Boolean(ctx.emulator), err) };
  if (status === 429) {
    const retryAfter = err.retryAfter;
    if (retryAfter !== undefined && retryAfter > options.maxRetryAfterSeconds) {
      return {
        kind: 'fail',
        error: new HarnessError('CLERK_API', `Clerk is rate limiting this key (429) and asks to wait ${retryAfter} s, longer than the ${options.maxRetryAfterSeconds} s the harness waits`, {
          hint: 'wait and run again, or mint fewer tokens per minute',
          cause: err,
        }),
      };
    }
    if (!last) return { kind: 'retry', waitMs: retryAfter !== undefined ? retryAfter * 1000 : backoff, status };
  } else if (status >= 500 && !last) {
    return { kind: 'retry', waitMs: backoff, status };
  }
  if (status === 429 || status >= 500) {
    return {
      kind: 'fail',
      error: new HarnessError('CLERK_API', `the Clerk Backend API at ${ctx.apiUrl} answered ${status} ${code} ${attempt} times while trying to ${ctx.action}`, {
        hint: status === 429 ? 'wait a minute and run again (Clerk rate limit)' : 'Clerk may be having an incident (status.clerk.com); run again shortly',
        cause: err,
      }),
    };
  }
  return { kind: 'fail', error: new ClerkCallError(status, code, first?.message ?? err.message, first?.longMessage, err) };
}

/**
 * The SDK keeps only "fetch failed"; one direct request recovers the reason (connection refused,
 * DNS, a TLS error, a reset) in the shared words. Undefined when the URL answers HTTP after all.
 */
async function probeTransport(apiUrl: string): Promise<TransportFailure | undefined> {
  const out = await httpRequest(apiUrl, { method: 'HEAD', timeoutMs: 3000, readBody: false });
  return out.ok ? undefined : out.failure;
}

function unreachable(ctx: CallContext, message: string, attempts: number, failure: TransportFailure | undefined, cause: unknown): HarnessError {
  // Garbage bytes or a reset are an answer from something that is not Clerk, not "unreachable".
  if (failure && (failure.kind === 'reset' || failure.kind === 'not-http')) return notClerk(ctx.apiUrl, `failed to ${ctx.action}: ${failure.words}`);
  return new HarnessError('CLERK_UNREACHABLE', `cannot reach the Clerk Backend API at ${ctx.apiUrl} to ${ctx.action}: ${failure?.words ?? message} (${attempts} attempts)`, {
    hint: 'check CLERK_API_URL and the network; offline, start `clerk-harness emulator` and use the CLERK_API_URL it prints',
    cause,
  });
}

/** The one error of an API that answered and then stopped: every later call gets it at once. */
function stoppedAnswering(ctx: CallContext, failure: TransportFailure, successes: number): HarnessError {
  const calls = `${successes} successful call${successes === 1 ? '' : 's'}`;
  return new HarnessError('CLERK_UNREACHABLE', `the Clerk API at ${ctx.apiUrl} stopped answering (${TRANSPORT_KIND_LABEL[failure.kind]}) after ${calls}: ${ctx.emulator ? 'is the emulator still running?' : 'is the network down?'}`, {
    hint: ctx.emulator
      ? 'start `clerk-harness emulator` again (it keeps users and sessions in memory) and run again from the start'
      : 'check the network and CLERK_API_URL, then run again',
  });
}

/**
 * A network failure of a source that has had answers: probe for the reason and count refused or
 * reset connections in a row. Returns the failure found; sets `health.dead` at DEAD_AFTER.
 */
async function noteNetworkFailure(ctx: CallContext, health: CallHealth): Promise<TransportFailure | undefined> {
  const failure = await probeTransport(ctx.apiUrl);
  if (failure && (failure.kind === 'refused' || failure.kind === 'reset')) {
    health.downInARow += 1;
    if (health.downInARow >= DEAD_AFTER) health.dead = stoppedAnswering(ctx, failure, health.successes);
  } else {
    health.downInARow = 0;
  }
  return failure;
}

class CallTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Run `fn` with the retry policy; throws HarnessError or ClerkCallError (4xx for the caller). */
export async function callClerk<T>(ctx: CallContext, fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = {
    attempts: options.attempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 250,
    maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 10,
  };
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const health = ctx.health;
  for (let attempt = 1; ; attempt++) {
    if (health?.dead) throw health.dead;
    try {
      const value = await withTimeout(fn(), timeoutMs);
      if (health) {
        health.successes += 1;
        health.downInARow = 0;
      }
      return value;
    } catch (err) {
      if (err instanceof CallTimeout) {
        // The SDK's request cannot be aborted; a hung server will not answer a retry either.
        throw new HarnessError('CLERK_UNREACHABLE', `the Clerk Backend API at ${ctx.apiUrl} did not answer within ${timeoutMs / 1000} s while trying to ${ctx.action}`, {
          hint: 'check CLERK_API_URL points at Clerk (https://api.clerk.com) or a running `clerk-harness emulator`, not at another service',
        });
      }
      const outcome = classify(err, attempt, ctx, policy);
      const network = outcome.kind === 'unreachable' || (outcome.kind === 'retry' && outcome.network === true);
      // Only a source that has had answers can say "stopped answering"; before that, retries decide.
      let failure: TransportFailure | undefined;
      if (network && health && health.successes > 0) {
        failure = await noteNetworkFailure(ctx, health);
        if (health.dead) throw health.dead;
      } else if (health && !network) {
        health.downInARow = 0;
      }
      if (outcome.kind === 'fail') throw outcome.error;
      if (outcome.kind === 'unreachable') throw unreachable(ctx, outcome.message, attempt, failure ?? (await probeTransport(ctx.apiUrl)), err);
      options.onRetry?.({ attempt, status: outcome.status, waitMs: outcome.waitMs });
      await wait(outcome.waitMs);
    }
  }
}

/** A ClerkCallError nobody interpreted more specifically, as a one-line user error. */
export function clerkCallToHarnessError(err: ClerkCallError, ctx: CallContext): HarnessError {
  return new HarnessError('CLERK_API', `the Clerk Backend API at ${ctx.apiUrl} refused to ${ctx.action}: ${err.status} ${err.code} (${err.longMessage ?? err.clerkMessage})`, { cause: err });
}
