/**
 * Load and compile an audit-line JSON Schema (draft 2020-12, ajv + ajv-formats). `$ref`s to other
 * files resolve only inside the schema file's folder (never over the network, never `file:` or
 * `../` outside it: a schema must not make the harness read and print /etc/passwd); `pattern`s run
 * on a linear-time engine (re2js), so `^(a+)+$` cannot hang validation; `x-unique` (top level)
 * declares fields whose values must not repeat across lines — the file validator enforces it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020, type AnySchemaObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import { HarnessError, isHarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { toViolations } from './violations.js';
import type { AuditValidator } from './types.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The schema that ships with the harness, resolved from the package root (not the cwd). */
export const DEFAULT_AUDIT_SCHEMA = fileURLToPath(new URL('../../fixtures/audit.schema.json', import.meta.url));

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';
/** A schema file larger than this is refused (read whole, then compiled). */
export const MAX_SCHEMA_BYTES = 4 * 1024 * 1024;

/**
 * ajv's `code.regExp` engine on re2js: a schema `pattern` (or `patternProperties` key) matches in
 * time linear in the input, whatever the pattern. Lookaround and backreferences, which need
 * backtracking, are refused when the schema compiles, with the pattern named.
 */
export function linearRegExp(pattern: string, flags: string): { test(s: string): boolean; toString(): string } {
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    throw new HarnessError('AUDIT_INVALID', `pattern ${JSON.stringify(pattern)} is not supported by the linear-time regex engine: ${(err as Error).message}`, {
      hint: 'rewrite it without lookahead/lookbehind ((?=, (?!, (?<=) or backreferences (\\1): patterns run on RE2 so that no line can make validation hang',
    });
  }
  // A pattern usually guards a low-cardinality field (`event`, `outcome`): the same few strings
  // on every line. RE2 costs about a microsecond a test, so short strings' results are memoized,
  // in a bounded map (emptied when full: at most MEMO_ENTRIES strings of MEMO_MAX_LENGTH chars).
  let memo = new Map<string, boolean>();
  const test = (s: string): boolean => {
    if (typeof s !== 'string' || s.length > MEMO_MAX_LENGTH) return re.test(s);
    const known = memo.get(s);
    if (known !== undefined) return known;
    const matched = re.test(s);
    if (memo.size >= MEMO_ENTRIES) memo = new Map();
    memo.set(s, matched);
    return matched;
  };
  // ajv caches compiled patterns by toString(): each must be distinct.
  return { test, toString: () => `/${pattern}/${flags}` };
}
const MEMO_ENTRIES = 256;
const MEMO_MAX_LENGTH = 128;
linearRegExp.code = 'linearRegExp';
const UNIQUE_KEYWORD = 'x-unique';

/**
 * Compile the audit schema at `schemaPath` (relative to `cwd`), or the bundled default.
 * Throws HarnessError('AUDIT_INVALID') naming the file when it is unreadable, not JSON, not
 * draft 2020-12, or does not compile (unknown keyword, bad `$ref`, unknown format).
 */
