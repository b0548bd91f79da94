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
  // ajv caches compiled patterns by toString(): each must be distinct.
  return { test: (s: string) => re.test(s), toString: () => `/${pattern}/${flags}` };
}
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

  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false, // `type: ["string","null"]` with `pattern` is the natural nullable form
    strictRequired: false,
    // The bundled schema's patterns are ours and safe: native RegExp keeps the hot path fast.
    ...(schemaPath === DEFAULT_AUDIT_SCHEMA ? {} : { code: { regExp: linearRegExp } }),
    loadSchema: async (uri) => {
      const file = await insideFolder(fileFor(uri, bases, schemaPath), uri, folder, schemaPath);
      const loaded = await readSchemaFile(file, schemaPath);
      if (typeof loaded.$id === 'string') bases.set(baseOf(new URL(loaded.$id, uri).href), dirname(file));
      registerVendorKeywords(ajv, loaded);
      return loaded;
    },
  });
  addFormats(ajv);
  registerVendorKeywords(ajv, root);

  let validate: (data: unknown) => boolean;
  try {
    validate = await ajv.compileAsync({ ...root, $id: rootId });
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

  return {
    schemaPath,
    uniqueFields,
    check(entry) {
      let valid: boolean;
      try {
        valid = validate(entry);
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
  const seen = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const [key, child] of Object.entries(node)) {
      if (key.startsWith('x-') && !seen.has(key)) seen.add(key);
      walk(child);
    }
  };
  walk(schema);
  for (const keyword of seen) if (!ajv.getKeyword(keyword)) ajv.addKeyword({ keyword });
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
