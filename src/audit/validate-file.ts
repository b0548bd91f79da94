/**
 * Standalone validation of audit JSONL files of any size: stream line by line, report each bad
 * line by file and number with the failing field, count everything, keep only the first
 * `maxReported` bad lines in memory. Memory grows only with unique values of `x-unique` fields.
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
  const unique = new Map<string, Map<string, number>>(validator.uniqueFields.map((f) => [f, new Map()]));
  const result: AuditValidationResult = {
    files: [], lines: 0, valid: 0, bad: 0, blank: 0,
    byKind: { json: 0, schema: 0, duplicate: 0, overlong: 0 }, problems: [], omittedBadLines: 0,
  };

  const report = (file: string, line: number, problems: Array<Omit<AuditLineProblem, 'file' | 'line'>>, summary: { bad: number }) => {
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

  for (let index = 0; index < files.length; index++) {
    const file = files[index];
    const summary = { file, lines: 0, bad: 0, blank: 0 };
    const { lines } = await readAll(file, paths[index], ({ text, lineNo }) => {
      if (text.length === 0) {
        summary.blank++;
        result.blank++;
        result.firstBlank ??= { file, line: lineNo };
        return;
      }
      const problems = checkLine(text, validator, unique, files, index, lineNo);
      if (problems.length > 0) report(file, lineNo, problems, summary);
      else result.valid++;
    }, {
      maxLineBytes: options.maxLineBytes,
      onOverlong: (lineNo, _offset, bytes) =>
        report(file, lineNo, [{ kind: 'overlong', field: '(line)', reason: `line is ${bytes} bytes, over the ${options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES}-byte limit; skipped` }], summary),
    });
    summary.lines = lines;
    result.lines += lines;
    result.files.push(summary);
  }
  return result;
}

function checkLine(
  text: string,
  validator: AuditValidator,
  unique: Map<string, Map<string, number>>,
  files: string[],
  fileIndex: number,
  lineNo: number,
): Array<Omit<AuditLineProblem, 'file' | 'line'>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return [{ kind: 'json', field: '(json)', reason: jsonReason(text, err as Error) }];
  }
  const problems: Array<Omit<AuditLineProblem, 'file' | 'line'>> = validator
    .check(value)
    .map((v) => ({ kind: 'schema' as const, field: v.field, reason: `${v.message} [${v.keyword}]` }));
  if (unique.size > 0 && value && typeof value === 'object') {
    for (const [field, seen] of unique) {
      const raw = (value as Record<string, unknown>)[field];
      if (typeof raw !== 'string' && typeof raw !== 'number') continue;
      const key = typeof raw === 'string' ? raw : `\u0000${raw}`;
      const first = seen.get(key);
      // file index and line packed in one number: ids are the only thing this map holds
      if (first === undefined) seen.set(key, fileIndex * 2 ** 32 + lineNo);
      else {
        const firstFile = Math.floor(first / 2 ** 32);
        const where = firstFile === fileIndex ? `line ${first % 2 ** 32}` : `${files[firstFile]}:${first % 2 ** 32}`;
        problems.push({ kind: 'duplicate', field, reason: `duplicate ${field} ${JSON.stringify(raw)}, first seen at ${where}` });
      }
    }
  }
  return problems;
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
