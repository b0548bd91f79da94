/**
 * The audit line classifier: which lines record an accepted request and which a refused one.
 * Shapes come from real logs: the documents' job_created and auth_failed lines
 * (logs/audit/jobs/audit_YYYYMMDD.jsonl), and the common outcome/event/status variants.
 */
import { describe, expect, it } from 'vitest';
import { createClassifier, DEFAULT_FAILURE, matcherProblems, matches, type LineKind } from '../src/audit/classify.js';
import { failureEntry, IAT, STAMP, SUB, capturedTimeEntry, successEntry } from './audit-helpers.js';

const classify = createClassifier();

describe('default classifier', () => {
  it.each<[string, Record<string, unknown>, LineKind]>([
    // the documents
    ['job_created attributed to the token', successEntry(), 'success'],
    ['job_created with the captured time in alcoa_contemporaneous', capturedTimeEntry(), 'success'],
    ['job_created with the token email', successEntry({ user_email: 'ada@example.com' }), 'success'],
    ['auth_failed: Token expired', failureEntry(), 'failure'],
    ['auth_failed without user_id/alcoa fields', { event: 'auth_failed', reason: 'Token expired', timestamp: STAMP }, 'failure'],
    // other real-world shapes of a refusal
    ['outcome: failure', { event: 'request', outcome: 'failure', user_id: SUB, timestamp: STAMP }, 'failure'],
    ['outcome: denied', { outcome: 'denied', timestamp: STAMP }, 'failure'],
    ['event login.failed', { event: 'login.failed', timestamp: STAMP }, 'failure'],
    ['event login.failure', { event: 'login.failure', timestamp: STAMP }, 'failure'],
    ['event access_denied', { event: 'access_denied', user_id: SUB, timestamp: STAMP }, 'failure'],
    ['event token_rejected', { event: 'token_rejected', timestamp: STAMP }, 'failure'],
    ['event AUTH:UNAUTHORIZED (any case)', { event: 'AUTH:UNAUTHORIZED', timestamp: STAMP }, 'failure'],
    ['status 401', { event: 'request', status: 401, user_id: SUB, timestamp: STAMP }, 'failure'],
    ['status 403', { event: 'job_created', status: 403, user_id: SUB, token_iat: IAT }, 'failure'],
    ['user_id null', { event: 'job_created', user_id: null, timestamp: STAMP }, 'failure'],
    ['alcoa_attributable false', successEntry({ alcoa_attributable: false }), 'failure'],
    ['success: false', { event: 'request', success: false, user_id: SUB }, 'failure'],
    // not refusals
    ['status 201', successEntry({ status: 201 }), 'success'],
    ['outcome: success', successEntry({ outcome: 'success' }), 'success'],
    ['an event that merely contains "fail" inside a word', successEntry({ event: 'failover_completed' }), 'success'],
    ['a job that validates input', successEntry({ event: 'job_validated' }), 'success'],
    ['user_id missing (not null)', { event: 'job_created', timestamp: STAMP }, 'success'],
  ])('%s → %s', (_name, entry, kind) => {
    expect(classify(entry)).toBe(kind);
  });

  it('is what createClassifier({}) and DEFAULT_FAILURE give', () => {
    expect(createClassifier({})(failureEntry())).toBe('failure');
    expect(matches(failureEntry(), DEFAULT_FAILURE)).toBe(true);
    expect(matches(successEntry(), DEFAULT_FAILURE)).toBe(false);
  });
});

