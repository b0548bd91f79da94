/**
 * The harness's own JSON Schemas (the suite format, the configuration variables) compiled once
 * and kept on disk as ajv standalone code. Compiling the suite schema costs ~200 ms at every start
 * of the CLI and of each suite worker; loading its compiled module costs a few. The file name is a
 * hash of the schema text, the options, the ajv and ajv-formats versions, this module's path and
 * CACHE_FORMAT (bumped when compile() changes what it writes), so an edited schema or an upgraded
 * dependency compiles afresh. The folder sits beside vite's cache under the package's
 * node_modules; where it cannot be written, the schema is compiled in memory as before (same
 * validator, slower start). The audit schemas (bundled or the user's: $refs, RE2 patterns) are
 * compiled in memory by src/audit/schema.ts, not here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options } from 'ajv';
import { packagePath } from './paths.js';

export interface CachedValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface ValidatorOptions {
  /** JSON Schema draft: 2020-12 (Ajv2020) or draft-07 (Ajv). */
  draft: '2020-12' | '07';
  /** Add ajv-formats' full formats (date-time, uri, email...). */
  formats?: boolean;
  ajv?: Pick<Options, 'allErrors' | 'strict' | 'strictTypes' | 'strictRequired'>;
}

export interface CacheOptions {
  /** Default VALIDATOR_CACHE_DIR. */
  cacheDir?: string;
  /** Told whether the validator came from the disk cache or was compiled (tests, benchmarks). */
  onLoad?: (from: 'disk' | 'compiled') => void;
}

const require = createRequire(import.meta.url);
/** The generated modules resolve ajv's runtime (and ajv-formats) from here, wherever they are stored. */
const ANCHOR = fileURLToPath(import.meta.url);
export const VALIDATOR_CACHE_DIR = packagePath('node_modules', '.cache', 'clerk-harness', 'validators');
const memo = new Map<string, CachedValidator>();
/** Bump when compile() changes the code it writes (the require line, the formats export). */
const CACHE_FORMAT = 1;
const versionOf = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;

/** A validator for `schema`, from the disk cache when it is there, else compiled (and cached). */
export function cachedValidator(schema: object, options: ValidatorOptions, cache: CacheOptions = {}): CachedValidator {
  const dir = cache.cacheDir ?? VALIDATOR_CACHE_DIR;
  const text = JSON.stringify(schema);
  const inputs = [CACHE_FORMAT, versionOf('ajv'), versionOf('ajv-formats'), ANCHOR, options, text];
  const key = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 32);
  const file = path.join(dir, `${key}.cjs`);
  const known = memo.get(file);
  if (known) return known;
  let validate: CachedValidator | undefined;
  try {
    validate = require(file) as CachedValidator;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  if (typeof validate === 'function') {
    cache.onLoad?.('disk');
  } else {
    const { code, validate: compiled } = compile(schema, options);
    validate = compiled;
    store(file, code);
    cache.onLoad?.('compiled');
  }
  memo.set(file, validate);
  return validate;
}

function compile(schema: object, options: ValidatorOptions): { code: string; validate: CachedValidator } {
  const { _ } = require('ajv') as typeof import('ajv');
  const AjvClass = (options.draft === '2020-12' ? require('ajv/dist/2020') : require('ajv')).default as typeof import('ajv').default;
  const ajv = new AjvClass({
    ...options.ajv,
    code: { source: true, ...(options.formats ? { formats: _`require("ajv-formats/dist/formats").fullFormats` } : {}) },
  });
  if (options.formats) (require('ajv-formats').default as (a: unknown) => unknown)(ajv);
  const validate = ajv.compile(schema) as CachedValidator;
  const standalone = require('ajv/dist/standalone').default as (a: unknown, v: unknown) => string;
  // `var` may redeclare the CommonJS wrapper's `require` parameter; its right side still sees the original.
  // "use strict" stays first, where it takes effect.
  const code = `"use strict";\nvar require = require("node:module").createRequire(${JSON.stringify(ANCHOR)});\n${standalone(ajv, validate)}`;
  return { code, validate };
}

/** Best effort: a temp file renamed into place, so a concurrent start never reads half a module. */
function store(file: string, code: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder could not be made at all: nothing was written
    }
  }
}

/** The schema file's JSON (shipped with the package; a broken one is our bug, not the user's). */
export function readSchemaJson(file: string): object {
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}
