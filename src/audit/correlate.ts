/**
 * The per-request audit checks, as data: after an accepted request the log must have gained
 * exactly one success entry attributed to the token (user_id == sub, token_iat == iat) with a
 * contemporaneous timestamp; after a rejected request it must have gained no success entry (and,
 * when the suite requires it, exactly one failure entry). Every mismatch is a finding naming the
 * field, the expected and the actual value.
 */
import { redact, redactDeep } from '../redact.js';
import { createClassifier, type AuditClassifier } from './classify.js';
import type { AppendedAudit } from './checkpoint.js';
import { shown } from './violations.js';
import type { AppendedLine, AuditFinding, AuditValidator } from './types.js';

export interface AcceptedRequestExpectation {
  /** The token's `sub`: the entry's user_id must equal it. */
  sub: string;
  /** The token's `iat` (seconds): the entry's token_iat must equal it. */
  iat: number;
  /** The token's email claim when it has one: a non-null user_email must equal it (null is fine). */
  email?: string | null;
  /** Local clock just before the request was sent and just after the response arrived. */
  requestStart: Date | number;
  requestEnd: Date | number;
  /** Allowed distance of the entry's timestamp from the request window. Default 2000 ms. */
  toleranceMs?: number;
  /** Which lines are successes and which failures (default: src/audit/classify.ts defaults). */
  classify?: AuditClassifier;
}

type Appended = AppendedAudit | readonly AppendedLine[];
type Entry = { line: AppendedLine; value: Record<string, unknown> };

function finding(field: string, expected: unknown, actual: unknown, message: string, line?: AppendedLine): AuditFinding {
  const f: AuditFinding = { field, expected: redactDeep(expected), actual: redactDeep(actual), message: redact(message) };
  if (line) f.at = `${line.file}@${line.offset}`;
  return f;
}

/** Split appended lines into parsed entries and findings for lines that are not JSON objects. */
function parse(appended: Appended): { entries: Entry[]; findings: AuditFinding[] } {
  const lines = Array.isArray(appended) ? (appended as readonly AppendedLine[]) : (appended as AppendedAudit).lines;
  const entries: Entry[] = [];
  const findings: AuditFinding[] = [];
  for (const line of lines) {
    if (line.parseError !== undefined) {
      findings.push(finding('(json)', 'a JSON object', line.text.slice(0, 80), `audit line is not valid JSON: ${line.parseError}`, line));
    } else if (!line.value || typeof line.value !== 'object' || Array.isArray(line.value)) {
      findings.push(finding('(entry)', 'a JSON object', line.value, `audit line is not a JSON object (got ${shown(line.value)})`, line));
    } else {
      entries.push({ line, value: line.value as Record<string, unknown> });
    }
  }
  return { entries, findings };
}

const defaultClassifier = createClassifier();

function describeEntries(entries: Entry[], classify: AuditClassifier): string {
  return entries.map((e) => `${String(e.value.event ?? e.value.action ?? '?')} (${classify(e.value)})`).join(', ');
}

/**
 * The contemporaneous time of an entry: `timestamp`, or `alcoa_contemporaneous` when it holds the
 * time itself (the documents' "alcoa_contemporaneous: timestamp captured"), or a common alias.
 */
export const TIMESTAMP_FIELDS = ['timestamp', 'alcoa_contemporaneous', 'ts', 'time', '@timestamp', 'created_at'];
function entryTime(v: Record<string, unknown>): { field: string; value: unknown } {
  for (const f of TIMESTAMP_FIELDS) {
    if (typeof v[f] === 'string') return { field: f, value: v[f] };
  }
  return { field: 'timestamp', value: v.timestamp };
}

/** Schema violations as findings, skipping fields a correlation finding already names. */
function schemaFindings(entry: Entry, validator: AuditValidator | undefined, covered: Set<string>): AuditFinding[] {
  if (!validator) return [];
  return validator
    .check(entry.value)
    .filter((v) => !covered.has(v.field))
    .map((v) => finding(v.field, `valid per ${validator.schemaPath} (${v.keyword})`, entry.value[v.field], `audit entry ${v.field}: ${v.message}`, entry.line));
}

function toMs(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}

function checkAttribution(entry: Entry, expect: AcceptedRequestExpectation): AuditFinding[] {
  const out: AuditFinding[] = [];
  const v = entry.value;
  if (v.user_id !== expect.sub) {
    const what = v.user_id === undefined ? 'user_id missing' : `user_id is ${shown(v.user_id)}`;
    out.push(finding('user_id', expect.sub, v.user_id, `${what}, expected "${expect.sub}" (the token's sub)`, entry.line));
  }
  if (v.token_iat !== expect.iat) {
    let what = v.token_iat === undefined ? 'token_iat missing' : `token_iat is ${shown(v.token_iat)}`;
    if (v.token_iat === expect.iat * 1000) what += ' (milliseconds, expected seconds)';
    else if (typeof v.token_iat === 'string' && Number(v.token_iat) === expect.iat) what += ' (a string, expected an integer)';
    out.push(finding('token_iat', expect.iat, v.token_iat, `${what}, expected ${expect.iat} (the token's iat)`, entry.line));
  }
  if (typeof expect.email === 'string' && v.user_email !== null && v.user_email !== undefined && v.user_email !== expect.email) {
    out.push(finding('user_email', expect.email, v.user_email, `user_email is ${shown(v.user_email)}, expected "${expect.email}" or null`, entry.line));
  }
  return out;
}

