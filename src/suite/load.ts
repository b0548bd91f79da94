import path from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, visit, type Document } from 'yaml';
import { checkUserFile, readUserFileSync, userFileExists, UserFileError } from '../config/user-file.js';
import { echoValue, isHttpUrl, URL_RULES } from '../config/url.js';
import type { ErrorObject } from 'ajv';
import { HarnessError } from '../errors.js';
import { packagePath } from '../paths.js';
import { cachedValidator, readSchemaJson, type CachedValidator } from '../schema-cache.js';
import { matcherProblems } from '../audit/classify.js';
import { loadEndpointAuthz, loadPersonas, type AuthzLoadContext } from './load-authz.js';
import type { Suite, SuiteEndpoint } from './types.js';

export const SUITE_SCHEMA_FILE = packagePath('suites', 'suite.schema.json');
export const DEFAULT_SUITE_FILE = packagePath('suites', 'reference.yaml');
/** A suite is a page of YAML; anything bigger is not one. */
export const MAX_SUITE_BYTES = 1024 * 1024;
/** Body fixtures are read whole for every request. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Aliases a suite may expand: enough for shared headers, far too few for an alias bomb. */
export const MAX_SUITE_ALIASES = 1000;
/** An HTTP token (RFC 9110): what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

let validator: CachedValidator | undefined;
function validate(data: unknown): ErrorObject[] {
  validator ??= cachedValidator(readSchemaJson(SUITE_SCHEMA_FILE), { draft: '2020-12', ajv: { allErrors: true, strict: false } });
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** `/endpoints/0/method` -> `endpoints[0].method` */
function fieldName(pointer: string, extra?: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(top level)';
}

/** What a user should read for one schema error; `key` names the offending property name, if any. */
function describeError(e: ErrorObject): { pointer: string; field: string; message: string; key?: string } {
  const p = e.params as Record<string, unknown>;
  // A property name the schema refuses (ajv marks errors under propertyNames with the name).
  const badName = (e as ErrorObject & { propertyName?: string }).propertyName ?? (e.keyword === 'propertyNames' ? String(p.propertyName) : undefined);
  if (badName !== undefined) {
    const message = /headers$/.test(e.instancePath)
      ? `name ${JSON.stringify(badName)} is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only; no spaces, CR or LF)`
      : `name ${JSON.stringify(badName)} is not allowed here${e.keyword === 'pattern' ? ` (it must match ${String(p.pattern)})` : ''}`;
    return { pointer: e.instancePath, field: fieldName(e.instancePath), message, key: badName };
  }
  if (e.keyword === 'additionalProperties') {
    const prop = String(p.additionalProperty);
    return { pointer: e.instancePath, field: fieldName(e.instancePath, prop), message: 'is not a known field (check the spelling against suites/suite.schema.json)' };
  }
  if (e.keyword === 'required') {
    return { pointer: e.instancePath, field: fieldName(e.instancePath, String(p.missingProperty)), message: 'is required' };
  }
  if (e.keyword === 'enum') {
    return { pointer: e.instancePath, field: fieldName(e.instancePath), message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  }
  if (e.keyword === 'pattern' && /\/endpoints\/\d+\/path$/.test(e.instancePath)) {
    return { pointer: e.instancePath, field: fieldName(e.instancePath), message: 'must be a path on the target starting with a single / and without spaces (a path like //host/x would send the tokens to another host)' };
  }
  if (e.keyword === 'type' && /\/body$/.test(e.instancePath)) {
    // An inline mapping is what users of other HTTP test tools write first.
    return { pointer: e.instancePath, field: fieldName(e.instancePath), message: 'must name a fixture file (relative to the suite file), e.g. body: fixtures/job.json; an inline body is not supported: put it in a .json file' };
  }
  if (e.keyword === 'pattern' && /headers|content_type/.test(e.instancePath + e.schemaPath)) {
    return { pointer: e.instancePath, field: fieldName(e.instancePath), message: 'must not contain CR, LF or NUL (header injection), and header names must be HTTP tokens' };
  }
  return { pointer: e.instancePath, field: fieldName(e.instancePath), message: e.message ?? 'is invalid' };
}

/** Pick the most useful error: the deepest one, skipping oneOf/anyOf wrappers. */
function bestError(errors: ErrorObject[]): ErrorObject {
  const concrete = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'const'].includes(e.keyword));
  const pool = concrete.length ? concrete : errors;
  return pool.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
}

