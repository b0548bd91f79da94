/**
 * Shapes shared by the audit modules: the schema validator, the per-request correlation checks
 * (used by the suite runner around every test) and the standalone file validator (CLI).
 */

/** One reason an audit entry fails its schema, flattened from ajv's error objects. */
export interface AuditViolation {
  /** Property the problem is about: "token_iat", "user_id", "meta.ip"; "(entry)" for the whole line. */
  field: string;
  /** The JSON Schema keyword that failed ("required", "pattern", "format", "const", ...). */
  keyword: string;
  /** One line, human: `must match pattern "^user_" (got "usr_1")`. Redact before printing. */
  message: string;
}

/** A compiled audit schema. `check` is synchronous and cheap; compile once, reuse for every line. */
export interface AuditValidator {
  /** Absolute path of the schema file it was compiled from. */
  readonly schemaPath: string;
  /** Fields the schema declares unique across lines (top-level `x-unique`), e.g. ["event_id"]. */
  readonly uniqueFields: readonly string[];
  /** [] when the entry is valid. */
  check(entry: unknown): AuditViolation[];
}

/** A finding of the per-request audit checks: data, attached by the runner to the test. */
export interface AuditFinding {
  /** The field that is wrong ("user_id", "token_iat", "timestamp", "entry", ...). */
  field: string;
  expected: unknown;
  actual: unknown;
  /** One line naming the field, expected and actual values (already redacted). */
  message: string;
  /** Where the offending line is: "path/to/audit_20261122.jsonl@1234" (byte offset), when known. */
  at?: string;
}

/** One line appended to an audit file since a checkpoint. */
export interface AppendedLine {
  file: string;
  /** Byte offset of the line's first byte in `file`. */
  offset: number;
  /** The line without its newline (and CR). */
  text: string;
  /** Parsed JSON when `text` parses, else undefined and `parseError` says why. */
  value?: unknown;
  parseError?: string;
  /** True when the line had no newline yet when the wait ended (consumed anyway). */
  unterminated?: boolean;
}

/** Where a target writes its audit log: a pattern relative to `baseDir` with UTC date tokens. */
export interface AuditLocation {
  /** Directory the pattern is relative to (usually the target's working directory). */
  baseDir: string;
  /** e.g. "logs/audit/jobs/audit_{YYYYMMDD}.jsonl"; tokens: {YYYYMMDD} {YYYY} {MM} {DD} (UTC). */
  pattern: string;
}