export async function loadAuditValidator(options: { schemaPath?: string; cwd?: string } = {}): Promise<AuditValidator> {
  const schemaPath = options.schemaPath
    ? isAbsolute(options.schemaPath) ? options.schemaPath : resolve(options.cwd ?? process.cwd(), options.schemaPath)
    : DEFAULT_AUDIT_SCHEMA;
  const root = await readSchemaFile(schemaPath, schemaPath);
  // Every $ref must stay in this folder (or below), after symlinks are followed.
  const folder = await realpath(dirname(schemaPath)).catch(() => dirname(schemaPath));
  const uniqueFields = readUniqueFields(root, schemaPath);

  // Without an $id, relative $refs resolve against the file's own URL, so loadSchema sees file: URIs.
  // With an $id (https://…/audit.schema.json), refs under the same base map onto sibling files.
  const bases = new Map<string, string>(); // base URL (ends with /) -> directory on disk
  const rootId = typeof root.$id === 'string' ? root.$id : pathToFileURL(schemaPath).href;
  bases.set(baseOf(rootId), dirname(schemaPath));

  // Every schema a $ref loaded, in load order (the pass/fail validator below is built from them).
  const loadedSchemas: Array<{ uri: string; schema: AnySchemaObject }> = [];
  const ajvOptions = {
    strict: true,
    strictTypes: false, // `type: ["string","null"]` with `pattern` is the natural nullable form
    strictRequired: false,
    // The bundled schema's patterns are ours and safe: native RegExp keeps the hot path fast.
    ...(schemaPath === DEFAULT_AUDIT_SCHEMA ? {} : { code: { regExp: linearRegExp } }),
  } as const;
  const ajv = new Ajv2020({
    ...ajvOptions,
    allErrors: true,
    loadSchema: async (uri) => {
      const file = await insideFolder(fileFor(uri, bases, schemaPath), uri, folder, schemaPath);
      const loaded = await readSchemaFile(file, schemaPath);
      if (typeof loaded.$id === 'string') bases.set(baseOf(new URL(loaded.$id, uri).href), dirname(file));
      registerVendorKeywords(ajv, loaded);
      loadedSchemas.push({ uri, schema: loaded });
      return loaded;
    },
  });
  addFormats(ajv);
  fastDateTime(ajv);
  registerVendorKeywords(ajv, root);

  const rootSchema = { ...root, $id: rootId };
  let validate: (data: unknown) => boolean;
  try {
    validate = await ajv.compileAsync(rootSchema);
  } catch (err) {
    if (isHarnessError(err)) {
      if (err.code === 'AUDIT_INVALID' && err.message.startsWith('pattern ')) throw new HarnessError('AUDIT_INVALID', `audit schema ${schemaPath}: ${err.message}`, { hint: err.hint });
      throw err;
    }
    throw new HarnessError('AUDIT_INVALID', `audit schema ${schemaPath} does not compile: ${redact((err as Error).message)}`, {
      hint: 'fix the schema (draft 2020-12; $refs to files next to it; formats from ajv-formats), or omit --schema to use the bundled one',
      cause: err,
    });
  }

  // `validate` (allErrors, and the evaluated-properties bookkeeping ajv's 2020 dialect does for
  // unevaluatedProperties/Items on every call) answers for the violations. Whether a line is valid
  // at all is decided, once a file's worth of lines has been checked, by a second validator of the
  // same schemas without either: same verdict, less work a line. Only a failing line runs `validate`.
  let decide: ((data: unknown) => boolean) | undefined;
  let checks = 0;
  const decider = (): ((data: unknown) => boolean) =>
    (decide ??= passFailValidator(rootSchema, loadedSchemas, ajvOptions) ?? validate);

  return {
    schemaPath,
    uniqueFields,
    check(entry) {
      let valid: boolean;
      try {
        const pass = decide ?? (++checks > PASS_FAIL_AFTER ? decider() : validate);
        valid = pass(entry) || (pass !== validate && validate(entry));
      } catch (err) {
        // A recursive schema ($ref: "#") over a 100k-deep line: the stack gave out, not the line.
        // (Without recursion ajv never descends that far; toViolations is depth-safe.)
        if (err instanceof RangeError) return [tooDeep()];
        throw err;
      }
      if (valid) return [];
      return toViolations((validate as unknown as { errors: Parameters<typeof toViolations>[0] }).errors ?? [], entry);
    },
  };
}

/** Checks before the pass/fail validator is compiled (a short file or a suite's few lines never pay for it). */
const PASS_FAIL_AFTER = 1000;

/**
 * The same schemas compiled for a yes/no answer: `allErrors: false`, and without ajv's
 * evaluated-properties tracking, which only unevaluatedProperties/unevaluatedItems read (so it is
 * kept, and `undefined` returned, when any of the schemas has either). undefined too when it does
 * not compile (it did once already, so that is not expected): the full validator then decides.
 */
