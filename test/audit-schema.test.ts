import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_SCHEMA, loadAuditValidator } from '../src/audit/schema.js';
import type { AuditValidator } from '../src/audit/types.js';
import { HarnessError } from '../src/errors.js';
import { IAT, STAMP, SUB, capturedTimeEntry, failureEntry, successEntry, tempDir, without, writeUniqueSchema } from './audit-helpers.js';

let validator: AuditValidator;
let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('audit-schema');
  // cwd elsewhere: the default schema is found from the package root, not the working directory
  validator = await loadAuditValidator({ cwd: tmp.dir });
});
afterAll(() => tmp.cleanup());

const fields = (entry: unknown) => validator.check(entry).map((v) => `${v.field}:${v.keyword}`);

async function expectAuditInvalid(promise: Promise<unknown>, fragment: string): Promise<void> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HarnessError);
  expect((err as HarnessError).code).toBe('AUDIT_INVALID');
  expect((err as HarnessError).message).toContain(fragment);
}

describe('bundled audit schema', () => {
  it('accepts the documents\' success and refused-request lines and declares nothing unique', () => {
    expect(validator.schemaPath).toBe(DEFAULT_AUDIT_SCHEMA);
    expect(validator.uniqueFields).toEqual([]); // no event_id in the documents: duplicates only with a user schema's x-unique
    expect(validator.check(successEntry())).toEqual([]);
    // user_email may be null (above) or the token's email; a zoned offset is a date-time too
    expect(validator.check(successEntry({ user_email: 'ada@example.com', timestamp: '2026-11-22T17:40:00+01:00' }))).toEqual([]);
    // "alcoa_contemporaneous: timestamp captured": the time itself, with no separate timestamp
    expect(validator.check(capturedTimeEntry())).toEqual([]);
    // everything else is optional: a bare accepted line, and extra fields of the backend's own
    expect(validator.check({ user_id: SUB, token_iat: IAT, alcoa_attributable: true, alcoa_contemporaneous: STAMP })).toEqual([]);
    expect(validator.check(successEntry({ session_id: 'sess_1', status: 201, request: { path: '/jobs' } }))).toEqual([]);
    expect(validator.check(without(successEntry(), 'user_email', 'event', 'job_id'))).toEqual([]);
    // refused requests: user_id null or alcoa_attributable false, and only a time is needed
    expect(validator.check(failureEntry())).toEqual([]);
    expect(validator.check(without(failureEntry(), 'alcoa_attributable'))).toEqual([]);
    expect(validator.check(without(failureEntry(), 'user_id'))).toEqual([]);
    expect(validator.check(failureEntry({ user_id: SUB, status: 403 }))).toEqual([]); // known user, not attributable as a success
    expect(validator.check({ user_id: null, alcoa_contemporaneous: STAMP })).toEqual([]);
  });

  it('is strict about attribution on accepted-request lines (user_id from sub, token_iat from iat)', () => {
    expect(fields(without(successEntry(), 'token_iat'))).toEqual(['token_iat:required']);
    expect(validator.check(without(successEntry(), 'token_iat'))[0].message).toMatch(/^required property missing/);
    expect(fields(without(successEntry(), 'user_id'))).toEqual(['user_id:required']);
    expect(fields(without(successEntry(), 'alcoa_attributable'))).toEqual(['alcoa_attributable:required']);
    expect(fields(without(successEntry(), 'alcoa_contemporaneous'))).toEqual(['alcoa_contemporaneous:required']);
    expect(fields(successEntry({ token_iat: null }))).toEqual(['token_iat:type']);
    expect(fields(successEntry({ token_iat: String(IAT) }))).toEqual(['token_iat:type']);
    expect(fields(successEntry({ token_iat: IAT * 1000 + 123 }))).toEqual(['token_iat:maximum']); // milliseconds
    expect(fields(successEntry({ token_iat: 1763824800.5 }))).toEqual(['token_iat:type']);
    expect(fields(successEntry({ user_id: '' }))).toEqual(['user_id:minLength']);
    expect(fields(successEntry({ user_id: 42 }))).toEqual(['user_id:type']);
    expect(fields(successEntry({ alcoa_attributable: 'yes' }))).toContain('alcoa_attributable:type');
    expect(fields(successEntry({ user_email: 42 }))).toEqual(['user_email:type']);
    expect(fields(successEntry({ status: 'x' }))).toEqual(['status:type']);
    expect(fields(successEntry({ status: 99 }))).toEqual(['status:minimum']);
  });

  it('requires a contemporaneous, zoned time on every line', () => {
    const naive = validator.check(successEntry({ timestamp: '2026-11-22T16:40:00.123' }));
    expect(naive).toEqual([{ field: 'timestamp', keyword: 'format', message: 'must match format "date-time" (got "2026-11-22T16:40:00.123")' }]);
    expect(fields(capturedTimeEntry({ alcoa_contemporaneous: '2026-11-22T16:40:00' }))).toContain('alcoa_contemporaneous:format');
    // a flag without a time beside it is no time at all, for accepted and refused lines alike
    expect(fields(without(successEntry(), 'timestamp'))).toContain('(entry):anyOf');
    expect(fields(without(failureEntry(), 'timestamp'))).toEqual(['alcoa_contemporaneous:required', 'timestamp:required', '(entry):anyOf']);
    expect(fields(failureEntry({ timestamp: 'yesterday' }))).toEqual(['timestamp:format']);
    expect(fields(successEntry({ event: '' }))).toEqual(['event:minLength']);
    expect(fields([1, 2])).toEqual(['(entry):type']);
  });
});

