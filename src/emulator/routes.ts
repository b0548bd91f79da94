/**
 * The Backend API subset under /v1, as a route table. Each handler returns the JSON body (status
 * 200) or throws ApiFailure. List shapes follow BAPI: `GET /v1/users` is a bare array (count is its
 * own endpoint); sessions and templates answer `{data,total_count}` when `paginated=true`.
 * Organization routes are in org-routes.ts.
 */
import { unprocessable } from './api-errors.js';
import { JsonText } from './http-util.js';
import { randomAlnum } from './ids.js';
import { ORG_ROUTES } from './org-routes.js';
import type { Json } from './resources.js';
import { pageOf, pageParams, type Route } from './route-util.js';
import { LIFETIME_RANGE, type UserFilters } from './store.js';

export type { Route, RouteContext } from './route-util.js';

const ID = '([^/]+)';

function listResponse(items: Json[], query: URLSearchParams): unknown {
  const page = pageOf(items, query);
  return query.get('paginated') === 'true' ? { data: page, total_count: items.length } : page;
}

function userFilters(query: URLSearchParams): UserFilters {
  const many = (k: string) => (query.getAll(k).length ? query.getAll(k) : undefined);
  return {
    email_address: many('email_address'),
    user_id: many('user_id'),
    username: many('username'),
    external_id: many('external_id'),
    query: query.get('query') ?? undefined,
  };
}

function sortUsers(users: Json[], orderBy: string | null): Json[] {
  const spec = orderBy ?? '-created_at';
  const desc = spec.startsWith('-');
  const field = spec.replace(/^[-+]/, '');
  // Insertion order breaks ties (users made within one ms), so "newest first" stays true.
  const indexed = users.map((u, i) => ({ u, i }));
  indexed.sort((a, b) => {
    const av = a.u[field] as number | string | null;
    const bv = b.u[field] as number | string | null;
    const cmp = av === bv ? a.i - b.i : (av ?? '') < (bv ?? '') ? -1 : 1;
    return desc ? -cmp : cmp;
  });
  return indexed.map((x) => x.u);
}

function expiresIn(body: Json): number | undefined {
  const v = body.expires_in_seconds;
  if (v === undefined || v === null) return undefined;
  const [min, max] = LIFETIME_RANGE;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw unprocessable('form_param_value_invalid', 'expires_in_seconds', `expires_in_seconds must be a whole number between ${min} and ${max}.`);
  }
  return v;
}

export const BAPI_ROUTES: Route[] = [
  // users
  { method: 'POST', path: /^\/v1\/users$/, handle: async ({ core, body }) => core.store.createUser(await body(), core.nowMs()) },
  {
    method: 'GET',
    path: /^\/v1\/users$/,
    handle: ({ core, query }) => {
      const { limit, offset } = pageParams(query);
      return sortUsers(core.store.findUsers(userFilters(query)), query.get('order_by')).slice(offset, offset + limit);
    },
  },
  { method: 'GET', path: /^\/v1\/users\/count$/, handle: ({ core, query }) => ({ object: 'total_count', total_count: core.store.findUsers(userFilters(query)).length }) },
  { method: 'GET', path: new RegExp(`^/v1/users/${ID}$`), handle: ({ core, params }) => core.store.getUser(params[0]) },
  { method: 'PATCH', path: new RegExp(`^/v1/users/${ID}$`), handle: async ({ core, params, body }) => core.store.updateUser(params[0], await body(), core.nowMs()) },
  {
    method: 'PATCH',
    path: new RegExp(`^/v1/users/${ID}/metadata$`),
    handle: async ({ core, params, body }) => core.store.updateUserMetadata(params[0], await body(), 'merge', core.nowMs()),
  },
  {
    method: 'PUT',
    path: new RegExp(`^/v1/users/${ID}/metadata$`),
    handle: async ({ core, params, body }) => core.store.updateUserMetadata(params[0], await body(), 'replace', core.nowMs()),
  },
  { method: 'DELETE', path: new RegExp(`^/v1/users/${ID}$`), handle: ({ core, params }) => core.store.deleteUser(params[0]) },
  // sessions
  { method: 'POST', path: /^\/v1\/sessions$/, handle: async ({ core, body }) => core.store.createSession(await body(), core.nowMs()) },
  {
    method: 'GET',
    path: /^\/v1\/sessions$/,
    handle: ({ core, query }) =>
      listResponse(
        core.store.listSessions({ user_id: query.get('user_id') ?? undefined, client_id: query.get('client_id') ?? undefined, status: query.get('status') ?? undefined }),
        query,
      ),
  },
  { method: 'GET', path: new RegExp(`^/v1/sessions/${ID}$`), handle: ({ core, params }) => core.store.getSession(params[0]) },
  { method: 'POST', path: new RegExp(`^/v1/sessions/${ID}/revoke$`), handle: ({ core, params }) => core.store.revokeSession(params[0], core.nowMs()) },
  {
    method: 'POST',
    path: new RegExp(`^/v1/sessions/${ID}/tokens$`),
    handle: ({ core, params, body, noBody }) => {
      const session = core.store.activeSession(params[0]);
      // The hot path: synchronous when there is no body (what the SDK sends), and the answer
      // {"object":"token","jwt":…} written without JSON.stringify (a JWT needs no escaping).
      const reply = (b: Json) => new JsonText(`{"object":"token","jwt":"${core.sessionToken(session, expiresIn(b))}"}`);
      return noBody ? reply({}) : body().then(reply);
    },
  },
  {
    method: 'POST',
    path: new RegExp(`^/v1/sessions/${ID}/tokens/${ID}$`),
    handle: async ({ core, params, body }) => {
      const session = core.store.activeSession(params[0]);
      const template = core.store.templateByName(params[1]);
      return { object: 'token', jwt: core.templateToken(session, template, expiresIn(await body())) };
    },
  },
  // JWT templates
  { method: 'GET', path: /^\/v1\/jwt_templates$/, handle: ({ core, query }) => listResponse(core.store.listTemplates(), query) },
  { method: 'POST', path: /^\/v1\/jwt_templates$/, handle: async ({ core, body }) => core.store.createTemplate(await body(), core.nowMs()) },
  { method: 'GET', path: new RegExp(`^/v1/jwt_templates/${ID}$`), handle: ({ core, params }) => core.store.getTemplate(params[0]) },
  { method: 'PATCH', path: new RegExp(`^/v1/jwt_templates/${ID}$`), handle: async ({ core, params, body }) => core.store.updateTemplate(params[0], await body(), core.nowMs()) },
  { method: 'DELETE', path: new RegExp(`^/v1/jwt_templates/${ID}$`), handle: ({ core, params }) => core.store.deleteTemplate(params[0]) },
  // keys and testing tokens
  { method: 'GET', path: /^\/v1\/jwks$/, handle: ({ core }) => core.jwks() },
  {
    method: 'POST',
    path: /^\/v1\/testing_tokens$/,
    handle: ({ core }) => {
      const now = core.nowSeconds();
      return { object: 'testing_token', token: `${now}-${randomAlnum(32)}`, expires_at: now + 3600 };
    },
  },
  ...ORG_ROUTES,
];