function passFailValidator(
  rootSchema: AnySchemaObject,
  loaded: ReadonlyArray<{ uri: string; schema: AnySchemaObject }>,
  options: Record<string, unknown>,
): ((data: unknown) => boolean) | undefined {
  if (hasKeyword(rootSchema, UNEVALUATED) || loaded.some((l) => hasKeyword(l.schema, UNEVALUATED))) return undefined;
  try {
    // validateSchema: false: the schemas passed the meta-schema in the first compile (that check is
    // most of a compile's 100 ms; without it this one takes about 15).
    const ajv = new Ajv2020({ ...options, allErrors: false, validateSchema: false });
    // Ajv2020 always turns the tracking on; it is read only while compiling, so off it goes here.
    (ajv.opts as { unevaluated?: boolean }).unevaluated = false;
    addFormats(ajv);
    fastDateTime(ajv);
    registerVendorKeywords(ajv, rootSchema);
    for (const { uri, schema } of loaded) {
      registerVendorKeywords(ajv, schema);
      if (!ajv.refs[uri]) ajv.addSchema(schema, uri);
    }
    return ajv.compile(rootSchema);
  } catch {
    return undefined;
  }
}

const UNEVALUATED = new Set(['unevaluatedProperties', 'unevaluatedItems']);

/** Every object key anywhere in `schema` (property names too: harmless for both callers). */
function keysIn(schema: unknown): Set<string> {
  const keys = new Set<string>();
  const stack: unknown[] = [schema];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) stack.push(...node);
    else for (const [key, child] of Object.entries(node)) {
      keys.add(key);
      stack.push(child);
    }
  }
  return keys;
}

function hasKeyword(schema: unknown, keywords: ReadonlySet<string>): boolean {
  const keys = keysIn(schema);
  return [...keywords].some((k) => keys.has(k));
}

type FormatDefinition = { validate: (s: string) => boolean; compare?: unknown };

/**
 * ajv-formats' full `date-time` (RFC 3339, time zone required) splits the string with a regex and
 * runs two more, about 1.5 µs a value, most of a valid line's schema check. The usual shape,
 * `YYYY-MM-DDTHH:MM:SS[.fff]Z` or `…±HH:MM`, is accepted here by its character codes under the
 * same rules (month 1–12, the month's days with leap years, 23:59:59, offset hours ≤ 23 and minutes
 * ≤ 59); anything else (a leap second, another offset form, any bad value) goes to ajv-formats'
 * own function, so the verdict is the same for every string.
 */
function fastDateTime(ajv: Ajv2020): void {
  const formats = ajv.formats as Record<string, unknown>;
  const full = formats['date-time'] as FormatDefinition | undefined;
  if (!full || typeof full.validate !== 'function') return;
  const slow = full.validate;
  ajv.addFormat('date-time', { ...full, validate: (s: string) => (typeof s === 'string' && usualDateTime(s)) || slow(s) } as never);
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** 0–99 from the two ASCII digits at i, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** True only for a valid date-time of the usual shape; false means "ask the full check". */
function usualDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (s.charCodeAt(10) | 0x20) !== 116 ||
    s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return false;
  const century = two(s, 0);
  const yy = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const year = century * 100 + yy;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month]!)) return false;
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    i++;
    const digits = i;
    for (let c = s.charCodeAt(i); c >= 48 && c <= 57; c = s.charCodeAt(++i));
    if (i === digits) return false;
    // 59.99999999999999…: as a number the seconds may round up to 60; leave that to the full check
    if (second === 59 && i - digits > 12) return false;
  }
  const zone = s.charCodeAt(i);
  if (zone === 90 || zone === 122) return i + 1 === n; // Z or z
  if ((zone !== 43 && zone !== 45) || i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false;
  const tzHour = two(s, i + 1);
  const tzMinute = two(s, i + 4);
  return tzHour >= 0 && tzHour <= 23 && tzMinute >= 0 && tzMinute <= 59;
}

function tooDeep() {
  return { field: '(entry)', keyword: 'depth', message: 'nested too deeply to validate against this (recursive) schema' };
}

