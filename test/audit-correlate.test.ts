import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditCheckpoint, readAppended, type ReadAppendedOptions } from '../src/audit/checkpoint.js';
import { createClassifier } from '../src/audit/classify.js';
import { checkAcceptedRequest, checkRejectedRequest, type AcceptedRequestExpectation } from '../src/audit/correlate.js';
import { auditPathFor, DEFAULT_AUDIT_PATTERN } from '../src/audit/location.js';
import { loadAuditValidator } from '../src/audit/schema.js';
import type { AuditLocation, AuditValidator } from '../src/audit/types.js';
import { HarnessError } from '../src/errors.js';
import { IAT, STAMP, SUB, capturedTimeEntry, failureEntry, line, successEntry, tempDir, without } from './audit-helpers.js';

const NOW = new Date('2026-11-22T16:40:00.000Z');
const EXPECT: AcceptedRequestExpectation = {
  sub: SUB,
  iat: IAT,
  requestStart: NOW,
  requestEnd: NOW.getTime() + 300, // entries are stamped 16:40:00.123Z, inside the window
  toleranceMs: 1000,
};
// Nothing is expected to arrive: a short bounded wait; lines that do arrive return at once.
const QUICK = { waitMs: 60, pollMs: 10 };

let validator: AuditValidator;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let location: AuditLocation;
let today: string;
let n = 0;

beforeAll(async () => {
  tmp = await tempDir('audit-correlate');
  validator = await loadAuditValidator();
});
afterAll(() => tmp.cleanup());
beforeEach(async () => {
  location = { baseDir: join(tmp.dir, `t${n++}`), pattern: DEFAULT_AUDIT_PATTERN };
  today = auditPathFor(location, NOW);
  await mkdir(dirname(today), { recursive: true });
  await writeFile(today, line(successEntry({ user_id: 'user_earlier' })) + line(failureEntry())); // earlier requests
});

/** One request's worth of audit capture around `write` (the target's behaviour). */
async function capture(write: () => Promise<void>, wait: ReadAppendedOptions = { ...QUICK, minEntries: 1 }) {
  const checkpoint = await auditCheckpoint(location, { now: () => NOW });
  await write();
  return readAppended(checkpoint, wait);
}

