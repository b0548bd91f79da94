/**
 * Clerk's Backend API OpenAPI spec (vendored: test/fixtures/clerk/clerk-bapi-openapi-2026-05-12.yml)
 * as a response checker for the emulator's tests. Given a request and the answer the emulator gave,
 * it finds the operation by method + path template, the response the spec declares for that status,
 * and checks the body with ajv, twice:
 *   - against the schema as written (`violations`: a missing required field, a wrong type, ...);
 *   - against a closed copy in which every object schema that lists its properties and says nothing
 *     about others gets `unevaluatedProperties: false` (`extraFields`: a property the spec does not
 *     declare). An object the spec leaves open (no properties listed, or `additionalProperties`
 *     given) stays open; a faithful emulator may still not invent fields where the spec lists them.
 * Results are data (paths of the offending fields); the tests decide what fails.
 *
 * The spec is OpenAPI 3.0 (`nullable: true`, boolean `exclusiveMinimum`); its schemas are turned
 * into JSON Schema 2020-12 so that `unevaluatedProperties` sees through `$ref`, `allOf` and `oneOf`.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

export const BAPI_SPEC_FILE = new URL('../fixtures/clerk/clerk-bapi-openapi-2026-05-12.yml', import.meta.url).pathname;

type Node = Record<string, unknown>;

/** One operation of the spec; `key` is how tests name it: `GET /v1/users/{user_id}`. */
export interface SpecOperation {
  method: string;
  /** The path template as the spec writes it, relative to the server URL: `/users/{user_id}`. */
  template: string;
  key: string;
  operationId: string;
}

/** What the emulator answered to one request, as a client saw it. */
export interface Exchange {
  method: string;
  /** Path under the API origin, e.g. `/v1/users/user_123`. */
  path: string;
  /** The query string without `?` ('' for none). */
  query: string;
  status: number;
  contentType: string | null;
  /** The parsed JSON body (or the raw text when it is not JSON). */
  body: unknown;
}

export interface SchemaCheck {
  /** The body breaks the schema as written: `<json pointer>: <message>`. */
  violations: string[];
  /** JSON pointers of properties the (closed) schema does not declare. */
  extraFields: string[];
}

export interface ResponseCheck extends SchemaCheck {
  /** The spec operation that answers the request, e.g. `GET /v1/users/{user_id}`; undefined when none. */
  operation?: string;
  operationId?: string;
  status: number;
  /**
   * Which response of the spec the body was checked against: the status it declares (`200`,
   * `404`), `default`, or `undeclared` when the spec lists no entry for an error status (checked
   * against ClerkErrors, the envelope of every error response in this spec).
   */
  response: string;
  /** The schema used: a `#/components/...` ref, `inline`, or `paginated <ref>` (see below). */
  schema: string;
}

