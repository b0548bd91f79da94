/**
 * Batched audit checks: lines attributed by the identity they carry, never by timing; anything
 * that cannot be attributed line by line is re-checked one request at a time (the serial rules).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../src/audit/classify.js';
import { auditPathFor, DEFAULT_AUDIT_PATTERN } from '../src/audit/location.js';
import type { AppendedLine } from '../src/audit/types.js';
import type { AuditExpectation } from '../src/suite/audit-probe.js';
import { checkBatch, type BatchCheckOptions } from '../src/suite/audit-batch.js';
import { createAuditProbe } from '../src/suite/audit-probe-impl.js';
import type { SuiteAudit } from '../src/suite/types.js';
import { failureEntry, line, successEntry, tempDir } from './audit-helpers.js';

const T0 = Date.parse('2026-11-22T16:40:00.000Z');
const OPTS: BatchCheckOptions = { classify: createClassifier(), toleranceMs: 1000, logFailures: false };

function accepted(sub: string, iat: number): AuditExpectation {
  return { kind: 'accepted', sub, iat, email: null, requestStart: T0, requestEnd: T0 + 300 };
}
function lines(...values: Array<Record<string, unknown>>): AppendedLine[] {
  return values.map((value, i) => ({ file: 'audit.jsonl', offset: i * 100, text: JSON.stringify(value), value }));
}
const ok = (sub: string, iat: number) => successEntry({ user_id: sub, token_iat: iat, timestamp: '2026-11-22T16:40:00.100Z' });

describe('checkBatch', () => {
  it('refused requests that wrote nothing (or only failures) are clean together', () => {
    const rejected: AuditExpectation[] = [{ kind: 'rejected' }, { kind: 'rejected' }, { kind: 'rejected' }];
    expect(checkBatch([], rejected, OPTS)).toEqual([[], [], []]);
    expect(checkBatch(lines(failureEntry(), failureEntry()), rejected, OPTS)).toEqual([[], [], []]);
  });

  it('a success line in a window of refused requests cannot be attributed: ambiguous', () => {
    expect(checkBatch(lines(ok('user_a', 100)), [{ kind: 'rejected' }, { kind: 'rejected' }], OPTS)).toBe('ambiguous');
  });

  it('accepted requests of different identities get their own line, in any order', () => {
    const batch = [accepted('user_a', 100), accepted('user_b', 100), accepted('user_a', 103)];
    expect(checkBatch(lines(ok('user_a', 103), ok('user_b', 100), ok('user_a', 100)), batch, OPTS)).toEqual([[], [], []]);
  });

  it('requests of one identity share its lines by count: one each, never more or fewer', () => {
    const batch = [accepted('user_a', 100), accepted('user_a', 100)];
    expect(checkBatch(lines(ok('user_a', 100), ok('user_a', 100)), batch, OPTS)).toEqual([[], []]);
    expect(checkBatch(lines(ok('user_a', 100)), batch, OPTS)).toBe('ambiguous');
    expect(checkBatch(lines(ok('user_a', 100), ok('user_a', 100), ok('user_a', 100)), batch, OPTS)).toBe('ambiguous');
  });

  it('a line naming no request of the window, an unparseable line or any field finding is ambiguous', () => {
    const batch = [accepted('user_a', 100), accepted('user_b', 100)];
    expect(checkBatch(lines(ok('user_a', 100), ok('user_c', 100)), batch, OPTS)).toBe('ambiguous');
    const broken: AppendedLine = { file: 'audit.jsonl', offset: 0, text: '{"event":', parseError: 'Unexpected end of JSON input' };
    expect(checkBatch([...lines(ok('user_a', 100), ok('user_b', 100)), broken], batch, OPTS)).toBe('ambiguous');
    const late = successEntry({ user_id: 'user_b', token_iat: 100, timestamp: '2026-11-22T16:45:00.000Z' });
    expect(checkBatch(lines(ok('user_a', 100), late), batch, OPTS)).toBe('ambiguous');
  });

  it('with failures required, each refused request needs its failure line', () => {
    const opts = { ...OPTS, logFailures: true };
    const batch: AuditExpectation[] = [{ kind: 'rejected' }, { kind: 'rejected' }];
    expect(checkBatch(lines(failureEntry(), failureEntry()), batch, opts)).toEqual([[], []]);
    expect(checkBatch(lines(failureEntry()), batch, opts)).toBe('ambiguous');
  });

  it('an answer accepted although it should not be may log its own identity; a refused one may not', () => {
    const sneaky: AuditExpectation = { kind: 'none', identity: { sub: 'user_a', iat: 100 } };
    expect(checkBatch(lines(ok('user_a', 100)), [{ kind: 'rejected' }, sneaky], OPTS)).toEqual([[], undefined]);
    const refusedToo: AuditExpectation = { kind: 'rejected', identity: { sub: 'user_a', iat: 100 } };
    expect(checkBatch(lines(ok('user_a', 100)), [refusedToo, sneaky], OPTS)).toBe('ambiguous');
    expect(checkBatch(lines(ok('user_a', 100), ok('user_a', 100)), [accepted('user_a', 100), sneaky], OPTS)).toBe('ambiguous');
  });

  it('a window where nothing was written gives each request what it would have seen alone', () => {
    const out = checkBatch([], [accepted('user_a', 100), accepted('user_a', 100), { kind: 'rejected' }], OPTS) as Array<Array<{ message: string }>>;
    expect(out[0]!.map((i) => i.message).join()).toMatch(/no audit entry written for an accepted request/);
    expect(out[1]!.map((i) => i.message).join()).toMatch(/no audit entry written for an accepted request/);
    expect(out[2]).toEqual([]);
  });

  it('a window of one request is judged by the serial rules directly', () => {
    const [issues] = checkBatch([], [accepted('user_a', 100)], OPTS) as Array<Array<{ message: string }>>;
    expect(issues!.map((i) => i.message).join()).toMatch(/no audit entry written for an accepted request/);
  });
});

describe('createAuditProbe against a real audit file', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let audit: SuiteAudit;
  let file: string;
  beforeAll(async () => {
    tmp = await tempDir('audit-batch');
    audit = { baseDir: join(tmp.dir, 'logs'), pathPattern: DEFAULT_AUDIT_PATTERN, waitMs: 400, timestampToleranceMs: 2000, logFailures: false, classifier: {} };
    file = auditPathFor({ baseDir: audit.baseDir, pattern: DEFAULT_AUDIT_PATTERN }, new Date());
    await mkdir(dirname(file), { recursive: true });
  });
  afterAll(() => tmp.cleanup());

  /** A fake exchange: a "server" that answers and appends what a backend of the given kind writes. */
  function exchange(
    planned: 'accepted' | 'rejected' | 'unaudited',
    opts: { sub?: string; iat?: number; writes?: Array<Record<string, unknown>>; answered?: 'refused' | 'nothing-to-check' },
    sends: { n: number },
  ) {
    return {
      planned,
      async send() {
        sends.n++;
        const requestStart = Date.now();
        for (const w of opts.writes ?? []) await appendFile(file, line({ ...w, timestamp: new Date().toISOString() }));
        const requestEnd = Date.now();
        const expectation: AuditExpectation = planned === 'accepted'
          ? { kind: 'accepted', sub: opts.sub!, iat: opts.iat!, email: null, requestStart, requestEnd }
          : planned === 'rejected' && opts.answered !== 'nothing-to-check'
            ? { kind: 'rejected', ...(opts.sub ? { identity: { sub: opts.sub, iat: opts.iat } } : {}) }
            : { kind: 'none', ...(opts.sub ? { identity: { sub: opts.sub, iat: opts.iat } } : {}) };
        return { response: planned, expectation };
      },
    };
  }

  it('a clean mix is judged in two windows, each request sent once', async () => {
    const windows: string[] = [];
    const probe = await createAuditProbe(audit, { onWindow: (kind, size) => windows.push(`${kind} x${size}`) });
    const sends = { n: 0 };
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, () => probe.exchange(exchange('rejected', {}, sends))),
      ...['user_a', 'user_b', 'user_a'].map((sub) => probe.exchange(exchange('accepted', { sub, iat: 100, writes: [successEntry({ user_id: sub, token_iat: 100 })] }, sends))),
    ]);
    expect(outcomes.map((o) => o.issues)).toEqual(Array(23).fill([]));
    expect(sends.n).toBe(23);
    // Two windows (one quiet period), not 23 serial ones.
    expect(windows).toEqual(['rejected x20', 'accepted x3']);
  });

  it('a refused request that logs a success is found exactly, by re-running its window one by one', async () => {
    const probe = await createAuditProbe(audit);
    const sends = { n: 0 };
    const outcomes = await Promise.all([
      probe.exchange(exchange('rejected', {}, sends)),
      probe.exchange(exchange('rejected', { writes: [successEntry({ user_id: 'user_forged', token_iat: 5 })] }, sends)),
      probe.exchange(exchange('rejected', {}, sends)),
    ]);
    expect(outcomes[0]!.issues).toEqual([]);
    expect(outcomes[2]!.issues).toEqual([]);
    expect(outcomes[1]!.issues!.map((i) => i.message).join()).toMatch(/a rejected request wrote a success audit entry/);
    expect(sends.n).toBe(6);
  });

  it('accepted requests of one identity where one writes twice: found on re-check, the other stays clean', async () => {
    const probe = await createAuditProbe(audit);
    const sends = { n: 0 };
    const entry = successEntry({ user_id: 'user_a', token_iat: 200 });
    const outcomes = await Promise.all([
      probe.exchange(exchange('accepted', { sub: 'user_a', iat: 200, writes: [entry, entry] }, sends)),
      probe.exchange(exchange('accepted', { sub: 'user_a', iat: 200, writes: [entry] }, sends)),
      probe.exchange(exchange('accepted', { sub: 'user_b', iat: 200, writes: [] }, sends)),
    ]);
    expect(outcomes[0]!.issues!.map((i) => i.message).join()).toMatch(/2 success entries for one request/);
    expect(outcomes[1]!.issues).toEqual([]);
    expect(outcomes[2]!.issues!.map((i) => i.message).join()).toMatch(/no audit entry written/);
    expect(sends.n).toBe(6);
  });

  it('an accepted answer with nothing to check shares its identity with forged tokens: one re-sent window without it, not one quiet period each', async () => {
    const windows: string[] = [];
    const probe = await createAuditProbe(audit, { onWindow: (kind, size) => windows.push(`${kind} x${size}`) });
    const sends = { n: 0 };
    const forged = { sub: 'user_same', iat: 300, writes: [failureEntry()] };
    const outcomes = await Promise.all([
      ...Array.from({ length: 6 }, () => probe.exchange(exchange('rejected', forged, sends))),
      // e.g. the oversized token, genuinely signed: the target may take it and log a success
      probe.exchange(exchange('rejected', { sub: 'user_same', iat: 300, answered: 'nothing-to-check', writes: [successEntry({ user_id: 'user_same', token_iat: 300 })] }, sends)),
    ]);
    expect(outcomes.map((o) => o.issues)).toEqual([...Array(6).fill([]), undefined]);
    expect(windows).toEqual(['rejected x7', 'rejected x6']);
    expect(sends.n).toBe(13);
  });

  it('a forged token that logs a success beside such an answer is still found exactly (re-sent window, then one by one)', async () => {
    const windows: string[] = [];
    const probe = await createAuditProbe(audit, { onWindow: (kind, size) => windows.push(`${kind} x${size}`) });
    const sends = { n: 0 };
    const outcomes = await Promise.all([
      probe.exchange(exchange('rejected', { sub: 'user_same', iat: 400 }, sends)),
      probe.exchange(exchange('rejected', { sub: 'user_same', iat: 400, writes: [successEntry({ user_id: 'user_same', token_iat: 400 })] }, sends)),
      probe.exchange(exchange('rejected', { sub: 'user_same', iat: 400, answered: 'nothing-to-check', writes: [successEntry({ user_id: 'user_same', token_iat: 400 })] }, sends)),
    ]);
    expect(outcomes[0]!.issues).toEqual([]);
    expect(outcomes[1]!.issues!.map((i) => i.message).join()).toMatch(/a rejected request wrote a success audit entry/);
    expect(outcomes[2]!.issues).toBeUndefined();
    expect(windows).toEqual(['rejected x3', 'rejected x2']); // then each of the two alone (serial re-checks open no window)
    expect(sends.n).toBe(3 + 2 + 2);
  });

  /** An exchange whose send holds until release(); `sending` resolves once it has started. */
  function gated(inner: ReturnType<typeof exchange>) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const sending = new Promise<void>((r) => (started = r));
    const x = { planned: inner.planned, async send() {
      started();
      await gate;
      return inner.send();
    } };
    return { x, sending, release };
  }

  it('exchanges of its kind that join while a window sends ride in it; the other kind waits for the next window', async () => {
    const windows: string[] = [];
    const probe = await createAuditProbe(audit, { onWindow: (kind, size) => windows.push(`${kind} x${size}`) });
    const sends = { n: 0 };
    const held = gated(exchange('rejected', {}, sends));
    const first = probe.exchange(held.x);
    await held.sending; // the first window is open and sending
    const later = [
      ...Array.from({ length: 5 }, () => probe.exchange(exchange('rejected', {}, sends))),
      ...['user_c', 'user_d'].map((sub) => probe.exchange(exchange('accepted', { sub, iat: 500, writes: [successEntry({ user_id: sub, token_iat: 500 })] }, sends))),
    ];
    held.release();
    const outcomes = await Promise.all([first, ...later]);
    expect(outcomes.map((o) => o.issues)).toEqual(Array(8).fill([]));
    expect(sends.n).toBe(8);
    // Without joining, the five would have needed a second rejected window (a second quiet period).
    expect(windows).toEqual(['rejected x6', 'accepted x2']);
  });

  it('a window takes in no more than maxBatch; a refusal among the joiners is still found exactly', async () => {
    const windows: string[] = [];
    const probe = await createAuditProbe(audit, { maxBatch: 3, onWindow: (kind, size) => windows.push(`${kind} x${size}`) });
    const sends = { n: 0 };
    const held = gated(exchange('rejected', {}, sends));
    const first = probe.exchange(held.x);
    await held.sending;
    const later = [
      probe.exchange(exchange('rejected', {}, sends)),
      probe.exchange(exchange('rejected', { writes: [successEntry({ user_id: 'user_forged', token_iat: 6 })] }, sends)),
      probe.exchange(exchange('rejected', {}, sends)),
      probe.exchange(exchange('rejected', {}, sends)),
    ];
    held.release();
    const outcomes = await Promise.all([first, ...later]);
    expect(outcomes.map((o) => o.issues?.length)).toEqual([0, 0, 1, 0, 0]);
    expect(outcomes[2]!.issues!.map((i) => i.message).join()).toMatch(/a rejected request wrote a success audit entry/);
    // The first window (full at 3) holds the forger: ambiguous, so its three go again one by one.
    expect(windows).toEqual(['rejected x3', 'rejected x2']);
    expect(sends.n).toBe(5 + 3);
  });

  it('requests to an endpoint whose lines nobody checks run in their own window: their success lines are blamed on no refused request', async () => {
    const windows: string[] = [];
    const probe = await createAuditProbe(audit, { onWindow: (kind, size) => windows.push(`${kind} x${size}`) });
    const sends = { n: 0 };
    const outcomes = await Promise.all([
      probe.exchange(exchange('rejected', {}, sends)),
      // e.g. a GET the suite does not audit, whose backend logs a read anyway
      probe.exchange(exchange('unaudited', { writes: [successEntry({ user_id: 'user_reader', token_iat: 7 })] }, sends)),
      probe.exchange(exchange('rejected', {}, sends)),
    ]);
    expect(outcomes.map((o) => o.issues)).toEqual([[], undefined, []]);
    expect(sends.n).toBe(3);
    expect(windows.sort()).toEqual(['rejected x2', 'unaudited x1']);
  });
});
