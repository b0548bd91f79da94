/**
 * Audit checks for many requests at once. Requests of one kind (all planned accepted, or all
 * planned rejected) are sent together inside one audit window; the lines the window gained are
 * attributed to requests by what they carry (user_id + token_iat, the token's identity), never by
 * timing. When every request's check comes out clean the batch stands; anything else (a line no
 * request explains, a count that does not add up, any finding at all) is ambiguous and the caller
 * re-runs those requests one at a time, which gives exactly the serial checks' findings.
 *
 * The one thing a window cannot tell apart: requests of the same user whose tokens were issued in
 * the same second carry the same identity, so their lines are shared by count. A backend that
 * writes two lines for one of them and none for another, in the same window, balances out.
 */
import { checkAcceptedRequest, checkRejectedRequest } from '../audit/correlate.js';
import type { AuditClassifier } from '../audit/classify.js';
import type { AppendedLine, AuditValidator } from '../audit/types.js';
import type { AuditExpectation } from './audit-probe.js';
import type { AuditIssue } from './result.js';

export interface BatchCheckOptions {
  classify: AuditClassifier;
  validator?: AuditValidator;
  toleranceMs?: number;
  /** The suite requires each refused request to write one failure entry. */
  logFailures: boolean;
}

/**
 * Refusals the application itself gives, and so can log. A 431 or 413 comes from the HTTP server
 * in front of it (the request never reached the handler), so no failure entry can be asked for.
 */
const APP_REFUSALS = new Set([401, 403]);

export function failureRequired(e: AuditExpectation, options: BatchCheckOptions): boolean {
  return e.kind === 'rejected' && options.logFailures && (e.status === undefined || APP_REFUSALS.has(e.status));
}

/** The serial check of one request: exactly today's per-request rules. */
export function checkOne(lines: readonly AppendedLine[], expectation: AuditExpectation, options: BatchCheckOptions): AuditIssue[] | undefined {
  if (expectation.kind === 'accepted') {
    const { kind: _kind, ...expect } = expectation;
    return checkAcceptedRequest(lines, { ...expect, toleranceMs: options.toleranceMs, classify: options.classify }, options.validator);
  }
  if (expectation.kind === 'rejected') {
    return checkRejectedRequest(lines, { requireFailureLogged: failureRequired(expectation, options), classify: options.classify }, options.validator);
  }
  return undefined;
}

function identity(sub: unknown, iat: unknown): string {
  return `${String(sub)}\u0000${String(iat)}`;
}

/**
 * Issues per request (same order as `expectations`), or 'ambiguous' when the lines cannot be
 * attributed request by request with certainty, or when any request has an issue (its exact
 * wording then comes from the serial re-check).
 */
export function checkBatch(lines: readonly AppendedLine[], expectations: readonly AuditExpectation[], options: BatchCheckOptions): Array<AuditIssue[] | undefined> | 'ambiguous' {
  if (expectations.length === 1) return [checkOne(lines, expectations[0]!, options)];
  // Nothing written at all: each request alone would have seen exactly that.
  if (lines.length === 0) return expectations.map((e) => checkOne([], e, options));
  if (lines.some((l) => l.parseError !== undefined || !l.value || typeof l.value !== 'object' || Array.isArray(l.value))) return 'ambiguous';

  // Who may have written a success line naming an identity: an accepted request (exactly one
  // line each), an answer with nothing to check (any number), a refused request (none at all).
  const owners = new Map<string, { accepted: number[]; loose: boolean; refused: boolean }>();
  const owner = (key: string) => owners.get(key) ?? owners.set(key, { accepted: [], loose: false, refused: false }).get(key)!;
  expectations.forEach((e, i) => {
    if (e.kind === 'accepted') owner(identity(e.sub, e.iat)).accepted.push(i);
    else if (e.identity && e.kind === 'none') owner(identity(e.identity.sub, e.identity.iat)).loose = true;
    else if (e.identity) owner(identity(e.identity.sub, e.identity.iat)).refused = true;
  });
  const successesBy = new Map<string, AppendedLine[]>();
  const failures: AppendedLine[] = [];
  for (const line of lines) {
    const value = line.value as Record<string, unknown>;
    const kind = options.classify(value);
    if (kind === 'success') {
      const key = identity(value.user_id, value.token_iat);
      const o = owners.get(key);
      if (!o || o.refused || (o.loose && o.accepted.length > 0)) return 'ambiguous';
      if (o.accepted.length > 0) successesBy.set(key, [...(successesBy.get(key) ?? []), line]);
    } else if (kind === 'failure') {
      failures.push(line);
    }
  }
  // Requests of one identity share its lines by count: one line each, no more, no fewer.
  for (const [key, o] of owners) {
    if (o.accepted.length > 0 && (successesBy.get(key)?.length ?? 0) !== o.accepted.length) return 'ambiguous';
  }
  const mustLog = expectations.filter((e) => failureRequired(e, options)).length;
  if (options.logFailures && failures.length !== mustLog) return 'ambiguous';

  const handedOut = new Map<string, number>();
  let nextFailure = 0;
  const issues = expectations.map((e) => {
    if (e.kind === 'accepted') {
      const key = identity(e.sub, e.iat);
      const n = handedOut.get(key) ?? 0;
      handedOut.set(key, n + 1);
      return checkOne([successesBy.get(key)![n]!], e, options);
    }
    if (e.kind === 'none') return undefined;
    return checkOne(failureRequired(e, options) ? [failures[nextFailure++]!] : [], e, options);
  });
  return issues.some((i) => i !== undefined && i.length > 0) ? 'ambiguous' : issues;
}