describe('accepted requests', () => {
  it('a correct target passes: exactly the appended entry is read and correlates', async () => {
    const appended = await capture(() => appendFile(today, line(successEntry())));
    expect(appended.lines).toHaveLength(1);
    expect(appended.lines[0]).toMatchObject({ file: today, value: { user_id: SUB } });
    expect(appended.satisfied).toBe(true);
    expect(checkAcceptedRequest(appended, EXPECT, validator)).toEqual([]);
    expect(checkAcceptedRequest(appended, { ...EXPECT, email: 'ada@example.com' }, validator)).toEqual([]); // null email is fine
  });

  it('catches a target that omits token_iat, naming field, expected and actual', async () => {
    const appended = await capture(() => appendFile(today, line(without(successEntry(), 'token_iat'))));
    const findings = checkAcceptedRequest(appended, EXPECT, validator);
    expect(findings).toEqual([{
      field: 'token_iat', expected: IAT, actual: undefined,
      message: `token_iat missing, expected ${IAT} (the token's iat)`,
      at: `${today}@${appended.lines[0].offset}`,
    }]); // the schema's "required" for the same field is not repeated
  });

  it('catches a wrong user_id, a token_iat in milliseconds and a stale timestamp', async () => {
    const appended = await capture(() => appendFile(today, line(successEntry({ user_id: 'user_someoneElse', token_iat: IAT * 1000, timestamp: '2026-11-22T16:39:50.000Z' }))));
    const findings = checkAcceptedRequest(appended, EXPECT, validator);
    expect(findings.map((f) => [f.field, f.expected, f.actual])).toEqual([
      ['user_id', SUB, 'user_someoneElse'],
      ['token_iat', IAT, IAT * 1000],
      ['timestamp', expect.stringContaining('±1000 ms'), '2026-11-22T16:39:50.000Z'],
    ]);
    expect(findings[0].message).toBe(`user_id is "user_someoneElse", expected "${SUB}" (the token's sub)`);
    expect(findings[1].message).toContain('(milliseconds, expected seconds)');
    expect(findings[2].message).toBe('timestamp 2026-11-22T16:39:50.000Z is 10000 ms before the request started (tolerance 1000 ms): not contemporaneous');
  });

  it('catches a target that writes nothing (after the bounded wait)', async () => {
    const appended = await capture(async () => {}, QUICK);
    expect(appended.lines).toEqual([]);
    expect(appended.satisfied).toBe(false);
    expect(checkAcceptedRequest(appended, EXPECT, validator)).toEqual([{
      field: 'entry', expected: 1, actual: 0,
      message: `no audit entry written for an accepted request (expected one success entry for user_id "${SUB}"; the log gained nothing)`,
    }]);
  });

  it('catches two entries for one request', async () => {
    const appended = await capture(() => appendFile(today, line(successEntry()) + line(successEntry())), { ...QUICK, minEntries: 2 });
    const findings = checkAcceptedRequest(appended, EXPECT, validator);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ field: 'entry', expected: 1, actual: 2 });
    expect(findings[0].message).toMatch(/^2 success entries for one request \(expected exactly one\b/);
    expect(findings[0].message).toContain('job_created'); // names what was logged
    expect(findings[0].at).toBe(`${today}@${appended.lines[1].offset}`); // points at the extra line
  });

  it('reports schema violations of the entry and lines that are not JSON', async () => {
    // alcoa_contemporaneous is required on an accepted line; the timestamp beside it still dates the entry
    const appended = await capture(() => appendFile(today, 'not json\n' + line(without(successEntry(), 'alcoa_contemporaneous'))), { ...QUICK, minEntries: 2 });
    const findings = checkAcceptedRequest(appended, EXPECT, validator);
    expect(findings.map((f) => f.field)).toEqual(['(json)', 'alcoa_contemporaneous']);
    expect(findings[1]).toMatchObject({ actual: undefined, at: `${today}@${appended.lines[1].offset}` });
    expect(findings[1].message).toMatch(/^audit entry alcoa_contemporaneous: required property missing/);
  });

  it('does not take a refused-request line (or a non-attributable one) as the accepted request\'s entry', async () => {
    const onlyFailure = await capture(() => appendFile(today, line(failureEntry())));
    const [f] = checkAcceptedRequest(onlyFailure, EXPECT, validator);
    expect(f).toMatchObject({ field: 'entry', expected: 1, actual: 0 });
    expect(f.message).toContain('the log gained only auth_failed (failure)');
    // alcoa_attributable false says the line is not attributed: not a success record even with a user_id
    const notAttributable = await capture(() => appendFile(today, line(successEntry({ alcoa_attributable: false }))));
    expect(checkAcceptedRequest(notAttributable, EXPECT, validator)[0].message).toContain('the log gained only job_created (failure)');
  });

  it('takes alcoa_contemporaneous as the time when it holds the captured time itself', async () => {
    const captured = await capture(() => appendFile(today, line(capturedTimeEntry())));
    expect(checkAcceptedRequest(captured, EXPECT, validator)).toEqual([]);
    const stale = await capture(() => appendFile(today, line(capturedTimeEntry({ alcoa_contemporaneous: '2026-11-22T16:39:50.000Z' }))));
    expect(checkAcceptedRequest(stale, EXPECT, validator).map((f) => [f.field, f.actual])).toEqual([['alcoa_contemporaneous', '2026-11-22T16:39:50.000Z']]);
  });

  it('accepts a null user_email or the token\'s email, and catches another user\'s email', async () => {
    const withEmail = { ...EXPECT, email: 'ada@example.com' };
    expect(checkAcceptedRequest(await capture(() => appendFile(today, line(successEntry({ user_email: 'ada@example.com' })))), withEmail, validator)).toEqual([]);
    const other = await capture(() => appendFile(today, line(successEntry({ user_email: 'bob@example.com' }))));
    expect(checkAcceptedRequest(other, withEmail, validator).map((f) => [f.field, f.expected, f.actual])).toEqual([['user_email', 'ada@example.com', 'bob@example.com']]);
  });
});

