/**
 * A suite from an OpenAPI 3.0/3.1 document (JSON or YAML, a file or a URL): every operation with a
 * security requirement becomes an endpoint (method, path, a request body sampled from its schema,
 * the accepted status from its responses); operations without one are listed as comments. Parsing
 * and $ref resolution are @apidevtools/swagger-parser's, example bodies openapi-sampler's.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { sample } from 'openapi-sampler';
import type { OpenAPIV3, OpenAPIV3_1 } from 'openapi-types';
import { parse as parseYaml } from 'yaml';
import { HarnessError } from '../errors.js';
import { httpRequest, type HttpResponse } from '../http/request.js';

type Document = OpenAPIV3.Document | OpenAPIV3_1.Document;
type Operation = OpenAPIV3.OperationObject;
type Parameter = OpenAPIV3.ParameterObject;
type Schema = OpenAPIV3.SchemaObject;

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

export interface GeneratedEndpoint {
  name: string;
  method: string;
  path: string;
  /** File name (relative to the bodies folder) and content of the request body, if any. */
  body?: { file: string; content: string; contentType: string };
  acceptedStatus?: number[];
  /** Notes for the user written above the endpoint (e.g. a path parameter taken from an example). */
  notes: string[];
}

export interface SkippedOperation {
  method: string;
  path: string;
  /** Why it is not an endpoint of the suite: public, or something the user must fill in. */
  reason: string;
  todo: boolean;
}