function asList(v: number | number[] | undefined): number[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

interface RawEndpoint {
  name?: string; method: string; path: string; headers?: Record<string, string>; body?: string;
  content_type?: string; accepted_status?: number | number[]; rejected_status?: number | number[];
  access?: Parameters<typeof loadEndpointAuthz>[0]['access']; resource?: Parameters<typeof loadEndpointAuthz>[0]['resource'];
}

/** A path for a message: relative to cwd when it lies below it, else absolute (no ../../../work/...). */
function shownPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** Load, validate and normalise a suite file (YAML or JSON). Errors name file, line and field. */
export function loadSuite(file: string, options: { cwd?: string } = {}): Suite {
  const cwd = options.cwd ?? process.cwd();
  const abs = path.resolve(cwd, file);
  // Named as the user would write it: relative to where they are, unless it lies elsewhere.
  const rel = shownPath(abs, cwd);
  if (!userFileExists(abs)) {
    throw new HarnessError('FIXTURE_MISSING', `suite file ${rel} does not exist`, { hint: 'pass --suite with a path to a .yaml or .json suite (see suites/reference.yaml)' });
  }
  // Regular files only, bounded: a directory, FIFO or /dev/zero is refused before any byte is read.
  const text = readUserFileSync(abs, { what: `suite file ${rel}`, code: 'SUITE_INVALID', maxBytes: MAX_SUITE_BYTES });
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const line = lineCounter.linePos(err.pos[0]).line;
    throw new HarnessError('SUITE_INVALID', `${rel}:${line}: cannot parse: ${err.message.split('\n')[0]}`, { hint: 'fix the YAML/JSON syntax at that line' });
  }
  const data = suiteData(doc, rel, lineCounter);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new HarnessError('SUITE_INVALID', `${rel}:1: a suite must be a mapping with "name" and "endpoints"`, { hint: 'start from suites/reference.yaml' });
  }
  const errors = validate(data);
  if (errors.length) {
    const e = describeError(bestError(errors));
    const keys = e.pointer.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    let node = keys.length ? doc.getIn(keys, true) : doc.contents;
    // A refused property name: point at that key, not at the start of its mapping.
    if (e.key !== undefined && isMap(node)) node = node.items.find((pair) => isScalar(pair.key) && pair.key.value === e.key)?.key ?? node;
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    const line = lineCounter.linePos(offset).line;
    throw new HarnessError('SUITE_INVALID', `${rel}:${line}: ${e.field} ${e.message}`, { hint: `the suite format is described by ${shownPath(SUITE_SCHEMA_FILE, cwd)}` });
  }
  const lineOf = (keys: Array<string | number>) => {
    const node = doc.getIn(keys, true);
    return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : 1;
  };
  const raw = data as Record<string, any>;
  checkTarget(raw, rel, lineOf);
  // Two endpoints with one name would overwrite each other in every report.
  const seen = new Map<string, number>();
  (raw.endpoints as RawEndpoint[]).forEach((e, i) => {
    const name = e.name ?? `${e.method} ${e.path}`;
    const first = seen.get(name);
    if (first !== undefined) {
      throw new HarnessError('SUITE_INVALID', `${rel}:${lineOf(['endpoints', i])}: endpoints[${i}].name "${name}" is already used by endpoints[${first}] (line ${lineOf(['endpoints', first])})`, {
        hint: 'give every endpoint a unique name: reports, filters (-t) and audit.endpoints refer to endpoints by name',
      });
    }
    seen.set(name, i);
  });
  for (const key of ['success', 'failure'] as const) {
    if (raw.audit && raw.audit[key] !== undefined) {
      const problems = matcherProblems(raw.audit[key], `audit.${key}`);
      if (problems.length) throw new HarnessError('SUITE_INVALID', `${rel}:${lineOf(['audit', key])}: ${problems[0]}`, { hint: 'e.g. failure: [{ event: { pattern: "_failed$" } }, { user_id: null }]' });
    }
  }
  return normalise(raw, abs, rel, cwd, lineOf);
}

/**
 * The suite as plain data. Aliases are resolved with a bound (an alias bomb stops at
 * MAX_SUITE_ALIASES instead of taking the memory), and an alias without its anchor is named with
 * its line, not thrown as a ReferenceError.
 */
function suiteData(doc: Document, rel: string, lineCounter: LineCounter): Record<string, unknown> | null {
  try {
    return doc.toJS({ maxAliasCount: MAX_SUITE_ALIASES }) as Record<string, unknown> | null;
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const aliases: Array<{ source: string; line: number }> = [];
    visit(doc, {
      Alias(_key, node) {
        aliases.push({ source: node.source, line: node.range ? lineCounter.linePos(node.range[0]).line : 1 });
      },
    });
    const unresolved = /Unresolved alias[^:]*: (.+)$/.exec(err.message)?.[1];
    const at = aliases.find((a) => a.source === unresolved) ?? aliases[0];
    const line = at?.line ?? 1;
    if (unresolved) {
      throw new HarnessError('SUITE_INVALID', `${rel}:${line}: alias *${unresolved} has no anchor &${unresolved} before it`, { hint: `define &${unresolved} earlier in the file, or write the value out` });
    }
    throw new HarnessError('SUITE_INVALID', `${rel}:${line}: its aliases expand to more than ${MAX_SUITE_ALIASES} nodes (a YAML alias bomb?); refused`, {
      hint: 'a suite needs only a few aliases (shared headers, statuses): write the values out',
    });
  }
}

