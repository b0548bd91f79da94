/**
 * Issue 14, audit: secrets in violation messages, schema $refs outside the schema's folder, ReDoS
 * patterns, 100k-deep lines. In-process (loadAuditValidator, validateAuditFiles, main()).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuditValidator } from '../src/audit/schema.js';
import { shown } from '../src/audit/violations.js';
import { validateAuditFiles } from '../src/audit/validate-file.js';
import { HarnessError } from '../src/errors.js';
import { callMain } from './helpers/main-in-process.js';

/** The CLI in-process (test/helpers/main-in-process.ts). */
function runCli(argv: string[], o: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return callMain(argv, o);
}

const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PEM_BODY = PEM.split('\n')[1];
const SK = `sk_test_${'Q'.repeat(40)}`;
const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hardening-audit-'));
  await mkdir(join(dir, 'schemas', 'sub'), { recursive: true });
  await writeFile(join(dir, 'outside.json'), JSON.stringify({ type: 'string', secret: 'root:x:0:0' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const schema = async (name: string, body: Record<string, unknown>) => {
  const file = join(dir, 'schemas', name);
  await writeFile(file, JSON.stringify({ $schema: DRAFT, ...body }));
  return file;
};
const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as HarnessError);

describe('violation messages redact before they cut', () => {
  it('a PEM private key or sk_ key inside a long value never shows, not even its start', async () => {
    const file = join(dir, 'leak.jsonl');
    const base = { user_id: 'user_abc123', token_iat: 1, alcoa_attributable: true, alcoa_contemporaneous: '2026-01-01T00:00:00Z' };
    await writeFile(file, [
      JSON.stringify({ ...base, alcoa_attributable: `ab${PEM}` }),
      JSON.stringify({ ...base, token_iat: `x${SK}` }),
      JSON.stringify({ ...base, user_id: 7, alcoa_attributable: PEM.slice(0, 120) }), // a key already cut
    ].join('\n') + '\n');
    const { code, stdout, stderr } = await runCli(['audit', 'validate', file], { cwd: dir });
    expect(code).toBe(1);
    const out = stdout + stderr;
    expect(out).toContain('[redacted private key]');
    expect(out).not.toContain(PEM_BODY.slice(0, 12));
    expect(out).not.toContain('Q'.repeat(8));
    const json = await runCli(['audit', 'validate', file, '--json'], { cwd: dir });
    expect(json.stdout).not.toContain(PEM_BODY.slice(0, 12));
    expect(json.stdout).not.toContain('Q'.repeat(8));
  });

  it('shown() is cut after redaction and survives deep values', () => {
    expect(shown(`${'x'.repeat(10)}${PEM}`)).not.toContain(PEM_BODY.slice(0, 8));
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(shown(deep)).toContain('nested deeper than');
  });
});

describe('schema $refs stay inside the schema folder', () => {
  it.each([
    ['file:///etc/passwd'],
    ['../outside.json'],
    ['../../../../../../../../etc/passwd'],
  ])('refuses %s with the ref named, before reading it', async (ref) => {
    const file = await schema('escape.json', { type: 'object', properties: { x: { $ref: ref } } });
    const err = await rejection(loadAuditValidator({ schemaPath: file }));
    expect(err).toBeInstanceOf(HarnessError);
    expect(err!.code).toBe('AUDIT_INVALID');
    expect(err!.message).toMatch(/\$ref ".*" points outside the schema's folder/);
    expect(err!.message).not.toContain('root:x:0:0');
  });

  it('refuses a symlink that leads out of the folder', async () => {
    await symlink(join(dir, 'outside.json'), join(dir, 'schemas', 'link.json')).catch(() => undefined);
    const file = await schema('via-link.json', { type: 'object', properties: { x: { $ref: 'link.json' } } });
    const err = await rejection(loadAuditValidator({ schemaPath: file }));
    expect(err?.message).toContain('points outside the schema\'s folder');
  });

  it('still loads refs next to the schema and in a folder below it', async () => {
    await writeFile(join(dir, 'schemas', 'sub', 'id.json'), JSON.stringify({ type: 'string', pattern: '^user_' }));
    const file = await schema('ok.json', { type: 'object', properties: { x: { $ref: 'sub/id.json' } } });
    const v = await loadAuditValidator({ schemaPath: file });
    expect(v.check({ x: 'user_1' })).toEqual([]);
    expect(v.check({ x: 'nobody' })[0].keyword).toBe('pattern');
  });

  it('refuses a schema path that is a directory or a device', async () => {
    const err = await rejection(loadAuditValidator({ schemaPath: join(dir, 'schemas') }));
    expect(err?.message).toContain('is not a regular file');
    const dev = await rejection(loadAuditValidator({ schemaPath: '/dev/zero' }));
    expect(dev?.message).toContain('is not a regular file');
  });
});

describe('user patterns cannot hang validation', () => {
  it('^(a+)+$ against 30 a\'s and a bang answers at once (linear-time engine)', async () => {
    const file = await schema('redos.json', { type: 'object', properties: { x: { type: 'string', pattern: '^(a+)+$' } }, patternProperties: { '^(b+)+$': { type: 'string' } } });
    const v = await loadAuditValidator({ schemaPath: file });
    const started = performance.now();
    expect(v.check({ x: `${'a'.repeat(5000)}!` }).map((x) => x.keyword)).toEqual(['pattern']);
    expect(v.check({ x: 'aaaa', [`${'b'.repeat(5000)}!`]: 1 })).toEqual([]);
    expect(v.check({ x: 'aaaa', bbbb: 1 })[0].keyword).toBe('type');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a pattern the engine cannot run linearly (lookahead, backreference) is refused by name', async () => {
    const file = await schema('look.json', { type: 'object', properties: { x: { type: 'string', pattern: '^(?!admin)\\w+$' } } });
    const err = await rejection(loadAuditValidator({ schemaPath: file }));
    expect(err?.code).toBe('AUDIT_INVALID');
    expect(err?.message).toContain('pattern "^(?!admin)\\\\w+$"');
    expect(err?.hint).toContain('lookahead');
  });

  it('distinct patterns stay distinct (ajv caches patterns by their text)', async () => {
    const file = await schema('two.json', { type: 'object', properties: { a: { type: 'string', pattern: '^a$' }, b: { type: 'string', pattern: '^b$' } } });
    const v = await loadAuditValidator({ schemaPath: file });
    expect(v.check({ a: 'a', b: 'b' })).toEqual([]);
    expect(v.check({ a: 'b', b: 'a' }).map((x) => x.field).sort()).toEqual(['a', 'b']);
  });
});

describe('100k-deep lines', () => {
  it('are bad lines, not a crash, with the bundled schema and with a recursive one', async () => {
    const n = 100_000;
    const file = join(dir, 'deep.jsonl');
    await writeFile(file, `${'['.repeat(n)}${']'.repeat(n)}\n{"user_id":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}\n`);
    const bundled = await validateAuditFiles([file], { validator: await loadAuditValidator() });
    expect(bundled.bad).toBe(2);
    const recursive = await schema('rec.json', { $defs: { n: { anyOf: [{ type: 'number' }, { type: 'array', items: { $ref: '#/$defs/n' } }, { type: 'object', additionalProperties: { $ref: '#/$defs/n' } }] } }, $ref: '#/$defs/n' });
    const result = await validateAuditFiles([file], { validator: await loadAuditValidator({ schemaPath: recursive }) });
    expect(result.bad).toBe(2);
    expect(result.problems.map((p) => p.reason).join('\n')).toContain('nested too deeply');
  });
});
