import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_SCHEMA, loadAuditValidator } from '../src/audit/schema.js';
import type { AuditValidator } from '../src/audit/types.js';
import { HarnessError } from '../src/errors.js';
import { failureEntry, successEntry, tempDir, without } from './audit-helpers.js';

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
  it('accepts the agreed success and failure lines and declares event_id unique', () => {
    expect(validator.schemaPath).toBe(DEFAULT_AUDIT_SCHEMA);
    expect(validator.uniqueFields).toEqual(['event_id']);
    expect(validator.check(successEntry())).toEqual([]);
    expect(validator.check(successEntry({ user_email: 'ada@example.com', timestamp: '2026-11-22T17:40:00+01:00' }))).toEqual([]);
    expect(validator.check(failureEntry())).toEqual([]);
    expect(validator.check(failureEntry({ status: 403, user_id: 'user_2xAbc123', token_iat: 1763824800 }))).toEqual([]);
  });

  it('is strict about attribution on success entries', () => {
    expect(validator.check(without(successEntry(), 'token_iat'))).toEqual([
      { field: 'token_iat', keyword: 'required', message: 'required property missing (for outcome "success")' },
    ]);
    expect(fields(successEntry({ token_iat: null }))).toEqual(['token_iat:type']);
    expect(fields(successEntry({ token_iat: 1763824800123 }))).toEqual(['token_iat:maximum']); // milliseconds
    expect(fields(successEntry({ token_iat: 1763824800.5 }))).toEqual(['token_iat:type']);
    expect(fields(successEntry({ user_id: 'usr_1' }))).toEqual(['user_id:pattern']);
    expect(fields(successEntry({ user_id: null }))).toEqual(['user_id:type']);
    expect(fields(without(successEntry(), 'user_email'))).toEqual(['user_email:required']);
    expect(fields(successEntry({ user_email: 'not-an-email' }))).toEqual(['user_email:format']);
    expect(fields(successEntry({ alcoa_attributable: false }))).toEqual(['alcoa_attributable:const']);
    expect(fields(successEntry({ alcoa_contemporaneous: false }))).toEqual(['alcoa_contemporaneous:const']);
    expect(fields(successEntry({ status: 401 }))).toEqual(['status:maximum']);
  });

  it('requires a zoned date-time, a uuid event_id and the ALCOA+ flags on every entry', () => {
    const naive = validator.check(successEntry({ timestamp: '2026-11-22T16:40:00.123' }));
    expect(naive).toEqual([{ field: 'timestamp', keyword: 'format', message: 'must match format "date-time" (got "2026-11-22T16:40:00.123")' }]);
    expect(fields(successEntry({ event_id: 'abc' }))).toEqual(['event_id:format']);
    expect(fields(without(failureEntry(), 'alcoa_legible'))).toEqual(['alcoa_legible:required']);
    expect(fields(successEntry({ outcome: 'ok' }))).toContain('outcome:enum');
    expect(fields(without(failureEntry(), 'reason'))).toEqual(['reason:required']);
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
    await writeFile(join(tmp.dir, 'unique.json'), JSON.stringify({ 'x-unique': 'event_id' }));
    await expectAuditInvalid(loadAuditValidator({ schemaPath: join(tmp.dir, 'unique.json') }), '"x-unique" must be an array');
  });
});
