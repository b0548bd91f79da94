/**
 * The objects resource endpoints address, created by their owner persona before any case runs,
 * so no creation lands in an audit window. An endpoint whose method consumes the object (DELETE)
 * gets one object per send (twice its cases: the audit probe may send a request again, alone);
 * the others share one.
 */
import { excerpt, send } from '../../http/send.js';
import { genuine } from '../../cases/define.js';
import type { CaseContext } from '../../cases/types.js';
import { buildRequest } from '../request.js';
import type { SuiteEndpoint } from '../types.js';

export type ObjectPath = { path: string } | { problem: string; hint: string };

export interface ObjectPool {
  /** The endpoint's path with an object id (a fresh object for DELETE), or why there is none. */
  next(endpoint: string): ObjectPath;
}

const consumes = (method: string) => method === 'DELETE';

function idAt(body: unknown, dotPath: string): string | undefined {
  let v: unknown = body;
  for (const k of dotPath.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

export async function createObjectPool(input: {
  targetUrl: string;
  timeoutMs: number;
  suiteHeaders: Record<string, string>;
  endpoints: Array<{ endpoint: SuiteEndpoint; sends: number }>;
  contextFor(persona: string): Promise<CaseContext>;
}): Promise<ObjectPool> {
  const ids = new Map<string, string[]>();
  const problems = new Map<string, { problem: string; hint: string }>();
  const byName = new Map(input.endpoints.map((e) => [e.endpoint.name, e.endpoint]));
  for (const { endpoint, sends } of input.endpoints) {
    const r = endpoint.resource!;
    const want = consumes(endpoint.method) ? sends * 2 : 1;
    const label = `${r.create.method} ${r.create.path}`;
    try {
      const ctx = await input.contextFor(r.owner);
      const token = (await genuine(ctx)).token;
      const request = buildRequest({
        targetUrl: input.targetUrl,
        suiteHeaders: input.suiteHeaders,
        endpoint: { name: endpoint.name, method: r.create.method, path: r.create.path, headers: {}, bodyFile: r.create.bodyFile, contentType: r.create.contentType },
        authorization: `Bearer ${token}`,
      });
      const made: string[] = [];
      const one = async () => {
        const res = await send(request.url, { method: r.create.method, headers: request.headers, body: request.payload, timeoutMs: input.timeoutMs });
        if (res.status < 200 || res.status >= 300) throw new Error(`${label} as ${r.owner} answered ${res.status} ${excerpt(res.body, 120)}`);
        let parsed: unknown;
        try {
          parsed = JSON.parse(res.body);
        } catch {
          throw new Error(`${label} as ${r.owner} answered ${res.status} with a body that is not JSON`);
        }
        const id = idAt(parsed, r.create.id);
        if (id === undefined) throw new Error(`${label} as ${r.owner} answered ${res.status} without "${r.create.id}" in its JSON body`);
        made.push(id);
      };
      for (let done = 0; done < want; done += 8) await Promise.all(Array.from({ length: Math.min(8, want - done) }, one));
      ids.set(endpoint.name, made);
    } catch (err) {
      problems.set(endpoint.name, {
        problem: `could not create the object this endpoint addresses: ${(err as Error).message}`,
        hint: `resource.create must answer 2xx with the new id in "${r.create.id}" for ${r.owner}'s fresh token; check the create request (method, path, body) and that ${r.owner} may create it`,
      });
    }
  }
  const used = new Map<string, number>();
  return {
    next(name) {
      const problem = problems.get(name);
      if (problem) return problem;
      const endpoint = byName.get(name)!;
      const list = ids.get(name)!;
      const i = used.get(name) ?? 0;
      used.set(name, i + 1);
      const id = consumes(endpoint.method) ? list[i] : list[0];
      if (id === undefined) return { problem: `ran out of objects created before the run (${list.length})`, hint: 'a bug of the harness: please report it' };
      return { path: endpoint.path.replace(`{${endpoint.resource!.param}}`, encodeURIComponent(id)) };
    },
  };
}
