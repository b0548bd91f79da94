/**
 * The duplicate set behind x-unique (src/audit/seen-values.ts): 64-bit hashes in typed arrays,
 * with an exact re-check by reading the first line back, so it must report exactly what a Map of
 * the values themselves would, collisions included.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuditValidator } from '../src/audit/schema.js';
import { LineRereader, SeenValues } from '../src/audit/seen-values.js';
import type { AuditValidator } from '../src/audit/types.js';
import { validateAuditFiles } from '../src/audit/validate-file.js';
import { successEntry, tempDir, writeUniqueSchema } from './audit-helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unique: AuditValidator;
beforeAll(async () => {
  tmp = await tempDir('audit-unique');
  unique = await loadAuditValidator({ schemaPath: await writeUniqueSchema(tmp.dir, ['request_id']) });
});
afterAll(() => tmp.cleanup());

const J = (v: unknown) => JSON.stringify(v);

describe('SeenValues', () => {
  it('tells apart values whose hashes collide, by re-reading the first one, once per value', () => {
    const stored = new Map<number, string>(); // offset -> key, as the file would give it back
    const rechecks: number[] = [];
    const seen = new SeenValues((_file, offset) => (rechecks.push(offset), stored.get(offset)), () => [7, 7]); // every key collides
    const add = (key: string, line: number) => {
      const first = seen.firstOrAdd(key, 0, line, line * 100);
      if (!first) stored.set(line * 100, key);
      return first;
    };
    expect(add('a', 1)).toBeUndefined();
    expect(add('b', 2)).toBeUndefined(); // same hash as a, another value: new
    expect(add('c', 3)).toBeUndefined();
    expect(add('b', 4)).toEqual({ fileIndex: 0, lineNo: 2 });
    expect(add('b', 5)).toEqual({ fileIndex: 0, lineNo: 2 });
    expect(add('a', 6)).toEqual({ fileIndex: 0, lineNo: 1 });
    expect(seen.size).toBe(3);
    expect(rechecks).toEqual([100, 200]); // each first line read back at most once, however often it repeats
  });

  it('keeps every value through table growth and names the file it was first seen in', () => {
    const seen = new SeenValues(() => undefined);
    const n = 50_000;
    let reported = 0;
    for (let i = 0; i < n; i++) if (seen.firstOrAdd(`id-${i}`, i < n / 2 ? 0 : 2, i + 1, i)) reported++;
    expect(reported).toBe(0);
    expect(seen.size).toBe(n);
    for (const i of [0, 1, n / 2 - 1, n / 2, n - 1]) {
      expect(seen.firstOrAdd(`id-${i}`, 3, 1, 0)).toEqual({ fileIndex: i < n / 2 ? 0 : 2, lineNo: i + 1 });
    }
  });
});

describe('LineRereader (the exact re-check reads the first line back)', () => {
  it('reads a line by its offset: after a BOM, with CRLF, longer than its buffer, unterminated; undefined when it cannot', async () => {
    const long = { request_id: 'r_long', pad: 'x'.repeat(200_000) };
    const content = '\ufeff' + J({ request_id: 'r1' }) + '\r\n' + J(long) + '\n' + J({ request_id: 'r3' });
    const file = join(tmp.dir, 'reread.jsonl');
    await writeFile(file, content);
    const bytes = Buffer.from(content);
    const at = (needle: string) => bytes.indexOf(Buffer.from(needle));
    const reader = new LineRereader([file, join(tmp.dir, 'missing.jsonl')]);
    try {
      expect(reader.parse(0, 3)).toEqual({ request_id: 'r1' }); // offsets count from after the BOM's 3 bytes
      expect(reader.parse(0, at('{"request_id":"r_long"'))).toEqual(long);
      expect(reader.parse(0, at('{"request_id":"r3"'))).toEqual({ request_id: 'r3' });
      expect(reader.parse(0, 1)).toBeUndefined(); // not the start of a line: not JSON
      expect(reader.parse(1, 0)).toBeUndefined();
    } finally {
      reader.close();
    }
  });
});

describe('validateAuditFiles with x-unique on many lines', () => {
  it('reports the same duplicates as a Map of the values would, across files, BOM and CRLF lines', async () => {
    const files = ['u1.jsonl', 'u2.jsonl'];
    const ids: Array<string | number> = [];
    const bodies: string[][] = [[], []];
    for (let i = 0; i < 6000; i++) {
      const f = i < 4000 ? 0 : 1;
      // strings, numbers, and the string form of a number (which is not the number)
      const id = i % 97 === 5 ? ids[i - 5]! : i % 31 === 0 ? i : i % 37 === 0 ? String(i - 37) : `req_${i}`;
      ids.push(id);
      bodies[f]!.push(J(successEntry({ request_id: id })) + (i % 3 === 0 ? '\r\n' : '\n'));
    }
    bodies[0]![0] = '\ufeff' + bodies[0]![0];
    await writeFile(join(tmp.dir, files[0]!), bodies[0]!.join(''));
    await writeFile(join(tmp.dir, files[1]!), bodies[1]!.join(''));

    const expected: string[] = [];
    const first = new Map<string, string>();
    ids.forEach((id, i) => {
      const key = typeof id === 'string' ? id : `\u0000${id}`;
      const f = i < 4000 ? 0 : 1;
      const line = f === 0 ? i + 1 : i - 3999;
      const at = first.get(key);
      if (at === undefined) first.set(key, `${f}:${line}`);
      else {
        const [ff, fl] = at.split(':');
        const where = Number(ff) === f ? `line ${fl}` : `${files[Number(ff)]}:${fl}`;
        expected.push(`${files[f]}:${line}: duplicate request_id ${J(id)}, first seen at ${where}`);
      }
    });
    expect(expected.length).toBeGreaterThan(50);

    const r = await validateAuditFiles(files, { validator: unique, cwd: tmp.dir, maxReported: 10_000 });
    expect(r.problems.map((p) => `${p.file}:${p.line}: ${p.reason}`)).toEqual(expected);
    expect(r.byKind).toEqual({ json: 0, schema: 0, duplicate: expected.length, overlong: 0 });
    expect(r.valid).toBe(6000 - expected.length);
  });
});
