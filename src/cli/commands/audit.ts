import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { loadAuditValidator } from '../../audit/schema.js';
import { validateAuditFiles, type AuditValidationResult } from '../../audit/validate-file.js';
import { HarnessError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { redact, redactDeep } from '../../redact.js';
import { intFlag, parseCommandArgs, type Command, type CommandContext } from '../command.js';
import { paint, useColor } from '../output.js';

const HELP = `Usage: clerk-harness audit validate FILE|GLOB... [--schema FILE] [--json] [--max-errors N]

Validate audit JSONL files line by line against a JSON Schema (draft 2020-12). Files of any size
are streamed with constant memory (plus the set of seen ids when the schema declares x-unique).

Every bad line is reported as FILE:LINE: FIELD: REASON — invalid JSON, a schema violation (the
field and the failing keyword), or a duplicate of an x-unique field (e.g. event_id, naming the
line it first appeared on; uniqueness spans all files given). Glob patterns (audit_*.jsonl,
logs/**/*.jsonl, audit_2026{01,02}*.jsonl) are expanded by the harness itself, the same on every
shell (PowerShell and cmd do not expand them); quote them so the shell leaves them alone.
Line rules: a UTF-8 BOM at the start of a file and CRLF line ends are accepted; a last line
without newline is validated; empty lines are skipped and counted; a whitespace-only line is bad.

Options:
  --schema FILE     the audit schema (default: the bundled fixtures/audit.schema.json);
                    $refs to files next to it are loaded, formats (date-time, email, uuid) checked
  --json            print the result as JSON (first --max-errors bad lines in "problems")
  --max-errors N    print at most N bad lines (default 100); all are counted
  --no-color        no colours (also NO_COLOR=1; FORCE_COLOR=1 forces them)

Exit codes: 0 every line valid, 1 bad lines found, 2 missing file or unusable schema.

Example:
  clerk-harness audit validate 'logs/audit/jobs/audit_*.jsonl'`;

/**
 * Expand glob patterns here, in the same way on every shell: PowerShell and cmd pass
 * `logs/audit_*.jsonl` through unexpanded. A name that exists as written is taken literally.
 * Matches are sorted (audit_20260101 before audit_20260102) and each file is read once.
 */
export async function expandAuditFiles(args: string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    const pattern = process.platform === 'win32' ? arg.replace(/\\/g, '/') : arg;
    if (!isDynamicPattern(pattern) || existsSync(resolve(cwd, arg))) {
      out.push(arg);
      continue;
    }
    const matches = (await glob(pattern, { cwd, onlyFiles: true, expandDirectories: false, dot: true })).sort();
    if (matches.length === 0) {
      throw new HarnessError('FIXTURE_MISSING', `audit validate: no file matches ${arg}`, { hint: 'check the folder and the pattern, e.g. logs/audit/jobs/audit_*.jsonl' });
    }
    out.push(...matches);
  }
  return [...new Set(out)];
}

function summaryLine(r: AuditValidationResult, uniqueFields: readonly string[]): string {
  const kinds = Object.entries(r.byKind).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k === 'json' ? 'invalid JSON' : k}`);
  const parts = [`${r.lines} line${r.lines === 1 ? '' : 's'} in ${r.files.length} file${r.files.length === 1 ? '' : 's'}`, `${r.valid} valid`, `${r.bad} bad${kinds.length ? ` (${kinds.join(', ')})` : ''}`];
  if (r.blank > 0 && r.firstBlank) parts.push(`${r.blank} blank skipped (first at ${r.firstBlank.file}:${r.firstBlank.line})`);
  parts.push(uniqueFields.length ? `unique: ${uniqueFields.join(', ')}` : 'no x-unique fields');
  return parts.join(', ');
}

async function validate(ctx: CommandContext, argv: string[]): Promise<0 | 1> {
  const { values, positionals } = parseCommandArgs('audit validate', argv, {
    schema: { type: 'string' },
    json: { type: 'boolean', default: false },
    'max-errors': { type: 'string' },
    'no-color': { type: 'boolean' },
  }, { allowPositionals: true });
  if (positionals.length === 0) {
    throw new HarnessError('USAGE', 'audit validate: no files given', { hint: 'clerk-harness audit validate logs/audit/jobs/audit_YYYYMMDD.jsonl' });
  }
  const maxReported = intFlag('audit validate', 'max-errors', values['max-errors'], 100);
  const validator = await loadAuditValidator({ schemaPath: values.schema, cwd: ctx.cwd });
  const out = ctx.stdout;
  const p = paint(useColor(out, ctx.env, values['no-color'] ? false : undefined));
  const files = await expandAuditFiles(positionals, ctx.cwd);
  const result = await validateAuditFiles(files, {
    validator,
    cwd: ctx.cwd,
    maxReported,
    onProblem: values.json ? undefined : (x) => out.write(`${p.bold(`${x.file}:${x.line}`)}: ${p.yellow(x.field)}: ${redact(x.reason)}\n`),
  });
  const near = relative(ctx.cwd, validator.schemaPath);
  const schema = near && !near.startsWith('..') ? near : validator.schemaPath;
  if (values.json) {
    out.write(JSON.stringify(redactDeep({ schema: validator.schemaPath, uniqueFields: validator.uniqueFields, ...result }), null, 2) + '\n');
  } else {
    if (result.omittedBadLines > 0) out.write(`… and ${result.omittedBadLines} more bad line${result.omittedBadLines === 1 ? '' : 's'} (raise --max-errors to see them)\n`);
    const mark = result.bad > 0 ? p.red('✗') : p.green('✓');
    out.write(`${mark} ${summaryLine(result, validator.uniqueFields)} ${p.dim(`[schema ${schema}]`)}\n`);
  }
  return result.bad > 0 ? EXIT.FINDINGS : EXIT.OK;
}

const command: Command = {
  summary: 'validate audit JSONL files against their JSON Schema (audit validate FILE...)',
  help: HELP,
  async run(ctx) {
    const [sub, ...rest] = ctx.argv;
    if (sub === 'validate') return validate(ctx, rest);
    throw new HarnessError('USAGE', sub === undefined ? 'audit: missing subcommand' : `audit: unknown subcommand "${sub}"`, {
      hint: 'clerk-harness audit validate FILE... [--schema FILE] [--json]',
    });
  },
};
export default command;