describe('user schemas', () => {
  it('loads $refs to sibling files (with and without an $id) and checks formats', async () => {
    const dir = join(tmp.dir, 'refs');
    await mkdir(join(dir, 'common'), { recursive: true });
    await writeFile(join(dir, 'common', 'ids.json'), JSON.stringify({ $defs: { user: { type: 'string', pattern: '^user_' } } }));
    await writeFile(join(dir, 'plain.json'), JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['user_id', 'at'],
      properties: { user_id: { $ref: 'common/ids.json#/$defs/user' }, at: { type: 'string', format: 'date-time' } },
    }));
    const plain = await loadAuditValidator({ schemaPath: 'refs/plain.json', cwd: tmp.dir });
    expect(plain.uniqueFields).toEqual([]);
    expect(plain.check({ user_id: 'user_1', at: '2026-11-22T16:40:00Z' })).toEqual([]);
    expect(plain.check({ user_id: 'x', at: 'yesterday' }).map((v) => v.field).sort()).toEqual(['at', 'user_id']);

    await writeFile(join(dir, 'with-id.json'), JSON.stringify({
      $id: 'https://example.test/schemas/audit.json',
      'x-unique': ['id'],
      'x-owner': 'compliance team',
      type: 'object',
      properties: { user_id: { $ref: 'common/ids.json#/$defs/user' } },
    }));
    const withId = await loadAuditValidator({ schemaPath: join(dir, 'with-id.json') });
    expect(withId.uniqueFields).toEqual(['id']);
    expect(withId.check({ user_id: 'nope' }).map((v) => v.keyword)).toEqual(['pattern']);
  });

  it('extends the bundled schema by $ref and declares its own x-unique fields', async () => {
    const dir = join(tmp.dir, 'extends');
    await mkdir(dir, { recursive: true });
    const mine = await loadAuditValidator({ schemaPath: await writeUniqueSchema(dir, ['request_id']) });
    expect(mine.uniqueFields).toEqual(['request_id']);
    expect(mine.check(successEntry({ request_id: 'req_1' }))).toEqual([]);
    expect(mine.check(failureEntry())).toEqual([]);
    expect(mine.check(without(successEntry(), 'token_iat')).map((v) => `${v.field}:${v.keyword}`)).toEqual(['token_iat:required']);
  });

  it('names the file when a schema is missing, not JSON, not 2020-12, or does not compile', async () => {
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'missing.json') }), 'missing.json cannot be read (ENOENT)');
    await writeFile(join(tmp.dir, 'broken.json'), '{"type": "object",');
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'broken.json') }), 'broken.json is not valid JSON');
    await writeFile(join(tmp.dir, 'draft7.json'), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#' }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'draft7.json') }), 'only draft 2020-12');
    await writeFile(join(tmp.dir, 'typo.json'), JSON.stringify({ type: 'object', requried: ['a'] }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'typo.json') }), 'typo.json does not compile: strict mode: unknown keyword: "requried"');
    await writeFile(join(tmp.dir, 'format.json'), JSON.stringify({ type: 'string', format: 'colour' }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'format.json') }), 'unknown format "colour"');
    await writeFile(join(tmp.dir, 'ref.json'), JSON.stringify({ $ref: 'gone.json' }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'ref.json') }), `gone.json (referenced from ${join(tmp.dir, 'ref.json')}) cannot be read`);
    await writeFile(join(tmp.dir, 'remote.json'), JSON.stringify({ $ref: 'https://elsewhere.test/x.json' }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'remote.json') }), 'remote schemas are not fetched');
    await writeFile(join(tmp.dir, 'unique.json'), JSON.stringify({ 'x-unique': 'request_id' }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'unique.json') }), '"x-unique" must be an array');
  });
});
