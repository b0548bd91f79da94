/**
 * `clerk-harness load` as a function: drive one endpoint with autocannon in-process, every request
 * carrying the current token of the supply. Each connection is bound to one identity; just before
 * it writes a request ('request' event) it takes the identity's current token, rebuilding its
 * request only when the token changed, so a fresh Authorization costs nothing on the hot path and
 * no request ever leaves with a token older than maxAge (with none, it is sent without one and
 * counted as a harness failure). Answers the endpoint does not accept are read with the diagnosis
 * catalogue and tallied by cause.
 */
import autocannon from 'autocannon';
import type { Client, Result as AutocannonResult } from 'autocannon';
import { redact } from '../redact.js';
import { systemClock, type Clock } from './clock.js';
import { LatencyHistogram } from './histogram.js';
import { decideStatus, evaluateSlo, harnessProblemsOf, LOAD_FORMAT, type LoadReport, type Refusal, type Slo } from './report.js';
import type { SuppliedToken, TokenSupply } from './token-supply.js';

export interface LoadTarget {
  /** Full URL of the endpoint (origin + path + query). */
  url: string;
  method: string;
  /** Every header but Authorization (the supply's). */
  headers: Record<string, string>;
  body?: Buffer;
  acceptedStatus: number[];
}

export interface LoadProgress {
  elapsedMs: number;
  completed: number;
  /** Answers in the last second. */
  lastSecond: number;
  notAccepted: number;
  sentWithoutToken: number;
  minted: number;
}

export interface RunLoadOptions {
  target: LoadTarget;
  supply: TokenSupply;
  /** Wall-clock duration of the load. */
  durationMs: number;
  /** Concurrent connections (default 10; never more than `rate`). */
  connections?: number;
  /** Overall requests per second; unset = as fast as the connections go. */
  rate?: number;
  /** Per-request timeout in ms (default 10 s). */
  timeoutMs?: number;
  /** The clock token ages are measured on (the supply's; default the system clock). */
  clock?: Clock;
  slo?: Slo;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  meta?: { suite?: string; endpoint?: string };
  /** Told about each token the first time a connection sends it (the audit check's attribution). */
  onTokenSent?: (token: SuppliedToken) => void;
}

const NO_TOKEN: Omit<Refusal, 'status' | 'count'> = {
  cause: 'no-fresh-token',
  title: 'sent without a token: the supply had none younger than the maximum age (harness failure)',
  fix: 'lower the number of users or raise --mint-rate; check `clerk-harness mint` works',
};

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[]>;
}

