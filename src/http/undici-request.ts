/**
 * undici's `request`, without evaluating all of undici. `import { request } from 'undici'` loads
 * the whole package (fetch, WebSocket, mock agents, cache stores, the SQLite store): about 150 ms
 * of every CLI start and again of every suite worker, where these three modules take 50 ms
 * (measured on a 2-core Xeon). They are what undici's index.js itself wires together for
 * `request`; a later undici that moves them gets the whole package loaded instead, unchanged.
 */
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';

type RequestOptions = { dispatcher?: Dispatcher } & Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & Partial<Pick<Dispatcher.RequestOptions, 'method'>>;
export type UndiciRequest = (url: string | URL, options: RequestOptions) => Promise<Dispatcher.ResponseData>;

const require = createRequire(import.meta.url);

/** Which way `request` was loaded (tests check that the light way still works with this undici). */
export let undiciEntry: 'light' | 'full' = 'light';

function load(): UndiciRequest {
  try {
    const DispatcherClass = require('undici/lib/dispatcher/dispatcher') as { prototype: object };
    const api = require('undici/lib/api') as { request?: (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> };
    const { getGlobalDispatcher } = require('undici/lib/global') as { getGlobalDispatcher?: () => Dispatcher | undefined };
    const { parseURL } = require('undici/lib/core/util') as { parseURL?: (u: string | URL) => URL };
    if (typeof api.request !== 'function' || typeof getGlobalDispatcher !== 'function' || typeof parseURL !== 'function') throw new Error('undici layout changed');
    // What undici's index.js does before exporting `request`: the API methods on every dispatcher.
    Object.assign(DispatcherClass.prototype, api);
    const apiRequest = api.request;
    return (url, options) => {
      const parsed = parseURL(url);
      const { dispatcher = getGlobalDispatcher()!, ...rest } = options;
      // Called on the dispatcher as undici's own wrapper does: it may be one without the API methods.
      return apiRequest.call(dispatcher, {
        ...rest,
        origin: parsed.origin,
        path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
        method: rest.method || (rest.body ? 'PUT' : 'GET'), // as undici's own wrapper
      });
    };
  } catch {
    undiciEntry = 'full';
    return (require('undici') as { request: UndiciRequest }).request;
  }
}

export const request: UndiciRequest = load();
