import { auditCheckpoint, loadAuditValidator, readAppended, type AuditCheckpoint } from '../audit/index.js';
import { createClassifier } from '../audit/classify.js';
import type { AuditExpectation, AuditProbe, AuditedExchange } from './audit-probe.js';
import { checkBatch, checkOne, failureRequired, type BatchCheckOptions } from './audit-batch.js';
import type { AuditIssue } from './result.js';
import type { SuiteAudit } from './types.js';
import { AUDITED_CONCURRENCY, AUDITED_SENDS_IN_FLIGHT as SENDS_IN_FLIGHT } from './limits.js';

/** Proving that a refused request wrote nothing needs a wait; one per batch, not per request. */
const QUIET_MS = 150;
/** After the expected lines arrived, look once more for a late double write. */
const SETTLE_MS = 50;

export interface AuditProbeOptions {
  /** Most requests in one audit window (default: as many as run at once against the emulator); 1 checks every request alone. */
  maxBatch?: number;
  /** A window opens once no request joined for this long (or the batch is full). Default 15 ms: requests whose tokens are still being made join the same window. */
  gatherMs?: number;
  /** Told of every window opened (its planned kind and size), e.g. for tests and benchmarks. */
  onWindow?: (planned: 'accepted' | 'rejected' | 'unaudited', size: number) => void;
}

type Outcome<R> = { response: R; issues?: AuditIssue[] };
type Sent = { response: unknown; expectation: AuditExpectation };
interface Member {
  x: AuditedExchange<unknown>;
  resolve(o: Outcome<unknown>): void;
  reject(err: unknown): void;
}

/**
 * The runner's audit probe on top of src/audit: exchanges join a queue; a window takes the oldest
 * exchanges of one planned kind, notes where the log ends, sends them together, waits once for
 * their lines (and the quiet period refused requests need), and attributes the lines by identity
 * (src/suite/audit-batch.ts). Windows never overlap, so a window's lines are its requests' own.
 */