describe('waiting for the write to land', () => {
  it('waits for a delayed writer and holds back a half-written line until its newline arrives', async () => {
    const entry = line(successEntry());
    const appended = await capture(async () => {
      await appendFile(today, entry.slice(0, 40)); // mid-write when the reader first looks
      setTimeout(() => void appendFile(today, entry.slice(40)), 50);
    }, { waitMs: 10_000, pollMs: 10, minEntries: 1 });
    expect(appended.satisfied).toBe(true);
    expect(appended.lines).toHaveLength(1);
    expect(appended.lines[0].unterminated).toBeUndefined();
    expect(checkAcceptedRequest(appended, EXPECT, validator)).toEqual([]);
  });

  it('with settleMs, catches a second entry written a moment after the first', async () => {
    const appended = await capture(async () => {
      await appendFile(today, line(successEntry()));
      setTimeout(() => void appendFile(today, line(successEntry())), 50);
    }, { waitMs: 10_000, pollMs: 5, minEntries: 1, settleMs: 1000 });
    expect(appended.lines).toHaveLength(2);
    expect(checkAcceptedRequest(appended, EXPECT, validator).map((f) => f.message)).toEqual([expect.stringMatching(/^2 success entries for one request/)]);
  });

  it('takes an unterminated last line as it is when the wait ends', async () => {
    const appended = await capture(() => appendFile(today, JSON.stringify(successEntry())), QUICK);
    expect(appended.lines).toHaveLength(1);
    expect(appended.lines[0].unterminated).toBe(true);
    expect(checkAcceptedRequest(appended, EXPECT, validator)).toEqual([]);
  });

  it('follows a file that does not exist yet and a file rotated after the checkpoint', async () => {
    const fresh: AuditLocation = { baseDir: join(tmp.dir, 'fresh'), pattern: 'audit/{YYYY}/{MM}/{DD}.jsonl' };
    const checkpoint = await auditCheckpoint(fresh, { now: NOW });
    const file = join(fresh.baseDir, 'audit/2026/11/22.jsonl');
    expect(checkpoint.files.find((f) => f.path === file)).toEqual({ path: file, offset: 0, existed: false });
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '\ufeff' + line(successEntry()));
    const appended = await readAppended(checkpoint, { ...QUICK, minEntries: 1 });
    expect(appended.lines).toHaveLength(1);
    expect(appended.lines[0].offset).toBe(3); // BOM stripped at byte 0
    expect(checkAcceptedRequest(appended, EXPECT, validator)).toEqual([]);

    const truncated = await capture(() => writeFile(today, line(successEntry())));
    expect(truncated.files.find((f) => f.path === today)?.restarted).toBe(true);
    expect(checkAcceptedRequest(truncated, EXPECT, validator)).toEqual([]);

    // logrotate-style: the old file renamed away, a new (here: longer) file under the name
    const renamed = await capture(async () => {
      await rename(today, `${today}.1`);
      await writeFile(today, line(failureEntry()) + line(failureEntry()) + line(successEntry()));
    }, { ...QUICK, minEntries: 3 });
    expect(renamed.files.find((f) => f.path === today)).toMatchObject({ restarted: true, from: expect.any(Number) });
    expect(renamed.lines).toHaveLength(3);
    expect(checkAcceptedRequest(renamed, EXPECT, validator)).toEqual([]);
  });

  it('handles a date rollover: the rest of the old day plus the new day, never the old lines', async () => {
    const beforeMidnight = new Date('2026-11-22T23:59:59.900Z');
    const checkpoint = await auditCheckpoint(location, { now: () => beforeMidnight });
    const newDay = auditPathFor(location, new Date('2026-11-23T00:00:00.100Z'));
    expect(newDay).toMatch(/audit_20261123\.jsonl$/);
    await appendFile(today, line(successEntry({ event: 'job.old_day' })));
    await appendFile(newDay, line(successEntry({ event: 'job.new_day' })));
    const appended = await readAppended(checkpoint, { ...QUICK, minEntries: 2 });
    expect(appended.lines.map((l) => [l.file, (l.value as { event: string }).event])).toEqual([
      [today, 'job.old_day'],
      [newDay, 'job.new_day'],
    ]);

    // one request across midnight whose single entry lands in the new day's file passes
    const next = await auditCheckpoint(location, { now: () => beforeMidnight });
    await appendFile(newDay, line(successEntry({ timestamp: '2026-11-23T00:00:00.050Z' })));
    const across = await readAppended(next, { ...QUICK, minEntries: 1 });
    expect(checkAcceptedRequest(across, { ...EXPECT, requestStart: beforeMidnight, requestEnd: Date.parse('2026-11-23T00:00:00.100Z') }, validator)).toEqual([]);
  });

  it('names an unknown token in the path pattern', () => {
    expect(() => auditPathFor({ baseDir: '/x', pattern: 'audit_{YYYYDDMM}.jsonl' }, NOW)).toThrow(HarnessError);
    expect(auditPathFor({ baseDir: '/x', pattern: 'a/{YYYYMMDD}-{YYYY}{MM}{DD}.jsonl' }, NOW)).toBe('/x/a/20261122-20261122.jsonl');
  });
});

