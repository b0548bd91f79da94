/**
 * `clerk-harness audit validate` end to end: through the CLI's main() in this process (same
 * dispatcher, output and exit codes), and once through the built CLI as a smoke test (needs
 * `npm run build`; the project's vitest globalSetup builds once when present).
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureEntry, line, successEntry, tempDir, without, writeUniqueSchema } from './audit-helpers.js';
import { callMain } from './helpers/main-in-process.js';

const BIN = fileURLToPath(new URL('../bin/clerk-harness.js', import.meta.url));
let tmp: Awaited<ReturnType<typeof tempDir>>;

/** The built CLI as a child process. */
function spawned(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--', BIN, 'audit', ...args], { cwd: tmp.dir, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

/** The same command through main() in this process. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await callMain(['audit', ...args], { cwd: tmp.dir });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  tmp = await tempDir('audit-cli');
  await writeFile(join(tmp.dir, 'good.jsonl'), line(successEntry()) + line(failureEntry()));
  const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
  await writeFile(join(tmp.dir, 'bad.jsonl'), [
    line(successEntry()), // 1 valid
    line(without(successEntry(), 'token_iat')), // 2 accepted line without the token's iat
    '{"broken": \n', // 3 not JSON
    line(successEntry({ user_id: token, token_iat: token })), // 4 a token where the claims belong: must not be printed
    line(successEntry({ status: 'x' })), // 5
    line(successEntry({ timestamp: '2026-11-22T16:40:00.123' })), // 6 naive local time: not contemporaneous evidence
  ].join(''));
});
afterAll(() => tmp.cleanup());

describe('clerk-harness audit validate', () => {
  it('exit 0 and a summary when every line is valid (the built CLI as a child process)', async () => {
    const r = await spawned('validate', 'good.jsonl');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ 2 lines in 1 file, 2 valid, 0 bad, no x-unique fields \[schema .*audit\.schema\.json\]\n$/);
  });

  it('the same summary and exit code through main() in this process', async () => {
    const r = await cli('validate', 'good.jsonl');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ 2 lines in 1 file, 2 valid, 0 bad, no x-unique fields \[schema .*audit\.schema\.json\]\n$/);
  });

  it('exit 1 with file:line: field: reason for each bad line, capped, and no token in the output', async () => {
    const r = await cli('validate', 'bad.jsonl', '--max-errors', '2');
    expect(r.code).toBe(1);
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(/^bad\.jsonl:2: token_iat: required property missing\b.* \[required\]$/);
    expect(out[1]).toMatch(/^bad\.jsonl:3: \(json\): invalid JSON: /);
    expect(out[2]).toBe('… and 3 more bad lines (raise --max-errors to see them)');
    expect(out[3]).toContain('✗ 6 lines in 1 file, 1 valid, 5 bad (1 invalid JSON, 4 schema)');

    const all = await cli('validate', 'bad.jsonl');
    expect(all.stdout).toContain('bad.jsonl:4: token_iat: must be integer');
    expect(all.stdout).toContain('bad.jsonl:6: timestamp: must match format "date-time"');
    expect(all.stdout).not.toContain('eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0');
    expect(all.stdout).toContain('bad.jsonl:5: status: must be integer (got "x") [type]');
  });

  it('--json prints the result as data', async () => {
    const r = await cli('validate', 'good.jsonl', 'bad.jsonl', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { lines: number; bad: number; problems: Array<{ file: string; line: number; field: string }> };
    expect(json).toMatchObject({ lines: 8, bad: 5 });
    expect(json.problems[0]).toMatchObject({ file: 'bad.jsonl', line: 2, field: 'token_iat' });
  });

  it('exit 2 for a missing file, an unusable schema or a missing subcommand', async () => {
    const missing = await cli('validate', 'good.jsonl', 'missing.jsonl');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('clerk-harness audit: audit file missing.jsonl does not exist');

    await writeFile(join(tmp.dir, 'bad-schema.json'), '{ nope');
    const schema = await cli('validate', 'good.jsonl', '--schema', 'bad-schema.json');
    expect(schema.code).toBe(2);
    expect(schema.stderr).toContain(`audit schema ${join(tmp.dir, 'bad-schema.json')} is not valid JSON`);

    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('audit: missing subcommand');
  });

  it('uses a user schema with a $ref to a sibling file', async () => {
    await writeFile(join(tmp.dir, 'ids.json'), JSON.stringify({ $defs: { user: { type: 'string', pattern: '^user_' } } }));
    await writeFile(join(tmp.dir, 'mine.json'), JSON.stringify({ type: 'object', required: ['user_id'], properties: { user_id: { $ref: 'ids.json#/$defs/user' } } }));
    const r = await cli('validate', 'bad.jsonl', '--schema', 'mine.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('bad.jsonl:4: user_id: must match pattern "^user_"');
    expect(r.stdout).toContain('1 invalid JSON, 1 schema');
    expect(r.stdout).toContain('no x-unique fields [schema mine.json]');
  });

  it('checks duplicates only for the fields a user schema declares in x-unique', async () => {
    await writeUniqueSchema(tmp.dir, ['request_id'], 'unique.json');
    await writeFile(join(tmp.dir, 'dups.jsonl'), line(successEntry({ request_id: 'req_1' })) + line(failureEntry({ request_id: 'req_1' })));
    const bundled = await cli('validate', 'dups.jsonl');
    expect(bundled.code).toBe(0);
    const r = await cli('validate', 'dups.jsonl', '--schema', 'unique.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('dups.jsonl:2: request_id: duplicate request_id "req_1", first seen at line 1');
    expect(r.stdout).toContain('unique: request_id');
  });

  it('expands globs itself (PowerShell and cmd pass them through), sorted, each file once', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(tmp.dir, 'logs', 'audit', 'jobs'), { recursive: true });
    await writeFile(join(tmp.dir, 'logs', 'audit', 'jobs', 'audit_20260102.jsonl'), line(successEntry()));
    await writeFile(join(tmp.dir, 'logs', 'audit', 'jobs', 'audit_20260101.jsonl'), line(successEntry()) + '{"broken": \n');
    const r = await cli('validate', 'logs/audit/jobs/audit_*.jsonl', 'logs/**/audit_20260101.jsonl', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { files: Array<{ file: string }>; lines: number; problems: Array<{ file: string; line: number }> };
    expect(json.files.map((f) => f.file)).toEqual(['logs/audit/jobs/audit_20260101.jsonl', 'logs/audit/jobs/audit_20260102.jsonl']);
    expect(json.lines).toBe(3);
    expect(json.problems[0]).toMatchObject({ file: 'logs/audit/jobs/audit_20260101.jsonl', line: 2 });
    const none = await cli('validate', 'logs/nothing/*.jsonl');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no file matches logs/nothing/*.jsonl');
  });
});