export async function runLoad(options: RunLoadOptions): Promise<LoadReport> {
  const { target, supply } = options;
  const clock = options.clock ?? systemClock;
  const accepted = new Set(target.acceptedStatus);
  const rate = options.rate;
  const connections = Math.max(1, Math.min(options.connections ?? 10, rate ?? Infinity));
  const histogram = new LatencyHistogram();
  const statuses: Record<string, number> = {};
  const refusals = new Map<string, Refusal>();
  let sent = 0;
  let completed = 0;
  let acceptedCount = 0;
  let sentWithoutToken = 0;
  let expiredTokenAnswers = 0;
  let maxAgeAtSendMs = 0;
  let lastSecond = 0;
  let clients = 0;
  const diagnoseCache = new Map<string, Omit<Refusal, 'status' | 'count'>>();
  let diagnose: typeof import('../diagnosis/diagnose-response.js').diagnoseResponse | undefined;
  // Loaded before the run starts: the first refusal must not stall the event loop under load.
  diagnose = (await import('../diagnosis/diagnose-response.js')).diagnoseResponse;

  /** onResponse (per answer, synchronously before the client's 'response' event) leaves refused answers here. */
  let pending: Answer | undefined;

  function causeOf(a: Answer): Omit<Refusal, 'status' | 'count'> {
    const h = (name: string) => {
      const v = a.headers[name] ?? a.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v ?? '';
    };
    const key = `${a.status}\0${h('x-clerk-auth-reason')}\0${h('x-clerk-auth-message')}\0${h('www-authenticate')}\0${a.body.slice(0, 512)}`;
    let found = diagnoseCache.get(key);
    if (!found) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(a.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      const d = diagnose!({ status: a.status, body: a.body, headers });
      found = d
        ? { cause: d.cause, title: d.title, fix: d.fix, evidence: d.evidence[0] }
        : { cause: 'unknown', title: 'the answer names no known cause', evidence: redact(a.body.replace(/\s+/g, ' ').slice(0, 200)) || undefined };
      if (diagnoseCache.size < 1000) diagnoseCache.set(key, found);
    }
    return found;
  }

  function tally(status: number, cause: Omit<Refusal, 'status' | 'count'>): void {
    const key = `${status} ${cause.cause}`;
    const r = refusals.get(key);
    if (r) r.count++;
    else refusals.set(key, { status, ...cause, count: 1 });
    if (cause.cause === 'expired') expiredTokenAnswers++;
  }

  function setupClient(client: Client): void {
    const identity = clients++ % supply.size;
    let token: SuppliedToken | undefined;
    let inFlightWithoutToken = false;
    client.on('request', () => {
      const now = clock.now();
      const fresh = supply.current(identity, now);
      if (fresh !== token) {
        token = fresh;
        if (fresh) options.onTokenSent?.(fresh);
        client.setHeaders(fresh ? { Authorization: `Bearer ${fresh.token}` } : {});
      }
      sent++;
      if (fresh) {
        const age = now - fresh.issuedAt;
        if (age > maxAgeAtSendMs) maxAgeAtSendMs = age;
        inFlightWithoutToken = false;
      } else {
        sentWithoutToken++;
        inFlightWithoutToken = true;
      }
    });
    client.on('response', (status: number, _bytes: number, responseTime: number) => {
      completed++;
      lastSecond++;
      histogram.record(responseTime);
      statuses[status] = (statuses[status] ?? 0) + 1;
      const answer = pending;
      pending = undefined;
      if (accepted.has(status)) {
        acceptedCount++;
        return;
      }
      if (inFlightWithoutToken) tally(status, NO_TOKEN);
      else if (answer) tally(status, causeOf(answer));
      else tally(status, { cause: 'unknown', title: 'no answer body was captured' });
    });
  }

  const started = new Date();
  const startedMs = performance.now();
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: target.method,
        headers: target.headers,
        body: target.body,
        connections,
        duration: options.durationMs / 1000,
        overallRate: rate,
        timeout: (options.timeoutMs ?? 10_000) / 1000,
        setupClient,
        requests: [
          {
            onResponse: (status, body, _context, headers) => {
              if (!accepted.has(status)) pending = { status, body, headers };
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('tick', () => {
      options.onProgress?.({
        elapsedMs: performance.now() - startedMs,
        completed,
        lastSecond,
        notAccepted: completed - acceptedCount,
        sentWithoutToken,
        minted: supply.stats().minted,
      });
      lastSecond = 0;
    });
    const abort = () => instance.stop();
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
  });
  const finished = new Date();
  const durationMs = result.duration * 1000;
  const transportErrors = result.errors;
  const notAccepted = completed - acceptedCount;
  const requests = {
    sent,
    completed,
    perSecond: durationMs > 0 ? completed / (durationMs / 1000) : 0,
    accepted: acceptedCount,
    notAccepted,
    transportErrors,
    timeouts: result.timeouts,
    errorRate: completed + transportErrors > 0 ? (notAccepted + transportErrors) / (completed + transportErrors) : 0,
  };
  const latencyMs = {
    p50: histogram.percentileMs(50),
    p95: histogram.percentileMs(95),
    p99: histogram.percentileMs(99),
    max: histogram.maxMs,
    mean: histogram.meanMs,
  };
  const s = supply.stats();
  const tokens: LoadReport['tokens'] = {
    identities: s.identities,
    minted: s.minted,
    mintCalls: s.calls,
    mintLimit: s.limit,
    peakCallsInWindow: s.peakCallsInWindow,
    rateLimited: s.rateLimited,
    mintFailures: s.failures,
    lastMintError: s.lastError ? redact(s.lastError) : undefined,
    lifetimeMs: s.lifetimeMs,
    maxAgeMs: s.maxAgeMs,
    refreshAtMs: s.refreshAtMs,
    maxAgeAtSendMs,
    sentWithoutToken,
    expiredTokenAnswers,
  };
  const slo = evaluateSlo(options.slo ?? {}, { latencyMs, requests });
  const harnessProblems = harnessProblemsOf(tokens, requests);
  const u = new URL(target.url);
  return {
    format: LOAD_FORMAT,
    status: decideStatus({ slo, harnessProblems }),
    suite: options.meta?.suite,
    endpoint: { name: options.meta?.endpoint ?? `${target.method} ${u.pathname}`, method: target.method, path: u.pathname + u.search },
    target: u.origin,
    started: started.toISOString(),
    finished: finished.toISOString(),
    durationMs,
    mode: { connections, rate },
    requests,
    latencyMs,
    statuses,
    refusals: [...refusals.values()].sort((a, b) => b.count - a.count),
    tokens,
    slo,
    harnessProblems,
  };
}