export async function createAuditProbe(audit: SuiteAudit, options: AuditProbeOptions = {}): Promise<AuditProbe> {
  const validator = await loadAuditValidator({ schemaPath: audit.schemaFile });
  const location = { baseDir: audit.baseDir, pattern: audit.pathPattern };
  const check: BatchCheckOptions = {
    classify: createClassifier(audit.classifier),
    validator,
    toleranceMs: audit.timestampToleranceMs,
    logFailures: Boolean(audit.logFailures),
  };
  const maxBatch = Math.max(1, options.maxBatch ?? AUDITED_CONCURRENCY.emulator);
  const gatherMs = options.gatherMs ?? 15;
  const queue: Member[] = [];
  let busy = false;
  let timer: NodeJS.Timeout | undefined;
  /** While a window sends: told of each exchange that joins the queue, so one of its kind can join the window. */
  let joined: ((m: Member) => void) | undefined;

  /** Wait for the lines of one window: as many entries as it must show, the quiet period if any request was refused. */
  async function linesSince(checkpoint: AuditCheckpoint, expectations: AuditExpectation[]) {
    const accepted = expectations.filter((e) => e.kind === 'accepted').length;
    const mustLog = expectations.filter((e) => failureRequired(e, check)).length;
    const unlogged = expectations.filter((e) => e.kind === 'rejected' && !failureRequired(e, check)).length;
    const minEntries = accepted + mustLog;
    const quiet = unlogged > 0 ? Math.min(audit.waitMs, QUIET_MS) : 0;
    if (minEntries === 0) return readAppended(checkpoint, { waitMs: quiet, minEntries: quiet ? undefined : 0 });
    return readAppended(checkpoint, { waitMs: audit.waitMs, minEntries, settleMs: SETTLE_MS, minWaitMs: quiet });
  }

  async function alone(member: Member): Promise<void> {
    const checkpoint = await auditCheckpoint(location);
    const { response, expectation } = await member.x.send();
    const appended = expectation.kind === 'none' ? undefined : await linesSince(checkpoint, [expectation]);
    member.resolve({ response, issues: appended ? checkOne(appended.lines, expectation, check) : undefined });
  }

  /** Requests whose lines nobody checks: sent together, then a short settle so their lines land before the next window's checkpoint. */
  async function unchecked(batch: Member[]): Promise<void> {
    const sent = await sendAll(batch);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    sent.forEach((s, i) => (s.status === 'rejected' ? batch[i]!.reject(s.reason) : batch[i]!.resolve({ response: s.value.response })));
  }

  /** Members of this kind waiting in the queue, oldest first, at most `limit`. */
  function takeKind(kind: Member['x']['planned'], limit: number): Member[] {
    const taken: Member[] = [];
    for (let i = 0; i < queue.length && taken.length < limit; ) {
      if (queue[i]!.x.planned === kind) taken.push(...queue.splice(i, 1));
      else i++;
    }
    return taken;
  }

  /**
   * Send a window's requests, at most SENDS_IN_FLIGHT at once, and let exchanges of the same kind
   * that join meanwhile into it (up to maxBatch): the window closes once every answer is in and
   * none joined for gatherMs. Tokens still being made when a window opens then share its one quiet
   * period instead of waiting for a window of their own. `batch` grows in place; the answers are
   * in its order.
   */
  async function sendAll(batch: Member[], admit = true): Promise<Array<PromiseSettledResult<Sent>>> {
    const kind = batch[0]!.x.planned;
    const sent: Array<PromiseSettledResult<Sent>> = [];
    let next = 0;
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const start = () => {
      if (admit && batch.length < maxBatch) batch.push(...takeKind(kind, maxBatch - batch.length));
      while (inFlight < SENDS_IN_FLIGHT && next < batch.length) {
        const i = next++;
        inFlight++;
        void batch[i]!.x.send().then(
          (value) => (sent[i] = { status: 'fulfilled', value }),
          (reason: unknown) => (sent[i] = { status: 'rejected', reason }),
        ).finally(() => {
          inFlight--;
          start();
          wake?.();
        });
      }
    };
    joined = (m) => {
      if (!admit || m.x.planned !== kind) return;
      start();
      wake?.();
    };
    try {
      start();
      for (;;) {
        // Every answer in and nothing left to send: one more gather period for latecomers.
        const idle = inFlight === 0 && next === batch.length;
        if (idle && (!admit || batch.length >= maxBatch)) break;
        const woken = await new Promise<boolean>((resolve) => {
          const timer = idle ? setTimeout(() => resolve(false), gatherMs) : undefined;
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        wake = undefined;
        // A joiner may have been sent between the timer firing and this line: then go on waiting.
        if (!woken && inFlight === 0 && next === batch.length) break;
      }
    } finally {
      joined = undefined;
    }
    return sent;
  }

  /**
   * One window. `again` is false for the one re-send an ambiguous window may get: when the window
   * held answers with nothing to check (a refusal-planned case the target accepted, e.g. uvicorn
   * taking the oversized token), their success lines may carry the identity the window's forged
   * tokens copy. Without them, the same requests usually attribute cleanly in one more window,
   * instead of one quiet period each. That re-sent window takes in no newcomers.
   */
  async function window(batch: Member[], again = true): Promise<void> {
    if (batch[0]!.x.planned === 'unaudited') {
      await unchecked(batch);
      return void options.onWindow?.('unaudited', batch.length);
    }
    const checkpoint = await auditCheckpoint(location);
    const sent = await sendAll(batch, again);
    options.onWindow?.(batch[0]!.x.planned, batch.length);
    const ok: Array<{ member: Member; response: unknown; expectation: AuditExpectation }> = [];
    sent.forEach((s, i) => {
      if (s.status === 'rejected') batch[i]!.reject(s.reason);
      else ok.push({ member: batch[i]!, ...s.value });
    });
    const checked = ok.filter((o) => o.expectation.kind !== 'none');
    if (checked.length === 0) {
      for (const o of ok) o.member.resolve({ response: o.response });
      return;
    }
    const appended = await linesSince(checkpoint, checked.map((o) => o.expectation));
    const verdict = checkBatch(appended.lines, ok.map((o) => o.expectation), check);
    if (verdict !== 'ambiguous') {
      ok.forEach((o, i) => o.member.resolve({ response: o.response, issues: verdict[i] }));
      return;
    }
    // Answers with nothing to check stand as they are.
    const loose = ok.filter((o) => o.expectation.kind === 'none');
    for (const o of loose) o.member.resolve({ response: o.response });
    if (again && loose.length > 0 && checked.length > 1) return window(checked.map((o) => o.member), false);
    // Not attributable line by line: each request again, alone, exactly as a serial run checks it.
    for (const o of checked) {
      try {
        await alone(o.member);
      } catch (err) {
        o.member.reject(err);
      }
    }
  }

  function take(): Member[] {
    return takeKind(queue[0]!.x.planned, maxBatch);
  }

  function schedule(): void {
    if (busy || queue.length === 0) return;
    clearTimeout(timer);
    const open = async () => {
      timer = undefined;
      busy = true;
      const batch = take();
      try {
        await window(batch);
      } catch (err) {
        for (const m of batch) m.reject(err);
      } finally {
        busy = false;
        schedule();
      }
    };
    if (queue.length >= maxBatch) void open();
    else timer = setTimeout(() => void open(), gatherMs);
  }

  return {
    exchange<R>(x: AuditedExchange<R>): Promise<Outcome<R>> {
      return new Promise<Outcome<R>>((resolve, reject) => {
        const member: Member = { x: x as AuditedExchange<unknown>, resolve: resolve as (o: Outcome<unknown>) => void, reject };
        queue.push(member);
        if (joined) joined(member);
        else schedule();
      });
    },
  };
}
