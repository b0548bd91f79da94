/**
 * Standalone validation of audit JSONL files of any size: stream line by line, report each bad
 * line by file and number with the failing field, count everything, keep only the first
 * `maxReported` bad lines in memory. Memory grows only with unique values of `x-unique` fields,
 * about 30 bytes a value (src/audit/seen-values.ts); without them it is constant.
 *
 * Line rules (deliberate): a BOM at byte 0 is stripped; CRLF is accepted (the CR is stripped); a
 * final line without newline is validated; an empty line is skipped and counted (a blank line
 * carries no record, and loggers often leave one at the end); a whitespace-only line is bad (it
 * is neither empty nor JSON, usually a truncated write).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { HarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { DEFAULT_MAX_LINE_BYTES, forEachLine } from './lines.js';
import { LineRereader, SeenValues } from './seen-values.js';
import type { AuditValidator } from './types.js';

export type ProblemKind = 'json' | 'schema' | 'duplicate' | 'overlong';

export interface AuditLineProblem {
  file: string;
  line: number;
  kind: ProblemKind;
  field: string;
  reason: string;
}

export interface AuditValidationResult {
  files: Array<{ file: string; lines: number; bad: number; blank: number }>;
  /** Every line counted, blank ones included. */
  lines: number;
  valid: number;
  bad: number;
  blank: number;
  firstBlank?: { file: string; line: number };
  /** Bad lines per kind (a line that is both schema-invalid and a duplicate counts in both). */
  byKind: Record<ProblemKind, number>;
  /** Problems of the first `maxReported` bad lines, in file order. */
  problems: AuditLineProblem[];
  /** Bad lines counted but not kept in `problems`. */
  omittedBadLines: number;
}

export interface ValidateAuditFilesOptions {
  validator: AuditValidator;
  /** Resolve relative file names against this directory (names are reported as given). */
  cwd?: string;
  /** Bad lines whose problems are kept and passed to onProblem; the rest are only counted. Default 100. */
  maxReported?: number;
  /** Called for each kept problem as soon as it is found (the CLI prints while streaming). */
  onProblem?: (problem: AuditLineProblem) => void;
  maxLineBytes?: number;
}

export async function validateAuditFiles(files: string[], options: ValidateAuditFilesOptions): Promise<AuditValidationResult> {
  const paths = await checkFilesExist(files, options.cwd ?? process.cwd());
  const maxReported = options.maxReported ?? 100;
  const { validator } = options;
  const rereader = new LineRereader(paths);
  const unique: UniqueField[] = validator.uniqueFields.map((field) => ({
    field,
    seen: new SeenValues((fileIndex, offset) => keyOf(field, rereader.parse(fileIndex, offset))),
  }));
  const result: AuditValidationResult = {
    files: [], lines: 0, valid: 0, bad: 0, blank: 0,
    byKind: { json: 0, schema: 0, duplicate: 0, overlong: 0 }, problems: [], omittedBadLines: 0,
  };

  const report = (file: string, line: number, problems: readonly LineProblem[], summary: { bad: number }) => {
    result.bad++;
    summary.bad++;
    for (const kind of new Set(problems.map((p) => p.kind))) result.byKind[kind]++;
    if (result.bad > maxReported) {
      result.omittedBadLines++;
      return;
    }
    for (const p of problems) {
      const problem = { file, line, kind: p.kind, field: p.field, reason: redact(p.reason) };
      result.problems.push(problem);
      options.onProblem?.(problem);
    }
  };

  try {
    for (let index = 0; index < files.length; index++) await validateOne(index);
  } finally {
    rereader.close();
  }
  return result;

  async function validateOne(index: number): Promise<void> {
    const file = files[index];
    const summary = { file, lines: 0, bad: 0, blank: 0 };
    const { lines } = await readAll(file, paths[index], ({ text, lineNo, offset }) => {
      if (text.length === 0) {
        summary.blank++;
        result.blank++;
        result.firstBlank ??= { file, line: lineNo };
        return;
      }
      const problems = checkLine(text, validator, unique, files, index, lineNo, offset);
      if (problems === VALID) result.valid++;
      else report(file, lineNo, problems, summary);
    }, {
      maxLineBytes: options.maxLineBytes,
      onOverlong: (lineNo, _offset, bytes) =>
        report(file, lineNo, [{ kind: 'overlong', field: '(line)', reason: `line is ${bytes} bytes, over the ${options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES}-byte limit; skipped` }], summary),
    });
    summary.lines = lines;
    result.lines += lines;
    result.files.push(summary);
  }
}

