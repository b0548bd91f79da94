/**
 * Which audit lines record a success and which a refused request. Real logs say it in many ways
 * (`outcome: "failure"`, `event: "auth_failed"`, `user_id: null`, `alcoa_attributable: false`,
 * `status: 401`), so the rule is a small field matcher a suite can set (`audit.success`,
 * `audit.failure`), with defaults that recognise the common shapes. The runner and doctor both
 * classify through this module, so they judge a log the same way.
 */

import { RE2JS } from 're2js';

/**
 * A suite's `pattern`, case-insensitive, on a linear-time engine (re2js): an audit line cannot
 * make classification hang whatever the pattern. Compiled once per pattern.
 */
const compiled = new Map<string, RE2JS>();
function linear(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern), RE2JS.CASE_INSENSITIVE);
    compiled.set(pattern, re);
  }
  return re;
}

/** One field test. A bare value means "equals". */
export type FieldTest =
  | string
  | number
  | boolean
  | null
  | { equals?: unknown; in?: unknown[]; pattern?: string; gte?: number; lte?: number; exists?: boolean };

/** All fields of one clause must hold; a matcher is a list of clauses of which any one suffices. */
export type MatcherClause = Record<string, FieldTest>;
export type LineMatcher = MatcherClause[];

export interface AuditClassifierSpec {
  /** A line is a success when it matches. Default: every line that is not a failure. */
  success?: LineMatcher;
  /** A line is a failure when it matches. Default: DEFAULT_FAILURE (or "not a success" when only success is set). */
  failure?: LineMatcher;
}

export type LineKind = 'success' | 'failure' | 'other';

/**
 * The documented defaults: any one of these makes a line a failure record.
 * Event names: `auth_failed`, `login.failure`, `access_denied`, `token_rejected`, `unauthorized`, ...
 */
export const DEFAULT_FAILURE: LineMatcher = [
  { outcome: { in: ['failure', 'failed', 'fail', 'denied', 'rejected', 'error', 'unauthorized', 'forbidden'] } },
  // Only events whose last word says the request was refused: `job.failed` or `error_report_submitted`
  // record work done for an authenticated user, `auth_failed` / `access_denied` / `token_rejected` do not.
  { event: { pattern: '^(.*[._:-])?(auth|authn|authentication|login|signin|token|jwt|session|access)[._:-]?(fail|failed|failure|invalid|error)$' } },
  { event: { pattern: '(^|[._:-])(denied|rejected|refused|unauthori[sz]ed|forbidden)$' } },
  { user_id: null },
  { alcoa_attributable: false },
  { status: { gte: 400 } },
  { success: false },
];

/** Strings compare case-insensitively; numeric strings ("401") compare as numbers. */
const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : NaN);

function testField(value: unknown, present: boolean, t: FieldTest): boolean {
  if (t === null || typeof t !== 'object') return present && norm(value) === norm(t);
  if (t.exists !== undefined && t.exists !== present) return false;
  if ('equals' in t && !(present && norm(value) === norm(t.equals))) return false;
  if (t.in && !(present && Array.isArray(t.in) && t.in.map(norm).includes(norm(value)))) return false;
  if (t.pattern !== undefined && !(typeof value === 'string' && linear(t.pattern).test(value))) return false;
  if (t.gte !== undefined && !(num(value) >= t.gte)) return false;
  if (t.lte !== undefined && !(num(value) <= t.lte)) return false;
  return true;
}

export function matches(entry: Record<string, unknown>, matcher: LineMatcher): boolean {
  return matcher.some((clause) =>
    Object.entries(clause).every(([field, t]) => testField(entry[field], Object.prototype.hasOwnProperty.call(entry, field), t)),
  );
}

export interface AuditClassifier {
  (entry: Record<string, unknown>): LineKind;
}

/** Compile the suite's spec (or the defaults) into one classification function. */
export function createClassifier(spec: AuditClassifierSpec = {}): AuditClassifier {
  const failure = spec.failure ?? (spec.success ? undefined : DEFAULT_FAILURE);
  return (entry) => {
    if (failure && matches(entry, failure)) return 'failure';
    if (spec.success) return matches(entry, spec.success) ? 'success' : failure ? 'other' : 'failure';
    return 'success';
  };
}

/** Problems in a user's matcher (bad regex, unknown operator), for load-time errors with a path. */
export function matcherProblems(matcher: unknown, where: string): string[] {
  const out: string[] = [];
  if (!Array.isArray(matcher)) return [`${where}: must be a list of field matchers (any one matches)`];
  matcher.forEach((clause, i) => {
    if (!clause || typeof clause !== 'object' || Array.isArray(clause)) {
      out.push(`${where}[${i}]: must be a mapping of field: value`);
      return;
    }
    for (const [field, t] of Object.entries(clause)) {
      if (t === null || typeof t !== 'object') continue;
      for (const op of Object.keys(t)) {
        if (!['equals', 'in', 'pattern', 'gte', 'lte', 'exists'].includes(op)) out.push(`${where}[${i}].${field}: unknown operator "${op}" (use equals, in, pattern, gte, lte or exists)`);
      }
      const o = t as Record<string, unknown>;
      if (o.in !== undefined && !Array.isArray(o.in)) out.push(`${where}[${i}].${field}.in: must be a list of values`);
      const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if ('equals' in o && !scalar(o.equals)) out.push(`${where}[${i}].${field}.equals: must be a string, number, boolean or null`);
      if (Array.isArray(o.in) && !o.in.every(scalar)) out.push(`${where}[${i}].${field}.in: values must be strings, numbers, booleans or null`);
      for (const op of ['gte', 'lte'] as const) if (o[op] !== undefined && typeof o[op] !== 'number') out.push(`${where}[${i}].${field}.${op}: must be a number`);
      if (o.exists !== undefined && typeof o.exists !== 'boolean') out.push(`${where}[${i}].${field}.exists: must be true or false`);
      const p = o.pattern;
      if (p !== undefined && typeof p !== 'string') out.push(`${where}[${i}].${field}.pattern: must be a string`);
      else if (p !== undefined) {
        try {
          linear(String(p));
        } catch (err) {
          out.push(`${where}[${i}].${field}.pattern: ${(err as Error).message} (patterns run on a linear-time engine: no lookaround or backreferences)`);
        }
      }
    }
  });
  return out;
}