function checkTimestamp(entry: Entry, expect: AcceptedRequestExpectation): AuditFinding[] {
  const tolerance = expect.toleranceMs ?? 2000;
  const start = toMs(expect.requestStart);
  const end = toMs(expect.requestEnd);
  const window = `${new Date(start).toISOString()}..${new Date(end).toISOString()} ±${tolerance} ms`;
  const { field, value: ts } = entryTime(entry.value);
  const at = typeof ts === 'string' ? Date.parse(ts) : NaN;
  if (Number.isNaN(at)) {
    const what = ts === undefined ? 'timestamp missing' : `${field} ${shown(ts)} is not a date-time`;
    return [finding(field, window, ts, `${what}, expected a time within the request (${window})`, entry.line)];
  }
  if (at < start - tolerance || at > end + tolerance) {
    const off = at < start ? `${start - at} ms before the request started` : `${at - end} ms after the response arrived`;
    return [finding(field, window, ts, `${field} ${String(ts)} is ${off} (tolerance ${tolerance} ms): not contemporaneous`, entry.line)];
  }
  return [];
}

/** Findings for an accepted request; [] when the log gained exactly the expected entry. */
export function checkAcceptedRequest(appended: Appended, expect: AcceptedRequestExpectation, validator?: AuditValidator): AuditFinding[] {
  const { entries, findings } = parse(appended);
  const classify = expect.classify ?? defaultClassifier;
  const successes = entries.filter((e) => classify(e.value) === 'success');
  if (successes.length === 0) {
    const gained = entries.length > 0 ? `only ${describeEntries(entries, classify)}` : findings.length > 0 ? `${findings.length} unparseable line(s)` : 'nothing';
    findings.push(finding('entry', 1, 0, `no audit entry written for an accepted request (expected one success entry for user_id "${expect.sub}"; the log gained ${gained})`));
    return findings;
  }
  if (successes.length > 1) {
    findings.push(finding('entry', 1, successes.length, `${successes.length} success entries for one request (expected exactly one: ${describeEntries(successes, classify)})`, successes[1].line));
  }
  const seen = new Set<string>();
  for (const entry of successes) {
    const own = [...checkAttribution(entry, expect), ...checkTimestamp(entry, expect)];
    const covered = new Set(own.map((f) => f.field));
    for (const f of [...own, ...schemaFindings(entry, validator, covered)]) {
      // Two identical entries would otherwise repeat every field finding.
      const key = `${f.field}\u0000${f.message}`;
      if (!seen.has(key)) findings.push(f);
      seen.add(key);
    }
  }
  return findings;
}

export interface RejectedRequestOptions {
  /** The suite says failed attempts must be logged: exactly one failure entry is required. */
  requireFailureLogged?: boolean;
  classify?: AuditClassifier;
}

/** Findings for a rejected request; [] when the log gained no success entry (and the failure entry, if required). */
export function checkRejectedRequest(appended: Appended, options: RejectedRequestOptions = {}, validator?: AuditValidator): AuditFinding[] {
  const { entries, findings } = parse(appended);
  const classify = options.classify ?? defaultClassifier;
  for (const entry of entries.filter((e) => classify(e.value) === 'success')) {
    const v = entry.value;
    const said = ['event', 'outcome', 'user_id', 'status'].filter((k) => k in v).map((k) => `${k} ${shown(v[k])}`).join(', ');
    findings.push(finding('entry', 'a failure entry (or none)', v.event ?? v.outcome,
      `a rejected request wrote a success audit entry (${said || 'no event, outcome or status field'}; set audit.failure in the suite if this line records a refusal)`, entry.line));
  }
  if (!options.requireFailureLogged) return findings;
  const failures = entries.filter((e) => classify(e.value) === 'failure');
  if (failures.length === 0) {
    findings.push(finding('entry', 1, 0, 'no failure audit entry written for a rejected request (the suite requires failed attempts to be logged)'));
  } else if (failures.length > 1) {
    findings.push(finding('entry', 1, failures.length, `${failures.length} failure entries for one request (expected exactly one)`, failures[1].line));
  }
  for (const entry of failures) findings.push(...schemaFindings(entry, validator, new Set()));
  return findings;
}