export interface BapiSpec {
  readonly file: string;
  /** `info.version`, e.g. `2026-05-12`. */
  readonly version: string;
  /** The path of the server URL, `/v1`: every template is under it. */
  readonly basePath: string;
  /**
   * The operation for `method` + `path` (a concrete path, `/v1/users/user_1`, or a template whose
   * `{…}` segments match only template parameters). Literal segments win over parameters, so
   * `/v1/users/count` is GetUsersCount, not GetUser.
   */
  findOperation(method: string, path: string): SpecOperation | undefined;
  checkResponse(exchange: Exchange): ResponseCheck;
  /** Check a value against `components.schemas[name]`. */
  checkSchema(name: string, value: unknown): SchemaCheck;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** OpenAPI keywords with no JSON Schema meaning here (annotations, vendor extensions). */
const DROPPED = new Set(['nullable', 'example', 'discriminator', 'xml', 'externalDocs', 'readOnly', 'writeOnly']);
const OPEN = 'bapi-open';
const CLOSED = 'bapi-closed';

function isNode(v: unknown): v is Node {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function pointerEscape(name: string): string {
  return encodeURIComponent(name.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/**
 * An OpenAPI 3.0 schema object as JSON Schema 2020-12. `closed` adds `unevaluatedProperties:
 * false` to object schemas that list properties and do not mention additionalProperties. The
 * members of an `allOf` that adds properties of its own (or has several members) are taken open:
 * a closed member would refuse its siblings' properties; the parent, closed, still checks them all.
 */
function toJsonSchema(node: unknown, closed: boolean): unknown {
  if (!isNode(node)) return node;
  const out: Node = {};
  const composes = Array.isArray(node.allOf) && (isNode(node.properties) || node.allOf.length > 1);
  for (const [k, v] of Object.entries(node)) {
    if (DROPPED.has(k) || k.startsWith('x-')) continue;
    if (k === '$ref' && typeof v === 'string') {
      const name = v.replace(/^#\/components\/schemas\//, '');
      out.$ref = `${closed ? CLOSED : OPEN}#/$defs/${pointerEscape(name)}`;
    } else if (k === 'properties' && isNode(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJsonSchema(s, closed)]));
    } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.map((s) => toJsonSchema(s, closed && !(k === 'allOf' && composes)));
    } else if (k === 'items' || k === 'not' || k === 'additionalProperties') {
      out[k] = toJsonSchema(v, closed);
    } else if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') {
      const bound = k === 'exclusiveMinimum' ? 'minimum' : 'maximum';
      if (v && typeof node[bound] === 'number') out[k] = node[bound]; // 3.0's boolean form
    } else if ((k === 'minimum' || k === 'maximum') && node[k === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'] === true) {
      continue; // became the exclusive bound above
    } else {
      out[k] = v;
    }
  }
  if (closed && isNode(out.properties) && !('additionalProperties' in node)) out.unevaluatedProperties = false;
  if (node.nullable !== true) return out;
  const composed = ['$ref', 'allOf', 'anyOf', 'oneOf'].some((k) => k in out);
  if (typeof out.type === 'string' && !composed) {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}

/** `{data, total_count}`: what a list operation answers with `paginated=true` (see checkResponse). */
function paginatedOf(arraySchema: Node): Node {
  return {
    type: 'object',
    properties: { data: arraySchema, total_count: { type: 'integer', format: 'int64' } },
    required: ['data', 'total_count'],
    additionalProperties: false,
  };
}

function explain(e: ErrorObject): string {
  const where = e.instancePath || '/';
  const params = e.keyword === 'enum' ? ` ${JSON.stringify(e.params.allowedValues)}` : e.keyword === 'required' || e.keyword === 'type' || e.keyword === 'format' ? '' : ` ${JSON.stringify(e.params)}`;
  return `${where}: ${e.message}${params}`;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

interface Compiled {
  open: ValidateFunction;
  closed: ValidateFunction;
}

export function loadBapiSpec(file: string = BAPI_SPEC_FILE): BapiSpec {
  const spec = parse(readFileSync(file, 'utf8')) as Node & {
    info: { version: string };
    servers?: Array<{ url: string }>;
    paths: Record<string, Node>;
    components: { schemas: Record<string, unknown>; responses?: Record<string, Node>; parameters?: Record<string, Node> };
  };
  const basePath = spec.servers?.[0] ? new URL(spec.servers[0].url).pathname.replace(/\/$/, '') : '';

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv2020) => Ajv2020)(ajv);
  for (const f of ['int64', 'int32']) ajv.addFormat(f, { type: 'number', validate: Number.isInteger });
  for (const f of ['double', 'float', 'binary']) ajv.addFormat(f, true);
  const defs = (closed: boolean) => Object.fromEntries(Object.entries(spec.components.schemas).map(([n, s]) => [n, toJsonSchema(s, closed)]));
  ajv.addSchema({ $id: OPEN, $defs: defs(false) });
  ajv.addSchema({ $id: CLOSED, $defs: defs(true) });

  const cache = new Map<string, Compiled>();
  const compile = (key: string, schema: unknown): Compiled => {
    let c = cache.get(key);
    if (!c) cache.set(key, (c = { open: ajv.compile(toJsonSchema(schema, false) as Node), closed: ajv.compile(toJsonSchema(schema, true) as Node) }));
    return c;
  };
  const run = (c: Compiled, value: unknown): SchemaCheck => {
    if (!c.open(value)) return { violations: unique(c.open.errors!.map(explain)), extraFields: [] };
    if (c.closed(value)) return { violations: [], extraFields: [] };
    const errors = c.closed.errors!;
    const extra = errors.filter((e) => e.keyword === 'unevaluatedProperties').map((e) => `${e.instancePath}/${String(e.params.unevaluatedProperty)}`);
    return { violations: [], extraFields: unique(extra.length ? extra : errors.map(explain)) };
  };

  const resolve = <T extends Node>(node: T | { $ref: string }): T => {
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref !== 'string') return node as T;
    let n: unknown = spec;
    for (const part of ref.replace(/^#\//, '').split('/')) n = (n as Node)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return n as T;
  };

  const operations: Array<SpecOperation & { segments: string[]; node: Node; parameters: Node[] }> = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const method of HTTP_METHODS) {
      const node = item[method];
      if (!isNode(node)) continue;
      const parameters = [...((item.parameters as Node[] | undefined) ?? []), ...((node.parameters as Node[] | undefined) ?? [])].map((p) => resolve<Node>(p));
      const upper = method.toUpperCase();
      operations.push({ method: upper, template, key: `${upper} ${basePath}${template}`, operationId: String(node.operationId ?? ''), segments: template.split('/').slice(1), node, parameters });
    }
  }

  const isParam = (segment: string) => segment.startsWith('{') && segment.endsWith('}');
  const findOperation = (method: string, path: string) => {
    if (!path.startsWith(basePath + '/')) return undefined;
    const segments = path.slice(basePath.length).split('/').slice(1);
    let best: (typeof operations)[number] | undefined;
    let bestLiterals = -1;
    for (const op of operations) {
      if (op.method !== method.toUpperCase() || op.segments.length !== segments.length) continue;
      let literals = 0;
      let fits = true;
      for (let i = 0; fits && i < segments.length; i++) {
        if (isParam(op.segments[i])) fits = segments[i] !== '';
        else if ((fits = op.segments[i] === segments[i])) literals++;
      }
      if (fits && literals > bestLiterals) [best, bestLiterals] = [op, literals];
    }
    return best;
  };

  const clerkErrors = () => compile('#/components/schemas/ClerkErrors', { $ref: '#/components/schemas/ClerkErrors' });

  const checkResponse = (x: Exchange): ResponseCheck => {
    const op = findOperation(x.method, x.path);
    const base = { operation: op?.key, operationId: op?.operationId, status: x.status };
    if (!op) {
      if (x.status >= 400) return { ...base, response: 'undeclared', schema: '#/components/schemas/ClerkErrors', ...run(clerkErrors(), x.body) };
      return { ...base, response: 'none', schema: 'none', violations: [`the spec has no operation ${x.method} ${x.path}`], extraFields: [] };
    }
    const responses = op.node.responses as Record<string, Node>;
    const status = String(x.status);
    const declared = status in responses ? status : `${status[0]}XX` in responses ? `${status[0]}XX` : 'default' in responses ? 'default' : undefined;
    if (!declared) {
      if (x.status >= 400) return { ...base, response: 'undeclared', schema: '#/components/schemas/ClerkErrors', ...run(clerkErrors(), x.body) };
      return { ...base, response: 'none', schema: 'none', violations: [`${op.key} (${op.operationId}) declares no ${status} response`], extraFields: [] };
    }
    const entry = resolve<Node>(responses[declared]);
    const content = (entry.content ?? {}) as Record<string, { schema?: Node }>;
    const mediaType = x.contentType?.split(';')[0].trim().toLowerCase() ?? '';
    if (!(mediaType in content)) {
      const expected = Object.keys(content).join(', ') || 'no body';
      return { ...base, response: declared, schema: 'none', violations: [`Content-Type ${x.contentType ?? '(none)'}, the spec says ${expected}`], extraFields: [] };
    }
    let schema = content[mediaType].schema ?? {};
    let name = typeof schema.$ref === 'string' ? schema.$ref : 'inline';
    // The spec documents `paginated` on list operations but gives only the bare array as their
    // answer. With paginated=true Clerk answers {data, total_count}, and @clerk/backend (which
    // always sends it, and reads data/total_count) is the ground truth: check that shape.
    const paginated = new URLSearchParams(x.query).get('paginated') === 'true' && op.parameters.some((p) => p.name === 'paginated' && p.in === 'query');
    if (paginated && resolve<Node>(schema).type === 'array') {
      schema = paginatedOf(resolve<Node>(schema));
      name = `paginated ${name}`;
    }
    return { ...base, response: declared, schema: name, ...run(compile(`${op.key} ${declared} ${name}`, schema), x.body) };
  };

  return {
    file,
    version: spec.info.version,
    basePath,
    findOperation: (method, path) => {
      const op = findOperation(method, path);
      return op && { method: op.method, template: op.template, key: op.key, operationId: op.operationId };
    },
    checkResponse,
    checkSchema: (name, value) => {
      if (!(name in spec.components.schemas)) throw new Error(`the spec has no schema ${name}`);
      const ref = `#/components/schemas/${name}`;
      return run(compile(ref, { $ref: ref }), value);
    },
  };
}