export interface GeneratedSuite {
  title: string;
  version?: string;
  openapi: string;
  /** An absolute server URL from the spec (or the origin the spec was fetched from). */
  serverUrl?: string;
  endpoints: GeneratedEndpoint[];
  skipped: SkippedOperation[];
  securitySchemes: string[];
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'body';

/** A parameter's value when the spec gives one (example, examples, default, enum, const). */
function specValue(p: Parameter): unknown {
  const schema = (p.schema ?? {}) as Schema & { const?: unknown; examples?: unknown[] };
  if (p.example !== undefined) return p.example;
  const ex = p.examples && Object.values(p.examples)[0];
  if (ex && typeof ex === 'object' && 'value' in ex) return (ex as OpenAPIV3.ExampleObject).value;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  return undefined;
}

/** A value any schema-valid server accepts for a query parameter that has no example: sampled. */
function sampledValue(p: Parameter, doc: Document): unknown {
  const v = specValue(p);
  if (v !== undefined) return v;
  try {
    return sample((p.schema ?? { type: 'string' }) as never, { skipReadOnly: true, quiet: true }, doc);
  } catch {
    return undefined;
  }
}

function effectiveSecurity(op: Operation, doc: Document): OpenAPIV3.SecurityRequirementObject[] | undefined {
  return op.security ?? doc.security;
}

/** Protected: at least one requirement, and none of them empty ({} means "no auth is also fine"). */
function isProtected(op: Operation, doc: Document): boolean {
  const sec = effectiveSecurity(op, doc);
  return Array.isArray(sec) && sec.length > 0 && sec.every((req) => Object.keys(req).length > 0);
}

function acceptedStatus(op: Operation): number[] | undefined {
  const codes = Object.keys(op.responses ?? {});
  const exact = codes.filter((c) => /^2\d\d$/.test(c)).map(Number).sort((a, b) => a - b);
  if (exact.length) return exact;
  return undefined; // "2XX", "default" or nothing: the suite's defaults (200, 201, 202, 204) apply
}

function jsonMedia(content: Record<string, OpenAPIV3.MediaTypeObject> | undefined): [string, OpenAPIV3.MediaTypeObject] | undefined {
  if (!content) return undefined;
  return Object.entries(content).find(([type]) => /^application\/([\w.+-]+\+)?json\b/i.test(type));
}

function bodyExample(media: OpenAPIV3.MediaTypeObject, doc: Document): unknown {
  if (media.example !== undefined) return media.example;
  const ex = media.examples && Object.values(media.examples)[0];
  if (ex && typeof ex === 'object' && 'value' in ex) return (ex as OpenAPIV3.ExampleObject).value;
  return sample((media.schema ?? {}) as never, { skipReadOnly: true, quiet: true }, doc);
}

function uniqueName(wanted: string, used: Set<string>): string {
  let name = wanted;
  for (let n = 2; used.has(name); n++) name = `${wanted} ${n}`;
  used.add(name);
  return name;
}

function safeUrl(location: string, base: string): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/** Longest OpenAPI document fetched; a bigger one is refused (save it and pass its path). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/**
 * The document the user named, fetched by us: a URL on loopback (FastAPI on 127.0.0.1:8000) is the
 * usual case, and the parser's own HTTP resolver refuses private addresses, as it should for the
 * $refs inside a document, which stay under that protection. No credential is sent, so redirects
 * are followed (a few), like a browser would.
 */
async function fetchDocument(url: string): Promise<object> {
  let res: HttpResponse | undefined;
  let at = url;
  for (let hop = 0; ; hop++) {
    const out = await httpRequest(at, { headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' }, timeoutMs: 15_000, maxBodyBytes: MAX_DOCUMENT_BYTES });
    if (!out.ok) {
      throw new HarnessError('TARGET_UNREACHABLE', `--openapi ${url}: cannot fetch the document (${out.failure.words})`, {
        hint: 'start the API first (FastAPI serves its document at /openapi.json), or save the document and pass its path',
        cause: out.cause,
      });
    }
    res = out.response;
    const location = res.headers.location;
    const next = res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS ? safeUrl(location, at) : undefined;
    if (!next) break; // an answer, or a redirect that cannot be followed: said below with its status
    at = next.href;
  }
  if (res.truncatedAt !== undefined) {
    throw new HarnessError('USAGE', `--openapi ${url}: the document is over ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MiB; read no further`, { hint: 'save the document and pass its path' });
  }
  const text = res.body;
  if (res.status < 200 || res.status >= 300) throw new HarnessError('USAGE', `--openapi ${url}: the server answered ${res.status}`, { hint: 'FastAPI: /openapi.json; Express + swagger-ui-express: the URL your swagger UI loads (often /api-docs/swagger.json)' });
  try {
    const doc = parseYaml(text) as unknown; // YAML is a superset of JSON
    if (!doc || typeof doc !== 'object') throw new Error('not an object');
    return doc as object;
  } catch (err) {
    throw new HarnessError('USAGE', `--openapi ${url}: the answer is not JSON or YAML (${(err as Error).message.split('\n')[0]})`, { hint: 'give the URL of the document itself, not of the documentation page' });
  }
}

/** Load (file path or http(s) URL), dereference, and generate. */
export async function suiteFromOpenApi(source: string, options: { sourceOrigin?: string } = {}): Promise<GeneratedSuite> {
  let doc: Document;
  const fetched = /^https?:\/\//i.test(source) ? await fetchDocument(source) : undefined;
  try {
    // A fetched document is dereferenced on its own: served documents (FastAPI, swagger-ui-express) are self-contained.
    doc = (await (fetched ? SwaggerParser.dereference(fetched as never) : SwaggerParser.dereference(source))) as Document;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new HarnessError('USAGE', `--openapi ${source}: cannot read the OpenAPI document: ${msg}`, {
      hint: 'pass a path or http(s) URL of an OpenAPI 3.0/3.1 document in JSON or YAML (FastAPI serves it at /openapi.json)',
      cause: err,
    });
  }
  const version = (doc as { openapi?: string; swagger?: string }).openapi;
  if (!version || !/^3\.[01]\./.test(version)) {
    const v = version ?? `swagger ${(doc as { swagger?: string }).swagger ?? '?'}`;
    throw new HarnessError('USAGE', `--openapi ${source}: OpenAPI ${v} is not supported`, { hint: 'give an OpenAPI 3.0 or 3.1 document (convert Swagger 2.0 with swagger2openapi)' });
  }
  // A relative server URL ("/api/v1") is a base path every operation path sits under.
  const server = (doc.servers ?? []).map((s) => s.url).find((u) => /^https?:\/\//.test(u));
  const basePath = server ? '' : ((doc.servers ?? []).map((s) => s.url).find((u) => u.startsWith('/')) ?? '').replace(/\/+$/, '');
  const used = new Set<string>();
  const endpoints: GeneratedEndpoint[] = [];
  const skipped: SkippedOperation[] = [];
  const bodyFiles = new Set<string>();
  for (const [rawPath, item] of Object.entries(doc.paths ?? {})) {
    if (!item) continue;
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method] as Operation | undefined;
      if (!op) continue;
      const M = method.toUpperCase();
      if (!isProtected(op, doc)) {
        skipped.push({ method: M, path: rawPath, reason: 'no security requirement: public, not tested as protected', todo: false });
        continue;
      }
      const params = [...((item.parameters ?? []) as Parameter[]), ...((op.parameters ?? []) as Parameter[])];
      // Operation parameters override path-item ones of the same name and place.
      const byKey = new Map(params.map((p) => [`${p.in}:${p.name}`, p]));
      const notes: string[] = [];
      let path = `${basePath}${rawPath}`;
      let todo: string | undefined;
      for (const p of byKey.values()) {
        if (p.in === 'path') {
          const v = specValue(p);
          if (v === undefined) {
            todo = `path parameter {${p.name}} has no example: add the id of an object the test user owns (e.g. created by another endpoint), then uncomment`;
            continue;
          }
          path = path.replace(`{${p.name}}`, encodeURIComponent(String(v)));
          notes.push(`{${p.name}} = ${JSON.stringify(v)} from the spec's example: use an object the test user can read`);
        } else if (p.in === 'header' && p.required) {
          todo ??= `required header ${p.name}: add it under headers:, then uncomment`;
        }
      }
      const query = [...byKey.values()]
        .filter((p) => p.in === 'query' && p.required)
        .map((p) => [p.name, sampledValue(p, doc)] as const);
      if (query.some(([, v]) => v === undefined)) todo ??= `a required query parameter has no usable example: add it to the path, then uncomment`;
      if (query.length && !todo) path += `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}`;

      let body: GeneratedEndpoint['body'];
      const requestBody = op.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      if (requestBody?.content && Object.keys(requestBody.content).length) {
        const json = jsonMedia(requestBody.content);
        if (json) {
          let example: unknown;
          try {
            example = bodyExample(json[1], doc);
          } catch (err) {
            todo ??= `the request body schema could not be sampled (${(err as Error).message}): write a body file, then uncomment`;
          }
          if (example !== undefined) {
            let file = `${slug(op.operationId ?? `${method}-${rawPath}`)}.json`;
            for (let n = 2; bodyFiles.has(file); n++) file = `${slug(op.operationId ?? `${method}-${rawPath}`)}-${n}.json`;
            bodyFiles.add(file);
            body = { file, content: JSON.stringify(example, null, 2) + '\n', contentType: json[0].split(';')[0]!.trim() };
          }
        } else if (requestBody.required) {
          todo ??= `request body of type ${Object.keys(requestBody.content).join(', ')}: write a body file and set content_type, then uncomment`;
        }
      }
      if (todo) {
        skipped.push({ method: M, path: rawPath, reason: `TODO: ${todo}`, todo: true });
        continue;
      }
      const wanted = op.summary ? op.summary.trim().toLowerCase() : `${M} ${rawPath}`;
      endpoints.push({ name: uniqueName(wanted, used), method: M, path, body, acceptedStatus: acceptedStatus(op), notes });
    }
  }
  const schemes = Object.keys((doc.components?.securitySchemes ?? {}) as Record<string, unknown>);
  return {
    title: doc.info?.title ?? 'my API',
    version: doc.info?.version,
    openapi: version,
    serverUrl: server ?? options.sourceOrigin,
    endpoints,
    skipped,
    securitySchemes: schemes,
  };
}