type LineProblem = Omit<AuditLineProblem, 'file' | 'line'>;
interface UniqueField {
  field: string;
  seen: SeenValues;
}

/** What checkLine returns for a good line: one shared empty list, so a valid line allocates nothing. */
const VALID: readonly LineProblem[] = Object.freeze([]);

function checkLine(
  text: string,
  validator: AuditValidator,
  unique: readonly UniqueField[],
  files: string[],
  fileIndex: number,
  lineNo: number,
  offset: number,
): readonly LineProblem[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return [{ kind: 'json', field: '(json)', reason: jsonReason(text, err as Error) }];
  }
  const violations = validator.check(value);
  let problems: LineProblem[] | undefined;
  if (violations.length > 0) problems = violations.map((v) => ({ kind: 'schema' as const, field: v.field, reason: `${v.message} [${v.keyword}]` }));
  for (let u = 0; u < unique.length; u++) {
    const { field, seen } = unique[u]!;
    const key = keyOf(field, value);
    if (key === undefined) continue;
    const first = seen.firstOrAdd(key, fileIndex, lineNo, offset);
    if (first === undefined) continue;
    const where = first.fileIndex === fileIndex ? `line ${first.lineNo}` : `${files[first.fileIndex]}:${first.lineNo}`;
    const raw = (value as Record<string, unknown>)[field];
    (problems ??= []).push({ kind: 'duplicate', field, reason: `duplicate ${field} ${JSON.stringify(raw)}, first seen at ${where}` });
  }
  return problems ?? VALID;
}

/** The value of an x-unique field as a set key (a number and its string never collide), or undefined. */
function keyOf(field: string, value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const raw = (value as Record<string, unknown>)[field];
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number') return `\u0000${raw}`;
  return undefined;
}

/** forEachLine, with a read failure mid-way (EACCES, EISDIR, vanished) as a user-facing error. */
async function readAll(name: string, ...args: Parameters<typeof forEachLine>): ReturnType<typeof forEachLine> {
  try {
    return await forEachLine(...args);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    throw new HarnessError('FIXTURE_MISSING', `audit file ${name} cannot be read (${code})`, { cause: err });
  }
}

function jsonReason(text: string, err: Error): string {
  if (text.trim().length === 0) return 'whitespace-only line (not JSON; an empty line would be skipped)';
  if (text.charCodeAt(0) === 0xfeff) return 'line starts with a UTF-8 BOM (allowed only at the start of the file): invalid JSON';
  const message = err.message.length > 140 ? `${err.message.slice(0, 139)}…` : err.message;
  return `invalid JSON: ${message}`;
}

async function checkFilesExist(files: string[], cwd: string): Promise<string[]> {
  const paths = files.map((f) => (isAbsolute(f) ? f : resolve(cwd, f)));
  for (let i = 0; i < files.length; i++) {
    let isFile: boolean;
    try {
      isFile = (await stat(paths[i])).isFile();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HarnessError('FIXTURE_MISSING', `audit file ${files[i]} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`, {
        hint: 'check the path (audit logs are usually logs/audit/jobs/audit_YYYYMMDD.jsonl under the target\'s working directory)',
      });
    }
    if (!isFile) throw new HarnessError('FIXTURE_MISSING', `audit file ${files[i]} is not a regular file`, { hint: 'pass the .jsonl files themselves, e.g. logs/audit/jobs/*.jsonl' });
  }
  return paths;
}
