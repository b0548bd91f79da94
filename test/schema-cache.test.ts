/**
 * src/schema-cache.ts: a schema compiled once is loaded from its ajv standalone module next time,
 * and that module validates exactly as the compiled schema does (same verdicts, same errors).
 * An edited schema compiles afresh; a folder that cannot be written, or a broken module in it,
 * costs only the speed. Each "next time" is a fresh node process on the built module (dist/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { cachedValidator } from '../src/schema-cache.js';

const dir = mkdtempSync(path.join(tmpdir(), 'schema-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BUILT = pathToFileURL(fileURLToPath(new URL('../dist/schema-cache.js', import.meta.url))).href;

const SCHEMA = {
  type: 'object',
  properties: { at: { type: 'string', format: 'date-time' }, n: { type: 'integer', minimum: 1 } },
  required: ['at'],
  additionalProperties: false,
};
const SAMPLES = [{ at: '2026-12-03T10:00:00Z', n: 2 }, { at: '2026-12-03 10:00', n: 0 }, { n: 1, extra: true }, 'not an object'];

/** Where the validator came from, and each sample's verdict and errors, in a fresh process. */
function inFreshProcess(schema: object, samples: unknown[], cacheDir: string): { from: string[]; results: unknown[] } {
  const script = `
    const { cachedValidator } = await import(${JSON.stringify(BUILT)});
    const from = [];
    const v = cachedValidator(${JSON.stringify(schema)}, { draft: '2020-12', formats: true, ajv: { allErrors: true } }, { cacheDir: ${JSON.stringify(cacheDir)}, onLoad: (f) => from.push(f) });
    const results = ${JSON.stringify(samples)}.map((s) => [v(s), v.errors ?? null]);
    process.stdout.write(JSON.stringify({ from, results }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { from: string[]; results: unknown[] };
}

it('compiles once, then loads the standalone module: same verdicts and errors as the compiled schema', () => {
  const cacheDir = path.join(dir, 'a');
  const first = inFreshProcess(SCHEMA, SAMPLES, cacheDir);
  expect(first.from).toEqual(['compiled']);
  expect(readdirSync(cacheDir).filter((f) => f.endsWith('.cjs'))).toHaveLength(1);
  const second = inFreshProcess(SCHEMA, SAMPLES, cacheDir);
  expect(second.from).toEqual(['disk']);
  expect(second.results).toEqual(first.results);
  // The samples exercise the format, the minimum, required and additionalProperties.
  expect(first.results.map((r) => (r as [boolean])[0])).toEqual([true, false, false, false]);
  const keywords = first.results.flatMap((r) => ((r as [boolean, Array<{ keyword: string }> | null])[1] ?? []).map((e) => e.keyword));
  expect(new Set(keywords)).toEqual(new Set(['format', 'minimum', 'required', 'additionalProperties', 'type']));
});

it('an edited schema is compiled afresh, beside the old one', () => {
  const cacheDir = path.join(dir, 'b');
  const from: string[] = [];
  const a = cachedValidator({ type: 'integer' }, { draft: '07' }, { cacheDir, onLoad: (f) => from.push(f) });
  const b = cachedValidator({ type: 'string' }, { draft: '07' }, { cacheDir, onLoad: (f) => from.push(f) });
  expect([a(1), a('x'), b(1), b('x')]).toEqual([true, false, false, true]);
  expect(from).toEqual(['compiled', 'compiled']);
  expect(readdirSync(cacheDir)).toHaveLength(2);
});

it('a cache folder that cannot be made (a file is in its place) only costs the compile', () => {
  const blocked = path.join(dir, 'blocked');
  writeFileSync(blocked, 'a file, not a folder');
  const from: string[] = [];
  const v = cachedValidator({ type: 'boolean' }, { draft: '07' }, { cacheDir: path.join(blocked, 'validators'), onLoad: (f) => from.push(f) });
  expect([v(true), v(1)]).toEqual([true, false]);
  expect(from).toEqual(['compiled']);
});

it('a broken module in the cache is compiled again and replaced', () => {
  const cacheDir = path.join(dir, 'broken');
  const schema = { type: 'object', required: ['at'] };
  expect(inFreshProcess(schema, [{ at: 1 }, {}], cacheDir).from).toEqual(['compiled']);
  for (const f of readdirSync(cacheDir)) writeFileSync(path.join(cacheDir, f), 'module.exports = 42;');
  const again = inFreshProcess(schema, [{ at: 1 }, {}], cacheDir);
  expect(again.from).toEqual(['compiled']);
  expect(again.results.map((r) => (r as [boolean])[0])).toEqual([true, false]);
  expect(inFreshProcess(schema, [{ at: 1 }], cacheDir).from).toEqual(['disk']);
});