describe('suite matchers', () => {
  const ownShape = (result: string) => ({ event: 'request', result, user_id: SUB, token_iat: IAT, timestamp: STAMP });

  it('success only: matching lines are successes, every other line a failure', () => {
    const c = createClassifier({ success: [{ result: 'ok' }] });
    expect(c(ownShape('ok'))).toBe('success');
    expect(c(ownShape('refused'))).toBe('failure');
    expect(c(successEntry())).toBe('failure'); // the defaults are replaced, not added to
  });

  it('failure only: matching lines are failures, every other line a success (the default failure shapes no longer apply)', () => {
    const c = createClassifier({ failure: [{ result: 'refused' }] });
    expect(c(ownShape('refused'))).toBe('failure');
    expect(c(ownShape('ok'))).toBe('success');
    expect(c({ event: 'auth_failed', user_id: SUB })).toBe('success');
  });

  it('both: matched lines as declared, unmatched lines are other; failure wins a tie', () => {
    const c = createClassifier({ success: [{ event: 'job_created', user_id: { exists: true } }], failure: [{ event: 'auth_failed' }] });
    expect(c(successEntry())).toBe('success');
    expect(c(failureEntry())).toBe('failure');
    expect(c({ event: 'healthcheck', timestamp: STAMP })).toBe('other');
    expect(c({ event: 'job_created', timestamp: STAMP })).toBe('other'); // no user_id: not the declared success shape
    const tie = createClassifier({ success: [{ event: 'job_created' }], failure: [{ alcoa_attributable: false }] });
    expect(tie(successEntry({ alcoa_attributable: false }))).toBe('failure');
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, boolean]>([
    ['bare value = equals', { event: 'job_created' }, successEntry(), true],
    ['bare null needs the field present and null', { user_id: null }, { event: 'x' }, false],
    ['equals', { status: { equals: 201 } }, successEntry({ status: 201 }), true],
    ['in', { outcome: { in: ['denied', 'refused'] } }, { outcome: 'refused' }, true],
    ['pattern, case-insensitive', { event: { pattern: '^auth_' } }, { event: 'AUTH_FAILED' }, true],
    ['pattern on a non-string', { status: { pattern: '^4' } }, { status: 401 }, false],
    ['gte/lte range', { status: { gte: 400, lte: 499 } }, { status: 404 }, true],
    ['gte/lte outside', { status: { gte: 400, lte: 499 } }, { status: 500 }, false],
    ['exists: false', { error: { exists: false } }, successEntry(), true],
    ['all fields of a clause must hold', { event: 'job_created', user_id: 'user_other' }, successEntry(), false],
  ])('field test: %s', (_name, clause, entry, expected) => {
    expect(matches(entry, [clause as never])).toBe(expected);
  });

  it('any one clause suffices; an empty list matches nothing', () => {
    expect(matches(failureEntry(), [{ event: 'nope' }, { reason: 'Token expired' }])).toBe(true);
    expect(matches(failureEntry(), [])).toBe(false);
  });
});

describe('matcherProblems', () => {
  it('accepts well-formed matchers', () => {
    expect(matcherProblems(DEFAULT_FAILURE, 'audit.failure')).toEqual([]);
    expect(matcherProblems([{ event: 'auth_failed', user_id: null, status: { gte: 400 } }], 'audit.failure')).toEqual([]);
  });

  it('names the path of each problem', () => {
    expect(matcherProblems({ event: 'auth_failed' }, 'audit.failure')).toEqual(['audit.failure: must be a list of field matchers (any one matches)']);
    expect(matcherProblems(['auth_failed', null, [1]], 'audit.success')).toEqual([
      'audit.success[0]: must be a mapping of field: value',
      'audit.success[1]: must be a mapping of field: value',
      'audit.success[2]: must be a mapping of field: value',
    ]);
    const [unknown] = matcherProblems([{ status: { greater: 400 } }], 'audit.failure');
    expect(unknown).toMatch(/^audit\.failure\[0\]\.status: unknown operator "greater"/);
    const [regex] = matcherProblems([{}, { event: { pattern: '(unclosed' } }], 'audit.failure');
    expect(regex).toMatch(/^audit\.failure\[1\]\.event\.pattern: /);
    expect(regex).toMatch(/audit\.failure\[1\]\.event\.pattern: error parsing regexp: missing closing \)/);
  });

  it('reads work events of an authenticated user as successes, and refusals in other spellings as failures', () => {
    const c = createClassifier();
    // Work recorded for a signed-in user is not a refused request, whatever the work's own outcome.
    expect(c({ event: 'error_report_submitted', user_id: SUB, token_iat: IAT })).toBe('success');
    expect(c({ event: 'job.failed', user_id: SUB, token_iat: IAT })).toBe('success');
    expect(c({ outcome: 'FAILURE' })).toBe('failure');
    expect(c({ status: '401' })).toBe('failure');
    expect(matcherProblems([{ outcome: { equals: {} } }], 'audit.failure')[0]).toMatch(/equals: must be a string/);
  });
});


describe('suite patterns run on a linear-time engine', () => {
  it('a catastrophic pattern classifies a hostile value at once; lookaround is refused with the field named', () => {
    const classify = createClassifier({ failure: [{ event: { pattern: '^(a+)+$' } }] });
    expect(classify({ event: `${'a'.repeat(50_000)}!` })).not.toBe('failure');
    expect(classify({ event: 'AAAA' })).toBe('failure');
    expect(matcherProblems([{ event: { pattern: '^(?=x)' } }], 'audit.failure').join()).toMatch(/audit\.failure\[0\]\.event\.pattern: .*linear-time engine/);
  });
});