describe('rejected requests', () => {
  it('no success entry: passes with nothing or a failure entry, catches a success entry', async () => {
    expect(checkRejectedRequest(await capture(async () => {}, QUICK))).toEqual([]);
    expect(checkRejectedRequest(await capture(() => appendFile(today, line(failureEntry()))))).toEqual([]);
    const wrote = await capture(() => appendFile(today, line(successEntry())));
    const [f, ...more] = checkRejectedRequest(wrote);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ field: 'entry', actual: 'job_created', at: `${today}@${wrote.lines[0].offset}` });
    expect(f.message).toMatch(/^a rejected request wrote a success audit entry/);
    expect(f.message).toContain(`event "job_created"`);
    expect(f.message).toContain(`user_id "${SUB}"`);
    expect(f.message).toContain('audit.failure'); // how to tell the harness this line records a refusal
  });

  it('when failed attempts must be logged: exactly one schema-valid failure entry', async () => {
    const strict = { requireFailureLogged: true };
    expect(checkRejectedRequest(await capture(() => appendFile(today, line(failureEntry()))), strict, validator)).toEqual([]);
    expect(checkRejectedRequest(await capture(async () => {}, QUICK), strict, validator)).toEqual([{
      field: 'entry', expected: 1, actual: 0,
      message: 'no failure audit entry written for a rejected request (the suite requires failed attempts to be logged)',
    }]);
    const twice = await capture(() => appendFile(today, line(failureEntry()) + line(failureEntry())), { ...QUICK, minEntries: 2 });
    expect(checkRejectedRequest(twice, strict, validator)).toEqual([expect.objectContaining({ field: 'entry', actual: 2, message: '2 failure entries for one request (expected exactly one)' })]);
    // reason is optional; a time is not
    expect(checkRejectedRequest(await capture(() => appendFile(today, line(without(failureEntry(), 'reason')))), strict, validator)).toEqual([]);
    const naive = await capture(() => appendFile(today, line(failureEntry({ timestamp: '2026-11-22T16:40:00' }))));
    expect(checkRejectedRequest(naive, strict, validator).map((f) => f.field)).toEqual(['timestamp']);
  });
});

describe('rejected requests in other real-world shapes', () => {
  it.each([
    ['the documents\' auth_failed line', failureEntry()],
    ['outcome: failure', { event: 'request', outcome: 'failure', user_id: null, timestamp: STAMP }],
    ['a dotted failure event', { event: 'login.failed', timestamp: STAMP }],
    ['access_denied', { event: 'access_denied', user_id: SUB, timestamp: STAMP }],
    ['a 401 status', { event: 'request', status: 401, timestamp: STAMP }],
  ])('%s is no success entry', async (_name, entry) => {
    expect(checkRejectedRequest(await capture(() => appendFile(today, line(entry))), { requireFailureLogged: true })).toEqual([]);
  });

  it('uses the suite\'s matcher when the backend words a refusal its own way', async () => {
    const own = await capture(() => appendFile(today, line({ event: 'request', result: 'refused', user_id: SUB, token_iat: IAT, timestamp: STAMP })));
    expect(checkRejectedRequest(own).map((f) => f.field)).toEqual(['entry']); // by default: a success line
    const classify = createClassifier({ failure: [{ result: 'refused' }] });
    expect(checkRejectedRequest(own, { classify, requireFailureLogged: true })).toEqual([]);
  });
});
