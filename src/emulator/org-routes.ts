/**
 * Organization routes of the Backend API subset: organizations, memberships, roles, permissions
 * (SPEC paths /organizations, /organizations/{id}/memberships, /organization_roles,
 * /organization_permissions, /users/{id}/organization_memberships). Lists answer
 * `{data, total_count}`, as these endpoints always do.
 */
import type { Json } from './resources.js';
import { pageOf, type Route } from './route-util.js';

const ID = '([^/]+)';

function many(query: URLSearchParams, key: string): string[] | undefined {
  const all = query.getAll(key).flatMap((v) => v.split(',')).filter(Boolean);
  return all.length ? all : undefined;
}

function list(items: Json[], query: URLSearchParams): Json {
  return { data: pageOf(items, query), total_count: items.length };
}

const withCount = (query: URLSearchParams) => query.get('include_members_count') === 'true';

export const ORG_ROUTES: Route[] = [
  // organizations
  { method: 'POST', path: /^\/v1\/organizations$/, handle: async ({ core, body }) => core.store.orgs.createOrganization(await body(), core.nowMs()) },
  {
    method: 'GET',
    path: /^\/v1\/organizations$/,
    handle: ({ core, query }) =>
      list(
        core.store.orgs.listOrganizations(
          {
            query: query.get('query') ?? undefined,
            user_id: many(query, 'user_id'),
            organization_id: many(query, 'organization_id'),
            order_by: query.get('order_by') ?? undefined,
          },
          withCount(query),
        ),
        query,
      ),
  },
  { method: 'GET', path: new RegExp(`^/v1/organizations/${ID}$`), handle: ({ core, params, query }) => core.store.orgs.getOrganization(params[0], withCount(query)) },
  { method: 'PATCH', path: new RegExp(`^/v1/organizations/${ID}$`), handle: async ({ core, params, body }) => core.store.orgs.updateOrganization(params[0], await body(), core.nowMs()) },
  { method: 'DELETE', path: new RegExp(`^/v1/organizations/${ID}$`), handle: ({ core, params }) => core.store.deleteOrganization(params[0], core.nowMs()) },
  {
    method: 'PATCH',
    path: new RegExp(`^/v1/organizations/${ID}/metadata$`),
    handle: async ({ core, params, body }) => core.store.orgs.updateOrganizationMetadata(params[0], await body(), 'merge', core.nowMs()),
  },
  {
    method: 'PUT',
    path: new RegExp(`^/v1/organizations/${ID}/metadata$`),
    handle: async ({ core, params, body }) => core.store.orgs.updateOrganizationMetadata(params[0], await body(), 'replace', core.nowMs()),
  },
  // memberships
  {
    method: 'POST',
    path: new RegExp(`^/v1/organizations/${ID}/memberships$`),
    handle: async ({ core, params, body }) => core.store.orgs.createMembership(params[0], await body(), core.nowMs()),
  },
  {
    method: 'GET',
    path: new RegExp(`^/v1/organizations/${ID}/memberships$`),
    handle: ({ core, params, query }) =>
      list(core.store.orgs.listMemberships(params[0], { user_id: many(query, 'user_id'), role: many(query, 'role'), query: query.get('query') ?? undefined }), query),
  },
  {
    method: 'PATCH',
    path: new RegExp(`^/v1/organizations/${ID}/memberships/${ID}$`),
    handle: async ({ core, params, body }) => core.store.orgs.updateMembership(params[0], params[1], await body(), core.nowMs()),
  },
  { method: 'DELETE', path: new RegExp(`^/v1/organizations/${ID}/memberships/${ID}$`), handle: ({ core, params }) => core.store.orgs.deleteMembership(params[0], params[1]) },
  {
    method: 'PATCH',
    path: new RegExp(`^/v1/organizations/${ID}/memberships/${ID}/metadata$`),
    handle: async ({ core, params, body }) => core.store.orgs.updateMembershipMetadata(params[0], params[1], await body(), core.nowMs()),
  },
  { method: 'GET', path: new RegExp(`^/v1/users/${ID}/organization_memberships$`), handle: ({ core, params, query }) => list(core.store.orgs.userMemberships(params[0]), query) },
  // roles
  { method: 'GET', path: /^\/v1\/organization_roles$/, handle: ({ core, query }) => list(core.store.orgs.listRoles(query.get('query') ?? undefined), query) },
  { method: 'POST', path: /^\/v1\/organization_roles$/, handle: async ({ core, body }) => core.store.orgs.createRole(await body(), core.nowMs()) },
  { method: 'GET', path: new RegExp(`^/v1/organization_roles/${ID}$`), handle: ({ core, params }) => core.store.orgs.getRole(params[0]) },
  { method: 'PATCH', path: new RegExp(`^/v1/organization_roles/${ID}$`), handle: async ({ core, params, body }) => core.store.orgs.updateRole(params[0], await body(), core.nowMs()) },
  { method: 'DELETE', path: new RegExp(`^/v1/organization_roles/${ID}$`), handle: ({ core, params }) => core.store.orgs.deleteRole(params[0]) },
  {
    method: 'POST',
    path: new RegExp(`^/v1/organization_roles/${ID}/permissions/${ID}$`),
    handle: ({ core, params }) => core.store.orgs.assignPermission(params[0], params[1], core.nowMs()),
  },
  {
    method: 'DELETE',
    path: new RegExp(`^/v1/organization_roles/${ID}/permissions/${ID}$`),
    handle: ({ core, params }) => core.store.orgs.removePermission(params[0], params[1], core.nowMs()),
  },
  // permissions
  { method: 'GET', path: /^\/v1\/organization_permissions$/, handle: ({ core, query }) => list(core.store.orgs.listPermissions(query.get('query') ?? undefined), query) },
  { method: 'POST', path: /^\/v1\/organization_permissions$/, handle: async ({ core, body }) => core.store.orgs.createPermission(await body(), core.nowMs()) },
  { method: 'GET', path: new RegExp(`^/v1/organization_permissions/${ID}$`), handle: ({ core, params }) => core.store.orgs.getPermission(params[0]) },
  {
    method: 'PATCH',
    path: new RegExp(`^/v1/organization_permissions/${ID}$`),
    handle: async ({ core, params, body }) => core.store.orgs.updatePermission(params[0], await body(), core.nowMs()),
  },
  { method: 'DELETE', path: new RegExp(`^/v1/organization_permissions/${ID}$`), handle: ({ core, params }) => core.store.orgs.deletePermission(params[0]) },
];
