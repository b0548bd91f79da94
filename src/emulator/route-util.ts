/** What every route table shares: the route shape and BAPI's limit/offset paging. */
import { unprocessable } from './api-errors.js';
import type { EmulatorCore } from './core.js';
import type { Json } from './resources.js';

export interface RouteContext {
  core: EmulatorCore;
  params: string[];
  query: URLSearchParams;
  /** The request announced no body (`body()` would give `{}`): lets a route answer synchronously. */
  noBody: boolean;
  body(): Promise<Json>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: RegExp;
  handle(ctx: RouteContext): Promise<unknown> | unknown;
}

export function pageParams(query: URLSearchParams): { limit: number; offset: number } {
  const limit = query.has('limit') ? Number(query.get('limit')) : 10;
  const offset = query.has('offset') ? Number(query.get('offset')) : 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw unprocessable('form_param_value_invalid', 'limit', 'limit must be between 1 and 500.');
  if (!Number.isInteger(offset) || offset < 0) throw unprocessable('form_param_value_invalid', 'offset', 'offset must be 0 or more.');
  return { limit, offset };
}

/** The `limit`/`offset` page of `items`. */
export function pageOf<T>(items: T[], query: URLSearchParams): T[] {
  const { limit, offset } = pageParams(query);
  return items.slice(offset, offset + limit);
}