/** What the suite schema cannot say: base_url is a URL node can open, target.headers are safe to send. */
function checkTarget(raw: Record<string, any>, rel: string, lineOf: (keys: Array<string | number>) => number): void {
  const base = raw.target?.base_url;
  // Not a URL Node can open: a port over 65535, an unclosed [ipv6 bracket, a space...
  if (typeof base === 'string' && base !== '${TARGET_URL}' && !isHttpUrl(base)) {
    throw new HarnessError('SUITE_INVALID', `${rel}:${lineOf(['target', 'base_url'])}: target.base_url ${echoValue(base)} is not a valid http(s) URL (${URL_RULES})`, {
      hint: 'e.g. base_url: http://127.0.0.1:8000, or leave it out to use TARGET_URL / --target',
    });
  }
  const headers = raw.target?.headers;
  if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      const line = lineOf(['target', 'headers', name]);
      if (!HEADER_NAME.test(name)) {
        throw new HarnessError('SUITE_INVALID', `${rel}:${line}: target.headers name ${JSON.stringify(name)} is not a valid header name (letters, digits and !#$%&'*+.^_\`|~- only; no spaces, CR or LF)`, { hint: 'fix the header name' });
      }
      if (typeof value === 'string' && /[\r\n\u0000]/.test(value)) {
        throw new HarnessError('SUITE_INVALID', `${rel}:${line}: target.headers.${name} must not contain CR, LF or NUL (header injection)`, { hint: 'put the value on one line' });
      }
    }
  }
}

function normalise(raw: Record<string, any>, abs: string, rel: string, cwd: string, lineOf: AuthzLoadContext['lineOf']): Suite {
  const dir = path.dirname(abs);
  const authzContext: AuthzLoadContext = { rel, dir, lineOf, maxBodyBytes: MAX_BODY_BYTES };
  const personas = loadPersonas(raw.personas, authzContext);
  const defAccepted = asList(raw.defaults?.accepted_status) ?? [200, 201, 202, 204];
  const defRejected = asList(raw.defaults?.rejected_status) ?? [401];
  const auditRaw = raw.audit;
  const auditedNames: string[] | undefined = auditRaw && auditRaw.endpoints;
  const endpoints: SuiteEndpoint[] = (raw.endpoints as RawEndpoint[]).map((e, i) => {
    const name = e.name ?? `${e.method} ${e.path}`;
    let bodyFile: string | undefined;
    if (e.body) {
      bodyFile = path.resolve(dir, e.body);
      try {
        checkUserFile(bodyFile, { what: `fixture ${e.body}`, code: 'FIXTURE_MISSING', maxBytes: MAX_BODY_BYTES });
      } catch (err) {
        if (!(err instanceof UserFileError)) throw err;
        const why = err.problem === 'missing' ? `fixture ${e.body} not found (looked at ${bodyFile})` : err.message;
        throw new HarnessError('FIXTURE_MISSING', `${rel}: endpoints[${i}].body: ${why}`, { hint: err.problem === 'missing' ? 'body paths are relative to the suite file' : err.hint ?? 'body paths are relative to the suite file' });
      }
    }
    return {
      name,
      method: e.method,
      path: e.path,
      headers: e.headers ?? {},
      bodyFile,
      contentType: e.content_type ?? 'application/json',
      acceptedStatus: asList(e.accepted_status) ?? defAccepted,
      rejectedStatus: asList(e.rejected_status) ?? defRejected,
      audited: auditedNames ? auditedNames.includes(name) : e.method !== 'GET' && e.method !== 'HEAD',
      ...loadEndpointAuthz(e, i, personas, authzContext),
    };
  });
  if (auditedNames) {
    const unknown = auditedNames.filter((n) => !endpoints.some((e) => e.name === n));
    if (unknown.length) throw new HarnessError('SUITE_INVALID', `${rel}: audit.endpoints names unknown endpoint "${unknown[0]}"`, { hint: `known endpoints: ${endpoints.map((e) => e.name).join(', ')}` });
  }
  const baseUrl = raw.target?.base_url === '${TARGET_URL}' ? undefined : raw.target?.base_url;
  return {
    name: raw.name,
    file: abs,
    description: raw.description,
    baseUrl,
    timeoutMs: raw.target?.timeout_ms ?? 5000,
    headers: raw.target?.headers ?? {},
    endpoints,
    cases: {
      include: raw.cases?.include,
      exclude: raw.cases?.exclude ?? [],
      skip: raw.cases?.skip ?? {},
      expect: raw.cases?.expect ?? {},
    },
    template: raw.template,
    authorizedParty: raw.authorized_party,
    audit: auditRaw
      ? {
          // Like every path in a suite, base_dir is relative to the suite file; unset, the target is
          // assumed to run where the harness runs (the embedded default does).
          baseDir: auditRaw.base_dir ? path.resolve(dir, auditRaw.base_dir) : cwd,
          pathPattern: auditRaw.path,
          schemaFile: auditRaw.schema ? path.resolve(dir, auditRaw.schema) : undefined,
          waitMs: auditRaw.wait_ms ?? 2000,
          timestampToleranceMs: auditRaw.timestamp_tolerance_ms ?? 5000,
          logFailures: auditRaw.log_failures ?? false,
          classifier: { success: auditRaw.success, failure: auditRaw.failure },
        }
      : false,
    failOn: raw.fail_on,
    ...(personas ? { personas } : {}),
  };
}