/**
 * The real path of a $ref'd file, refused unless it lies inside `folder` (the root schema's
 * folder, symlinks followed): `file:///etc/passwd`, `../../etc/passwd` and a symlink out all fail
 * here, before anything is read, with the $ref named.
 */
async function insideFolder(file: string, uri: string, folder: string, rootPath: string): Promise<string> {
  const real = await realpath(file).catch(() => resolve(file));
  const rel = relative(folder, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new HarnessError('AUDIT_INVALID', `audit schema ${rootPath}: $ref "${uri}" points outside the schema's folder ${folder}; refused`, {
      hint: 'copy the referenced schema into the folder of the audit schema (or a folder below it) and refer to it by relative path',
    });
  }
  return real;
}

async function readSchemaFile(file: string, rootPath: string): Promise<AnySchemaObject> {
  const via = file === rootPath ? '' : ` (referenced from ${rootPath})`;
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      throw new HarnessError('AUDIT_INVALID', `audit schema ${file}${via} is not a regular file`, { hint: 'pass the path of a .json schema file' });
    }
    if (info.size > MAX_SCHEMA_BYTES) {
      throw new HarnessError('AUDIT_INVALID', `audit schema ${file}${via} is ${info.size} bytes, over the ${MAX_SCHEMA_BYTES}-byte limit for a schema`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isHarnessError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new HarnessError('AUDIT_INVALID', `audit schema ${file}${via} cannot be read (${code})`, {
      hint: 'check the path given to --schema (or the suite\'s audit.schema) and the $refs in the schema',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new HarnessError('AUDIT_INVALID', `audit schema ${file}${via} is not valid JSON: ${redact((err as Error).message)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new HarnessError('AUDIT_INVALID', `audit schema ${file}${via} must be a JSON object (a JSON Schema)`);
  }
  const schema = value as AnySchemaObject;
  if (schema.$schema !== undefined && schema.$schema !== DRAFT_2020 && schema.$schema !== `${DRAFT_2020}#`) {
    throw new HarnessError('AUDIT_INVALID', `audit schema ${file}${via} declares $schema "${String(schema.$schema)}"; only draft 2020-12 is supported`, {
      hint: `set "$schema": "${DRAFT_2020}" (most draft-07 schemas work unchanged; "definitions" may stay)`,
    });
  }
  return schema;
}

function readUniqueFields(root: AnySchemaObject, schemaPath: string): string[] {
  const value: unknown = root[UNIQUE_KEYWORD];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new HarnessError('AUDIT_INVALID', `audit schema ${schemaPath}: "${UNIQUE_KEYWORD}" must be an array of property names, e.g. ["event_id"]`);
  }
  return value as string[];
}

/** Allow vendor keywords (`x-…`, e.g. our `x-unique`) under ajv's strict mode; they are annotations. */
function registerVendorKeywords(ajv: Ajv2020, schema: unknown): void {
  for (const keyword of keysIn(schema)) if (keyword.startsWith('x-') && !ajv.getKeyword(keyword)) ajv.addKeyword({ keyword });
}

function baseOf(uri: string): string {
  const url = new URL(uri);
  url.hash = '';
  url.search = '';
  return url.href.slice(0, url.href.lastIndexOf('/') + 1);
}

/** Map a $ref target URI onto a file next to a known schema; anything else is refused (no network). */
function fileFor(uri: string, bases: Map<string, string>, rootPath: string): string {
  const clean = uri.split('#')[0];
  if (clean.startsWith('file:')) return fileURLToPath(clean);
  for (const [base, dir] of bases) {
    if (clean.startsWith(base)) return resolve(dir, decodeURIComponent(clean.slice(base.length)));
  }
  throw new HarnessError('AUDIT_INVALID', `audit schema ${rootPath}: $ref "${uri}" is neither a file next to the schema nor under its $id; remote schemas are not fetched`, {
    hint: 'save the referenced schema next to the audit schema and refer to it by relative path',
  });
}
