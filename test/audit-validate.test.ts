import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuditValidator } from '../src/audit/schema.js';
import type { AuditValidator } from '../src/audit/types.js';
import { validateAuditFiles, type AuditLineProblem } from '../src/audit/validate-file.js';
import { HarnessError } from '../src/errors.js';
import { failureEntry, successEntry, tempDir, without, writeUniqueSchema } from './audit-helpers.js';

let validator: AuditValidator;
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('audit-validate');
  validator = await loadAuditValidator();
});
afterAll(() => tmp.cleanup());

const J = (v: unknown) => JSON.stringify(v);
const brief = (p: AuditLineProblem) => `${p.line}:${p.kind}:${p.field}`;

describe('validateAuditFiles on a crafted file', () => {
  it('reports exact line numbers for every kind of bad line and handles BOM, CRLF, blanks, no final newline', async () => {
    // duplicates are a user schema's rule (x-unique); this one extends the bundled schema
    const unique = await loadAuditValidator({ schemaPath: await writeUniqueSchema(tmp.dir, ['request_id']) });
    const dup = successEntry({ request_id: 'req_2' });
    const secret = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    const content = [
      '\ufeff' + J(successEntry({ request_id: 'req_1' })) + '\r\n', // 1 BOM at byte 0 + CRLF: valid
      J(dup) + '\r\n', // 2 valid
      '\n', // 3 empty: skipped, counted
      '   \t\n', // 4 whitespace-only: bad
      '{"event": "job_created", "user_id": \n', // 5 invalid JSON (a truncated write)
      J(without(successEntry({ request_id: 'req_6' }), 'token_iat')) + '\n', // 6 schema: token_iat missing on an accepted line
      J(successEntry({ request_id: 'req_7', token_iat: secret })) + '\n', // 7 schema: token_iat not an integer, and a token that must not be printed
      J(dup) + '\n', // 8 duplicate request_id of line 2
      '\ufeff' + J(failureEntry({ request_id: 'req_9' })) + '\n', // 9 BOM not at file start: bad
      J(failureEntry({ request_id: 'req_10' })), // 10 the documents' refused-request line, no trailing newline: validated (valid)
    ].join('');
    const file = join(tmp.dir, 'crafted.jsonl');
    await writeFile(file, content);
    const streamed: AuditLineProblem[] = [];
    const r = await validateAuditFiles([file], { validator: unique, onProblem: (p) => streamed.push(p) });

    expect(r.problems.map(brief)).toEqual([
      '4:json:(json)', '5:json:(json)', '6:schema:token_iat', '7:schema:token_iat', '8:duplicate:request_id', '9:json:(json)',
    ]);
    expect(streamed).toEqual(r.problems);
    expect(r).toMatchObject({ lines: 10, valid: 3, bad: 6, blank: 1, firstBlank: { file, line: 3 }, omittedBadLines: 0 });
    expect(r.byKind).toEqual({ json: 3, schema: 2, duplicate: 1, overlong: 0 });
    expect(r.files).toEqual([{ file, lines: 10, bad: 6, blank: 1 }]);

    const reason = (line: number) => r.problems.find((p) => p.line === line)!.reason;
    expect(reason(4)).toContain('whitespace-only line');
    expect(reason(5)).toMatch(/^invalid JSON: /);
    expect(reason(6)).toMatch(/^required property missing\b.* \[required\]$/);
    expect(reason(7)).toMatch(/^must be integer \(got "eyJhbGciOi…\[redacted \d+ chars\]"\).* \[type\]$/); // redacted before cut: fits whole
    expect(reason(7)).not.toContain(secret.slice(0, 30)); // problems go through redact
    expect(reason(8)).toBe('duplicate request_id "req_2", first seen at line 2');
    expect(reason(9)).toContain('UTF-8 BOM (allowed only at the start of the file)');

    // the bundled schema declares nothing unique: the same file has no duplicate line
    const plain = await validateAuditFiles([file], { validator });
    expect(plain.byKind).toEqual({ json: 3, schema: 2, duplicate: 0, overlong: 0 });
    expect(plain.valid).toBe(4);
  });

  it('counts every bad line but keeps only the first maxReported; duplicates span files', async () => {
    const unique = await loadAuditValidator({ schemaPath: await writeUniqueSchema(tmp.dir, ['request_id']) });
    const a = join(tmp.dir, 'a.jsonl');
    const b = join(tmp.dir, 'b.jsonl');
    const shared = successEntry({ request_id: 'req_shared' });
    await writeFile(a, [J(shared), ...Array.from({ length: 7 }, () => 'nope')].join('\n') + '\n');
    await writeFile(b, J(shared) + '\n');
    const r = await validateAuditFiles(['a.jsonl', 'b.jsonl'], { validator: unique, cwd: tmp.dir, maxReported: 3 });
    expect(r.bad).toBe(8);
    expect(r.problems.map((p) => `${p.file}:${p.line}`)).toEqual(['a.jsonl:2', 'a.jsonl:3', 'a.jsonl:4']);
    expect(r.omittedBadLines).toBe(5);
    expect(r.byKind.duplicate).toBe(1);

    const full = await validateAuditFiles(['b.jsonl', 'a.jsonl'], { validator: unique, cwd: tmp.dir });
    expect(full.problems[0]).toMatchObject({ file: 'a.jsonl', line: 1, kind: 'duplicate', reason: expect.stringContaining('first seen at b.jsonl:1') });
  });

  it('skips the duplicate check when the schema declares no x-unique', async () => {
    await writeFile(join(tmp.dir, 'loose.json'), J({ type: 'object' }));
    const loose = await loadAuditValidator({ schemaPath: join(tmp.dir, 'loose.json') });
    const file = join(tmp.dir, 'dups.jsonl');
    await writeFile(file, `${J({ event_id: 1 })}\n${J({ event_id: 1 })}\n`);
    expect((await validateAuditFiles([file], { validator: loose })).bad).toBe(0);
  });

  it('throws FIXTURE_MISSING naming a missing file before reading anything', async () => {
    const err = await validateAuditFiles([join(tmp.dir, 'crafted.jsonl'), 'missing.jsonl'], { validator, cwd: tmp.dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('FIXTURE_MISSING');
    expect((err as HarnessError).message).toBe('audit file missing.jsonl does not exist');
  });
});
