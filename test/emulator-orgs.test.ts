/**
 * Organizations in the emulator: every organization, membership, role and permission route
 * answered in the shape Clerk's OpenAPI spec (bapi/2026-05-12.yml) gives it, checked with ajv
 * against the spec's own component schemas; and the same routes through the real @clerk/backend
 * client, errors included. User updates and metadata are here too (personas need them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { decodeJwt } from 'jose';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';

// ---- Clerk's spec as JSON Schema ----------------------------------------------------------
// Clerk's Backend API spec (bapi/2026-05-12), vendored for the tests.
const SPEC = process.env.CLERK_BAPI_SPEC ?? new URL('./fixtures/clerk/clerk-bapi-openapi-2026-05-12.yml', import.meta.url).pathname;

/**
 * OpenAPI 3.0 schema -> JSON Schema draft-07: `nullable: true` becomes a null alternative, and
 * `#/components/schemas/X` refs point into one schema holding every component under `definitions`.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, example: _example, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', 'bapi#/definitions/') : toJsonSchema(v);
  }
  if (nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}

function loadSpecSchemas(file: string): (name: string) => ValidateFunction {
  const spec = parse(readFileSync(file, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = (addFormatsModule as unknown as (a: Ajv) => Ajv)(new Ajv({ allErrors: true, strict: false }));
  for (const f of ['int64', 'int32']) ajv.addFormat(f, { type: 'number', validate: Number.isInteger });
  for (const f of ['double', 'float', 'binary']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: 'bapi', definitions: toJsonSchema(spec.components.schemas) });
  const cache = new Map<string, ValidateFunction>();
  return (name) => {
    let v = cache.get(name);
    if (!v) cache.set(name, (v = ajv.compile({ $ref: `bapi#/definitions/${name}` })));
    return v;
  };
}

const haveSpec = existsSync(SPEC);
const schema = haveSpec ? loadSpecSchemas(SPEC) : undefined;

/** Asserts `value` is valid against the spec's `components.schemas[name]`, listing every violation. */
function expectSchema(name: string, value: unknown): void {
  const validate = schema!(name);
  const ok = validate(value);
  expect(ok ? [] : validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`), `${name}`).toEqual([]);
}

// ---- emulator -----------------------------------------------------------------------------
let emu: Emulator;
let clerk: ReturnType<typeof createClerkClient>;

beforeAll(async () => {
  emu = await startEmulator({ templates: [{ name: 'meta', claims: { meta: '{{user.public_metadata}}', plan: '{{user.public_metadata.plan}}', tier: '{{user.public_metadata.tier || "free"}}' } }] });
  clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, telemetry: { disabled: true } });
});
afterAll(() => emu?.stop());

/** A raw Backend API call, as any client would make it. */
async function bapi(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(emu.url + path, {
    method,
    headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.headers.get('content-type')).toBe('application/json');
  return { status: res.status, json: await res.json() };
}

async function ok(method: string, path: string, body?: unknown): Promise<any> {
  const { status, json } = await bapi(method, path, body);
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

async function clerkError(p: Promise<unknown>): Promise<{ status?: number; code?: string; param?: string }> {
  try {
    await p;
  } catch (err) {
    if (!isClerkAPIResponseError(err)) throw err;
    return { status: err.status, code: err.errors[0]?.code, param: err.errors[0]?.meta?.paramName };
  }
  throw new Error('expected the call to fail');
}

let n = 0;
const email = () => `org${++n}-${Date.now()}+clerk_test@example.com`;

describe.skipIf(!haveSpec)(`emulator responses against Clerk's OpenAPI schemas (${SPEC})`, () => {
  it('users and sessions, with no field the spec does not list (no timezone)', async () => {
    const user = await ok('POST', '/v1/users', { email_address: [email()], first_name: 'Spec', public_metadata: { plan: 'pro' } });
    expectSchema('User', user);
    expect(user).not.toHaveProperty('timezone');
    expect(schema!('User')({ ...user, timezone: null }), 'the helper rejects a field the spec does not list').toBe(false);
    expect(user.public_metadata).toEqual({ plan: 'pro' });
    const list = await ok('GET', `/v1/users?user_id=${user.id}`);
    for (const u of list) expectSchema('User', u);
    expectSchema('User', await ok('PATCH', `/v1/users/${user.id}`, { last_name: 'Checked' }));
    expectSchema('User', await ok('PATCH', `/v1/users/${user.id}/metadata`, { public_metadata: { seats: 3 } }));
    const session = await ok('POST', '/v1/sessions', { user_id: user.id });
    expectSchema('Session', session);
    expect(session.last_active_organization_id).toBeNull();
    expectSchema('Session', await ok('POST', `/v1/sessions/${session.id}/revoke`));
    expectSchema('DeletedObject', await ok('DELETE', `/v1/users/${user.id}`));
    const missing = await bapi('GET', `/v1/users/${user.id}`);
    expect(missing.status).toBe(404);
    expectSchema('ClerkErrors', missing.json);
  });

  it('organizations, memberships, roles, permissions and an org session', async () => {
    const owner = await ok('POST', '/v1/users', { email_address: [email()], first_name: 'Olga', last_name: 'Owner' });
    const member = await ok('POST', '/v1/users', { email_address: [email()], username: `m${n}x${Date.now()}` });

    const org = await ok('POST', '/v1/organizations', { name: 'Acme Spec', slug: `acme-spec-${n}`, created_by: owner.id, public_metadata: { tier: 'gold' } });
    expectSchema('Organization', org);
    expect(org).toMatchObject({ object: 'organization', name: 'Acme Spec', slug: `acme-spec-${n}`, created_by: owner.id, public_metadata: { tier: 'gold' } });
    expect(org.id).toMatch(/^org_[0-9A-Za-z]{27}$/);
    expect(org).not.toHaveProperty('members_count');
    expectSchema('Organization', await ok('GET', `/v1/organizations/${org.id}`));
    const bySlug = await ok('GET', `/v1/organizations/${org.slug}?include_members_count=true`);
    expectSchema('Organization', bySlug);
    expect(bySlug.members_count).toBe(1); // the creator became its admin
    const orgs = await ok('GET', `/v1/organizations?query=acme-spec&include_members_count=true`);
    expectSchema('Organizations', orgs);
    expect(orgs.data.map((o: any) => o.id)).toContain(org.id);
    expectSchema('Organization', await ok('PATCH', `/v1/organizations/${org.id}`, { name: 'Acme Spec Renamed', max_allowed_memberships: 10 }));
    expectSchema('Organization', await ok('PATCH', `/v1/organizations/${org.id}/metadata`, { public_metadata: { region: 'eu' } }));

    const perm = await ok('POST', '/v1/organization_permissions', { name: 'Delete jobs', key: `org:jobs${n}:delete`, description: 'May delete jobs' });
    expectSchema('Permission', perm);
    expect(perm).toMatchObject({ object: 'permission', type: 'user', key: `org:jobs${n}:delete` });
    const perms = await ok('GET', '/v1/organization_permissions?limit=100');
    expectSchema('Permissions', perms);
    expect(perms.data.find((p: any) => p.key === 'org:sys_memberships:read')).toMatchObject({ type: 'system' });
    const role = await ok('POST', '/v1/organization_roles', { name: 'Manager', key: `org:manager${n}`, description: null, permissions: [perm.id] });
    expectSchema('Role', role);
    expect(role.permissions.map((p: any) => p.key)).toEqual([`org:jobs${n}:delete`]);
    const roles = await ok('GET', '/v1/organization_roles?limit=100');
    expectSchema('Roles', roles);
    expect(roles.data.map((r: any) => r.key)).toEqual(expect.arrayContaining(['org:admin', 'org:member', `org:manager${n}`]));

    const membership = await ok('POST', `/v1/organizations/${org.id}/memberships`, { user_id: member.id, role: 'org:member', public_metadata: { team: 'blue' } });
    expectSchema('OrganizationMembership', membership);
    expect(membership).toMatchObject({
      object: 'organization_membership',
      role: 'org:member',
      role_name: 'Member',
      permissions: ['org:sys_memberships:read'],
      public_metadata: { team: 'blue' },
      organization: { id: org.id, name: 'Acme Spec Renamed' },
      public_user_data: { user_id: member.id, identifier: member.email_addresses[0].email_address },
    });
    const memberships = await ok('GET', `/v1/organizations/${org.id}/memberships`);
    expectSchema('OrganizationMemberships', memberships);
    expect(memberships.total_count).toBe(2);
    expect(memberships.data.map((m: any) => [m.public_user_data.user_id, m.role])).toEqual([
      [member.id, 'org:member'],
      [owner.id, 'org:admin'],
    ]);
    const promoted = await ok('PATCH', `/v1/organizations/${org.id}/memberships/${member.id}`, { role: `org:manager${n}` });
    expectSchema('OrganizationMembership', promoted);
    expect(promoted.permissions).toEqual([`org:jobs${n}:delete`]);
    expectSchema('OrganizationMembership', await ok('PATCH', `/v1/organizations/${org.id}/memberships/${member.id}/metadata`, { public_metadata: { team: null, desk: 4 } }));
    expectSchema('OrganizationMemberships', await ok('GET', `/v1/users/${member.id}/organization_memberships`));

    const session = await ok('POST', '/v1/sessions', { user_id: member.id, active_organization_id: org.id });
    expectSchema('Session', session);
    expect(session.last_active_organization_id).toBe(org.id);

    const removed = await ok('DELETE', `/v1/organizations/${org.id}/memberships/${member.id}`);
    expectSchema('OrganizationMembership', removed);
    expectSchema('DeletedObject', await ok('DELETE', `/v1/organization_roles/${role.id}`));
    expectSchema('DeletedObject', await ok('DELETE', `/v1/organization_permissions/${perm.id}`));
    const deleted = await ok('DELETE', `/v1/organizations/${org.id}`);
    expectSchema('DeletedObject', deleted);
    expect(deleted).toEqual({ object: 'organization', id: org.id, deleted: true });
    expect((await ok('GET', `/v1/sessions/${session.id}`)).last_active_organization_id).toBeNull();
    const gone = await bapi('GET', `/v1/organizations/${org.id}`);
    expect(gone.status).toBe(404);
    expectSchema('ClerkErrors', gone.json);
  });
});

describe('organizations through @clerk/backend', () => {
  it('creates, finds, updates and deletes organizations', async () => {
    const owner = await clerk.users.createUser({ emailAddress: [email()], firstName: 'Ada' });
    const slug = `sdk-org-${Date.now()}`;
    const org = await clerk.organizations.createOrganization({ name: 'SDK Org', slug, createdBy: owner.id, publicMetadata: { plan: 'team' } });
    expect(org).toMatchObject({ name: 'SDK Org', slug, createdBy: owner.id, publicMetadata: { plan: 'team' }, hasImage: false, adminDeleteEnabled: true });
    expect(org.createdAt).toBeGreaterThan(1e12); // ms
    expect((await clerk.organizations.getOrganization({ organizationId: org.id })).slug).toBe(slug);
    const bySlug = await clerk.organizations.getOrganization({ slug, includeMembersCount: true });
    expect(bySlug).toMatchObject({ id: org.id, membersCount: 1 });
    const list = await clerk.organizations.getOrganizationList({ query: slug });
    expect(list.totalCount).toBe(1);
    expect(list.data[0].id).toBe(org.id);
    const byId = await clerk.organizations.getOrganizationList({ organizationId: [org.id] });
    expect(byId.data.map((o) => o.id)).toEqual([org.id]);
    const mine = await ok('GET', `/v1/organizations?user_id=${owner.id}`); // the SDK's type lacks userId; the spec has it
    expect(mine.data.map((o: any) => o.id)).toEqual([org.id]);
    const other = await clerk.organizations.createOrganization({ name: 'Another Org' });
    const byName = await clerk.organizations.getOrganizationList({ organizationId: [org.id, other.id], orderBy: '+name' });
    expect(byName.data.map((o) => o.name)).toEqual(['Another Org', 'SDK Org']);
    expect((await clerk.organizations.getOrganizationList({ organizationId: [org.id, other.id] })).data.map((o) => o.id)).toEqual([other.id, org.id]); // newest first

    const renamed = await clerk.organizations.updateOrganization(org.id, { name: 'SDK Org 2' });
    expect(renamed.name).toBe('SDK Org 2');
    const merged = await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { seats: 5 } });
    expect(merged.publicMetadata).toEqual({ plan: 'team', seats: 5 });
    const replaced = await clerk.organizations.replaceOrganizationMetadata(org.id, { publicMetadata: { only: true } });
    expect(replaced.publicMetadata).toEqual({ only: true });

    expect(await clerkError(clerk.organizations.createOrganization({ name: 'Dup', slug }))).toMatchObject({ status: 422, code: 'form_identifier_exists', param: 'slug' });
    expect(await clerkError(clerk.organizations.createOrganization({ name: 'Bad', slug: 'Not A Slug' }))).toMatchObject({ status: 422, code: 'form_param_format_invalid' });
    expect(await clerkError(clerk.organizations.createOrganization({ name: '' }))).toMatchObject({ status: 422, code: 'form_param_missing', param: 'name' });
    const derived = await clerk.organizations.createOrganization({ name: 'Derived Slug Inc.' });
    expect(derived.slug).toMatch(/^derived-slug-inc(-[a-z0-9]+)?$/);

    const deleted = await clerk.organizations.deleteOrganization(org.id);
    expect(deleted).toMatchObject({ id: org.id, deleted: true });
    expect(await clerkError(clerk.organizations.getOrganization({ organizationId: org.id }))).toMatchObject({ status: 404, code: 'resource_not_found' });
  });

  it('manages memberships with default and custom roles and their permissions', async () => {
    const admin = await clerk.users.createUser({ emailAddress: [email()] });
    const user = await clerk.users.createUser({ emailAddress: [email()], firstName: 'Mo' });
    const org = await clerk.organizations.createOrganization({ name: 'Members Inc', createdBy: admin.id });

    const created = await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: user.id, role: 'org:member' });
    expect(created).toMatchObject({ role: 'org:member', permissions: ['org:sys_memberships:read'] });
    expect(created.organization.id).toBe(org.id);
    expect(created.publicUserData).toMatchObject({ userId: user.id, firstName: 'Mo' });
    expect(created.id).toMatch(/^orgmem_/);

    const list = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id });
    expect(list.totalCount).toBe(2);
    expect(list.data.map((m) => [m.publicUserData?.userId, m.role])).toEqual([
      [user.id, 'org:member'],
      [admin.id, 'org:admin'],
    ]);
    const admins = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, role: ['org:admin'] });
    expect(admins.data.map((m) => m.publicUserData?.userId)).toEqual([admin.id]);
    expect(admins.data[0].permissions).toEqual(expect.arrayContaining(['org:sys_profile:manage', 'org:sys_memberships:manage']));

    const key = `org:jobs${Date.now()}`;
    const del = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Delete jobs', key: `${key}:delete`, description: '' });
    const read = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Read jobs', key: `${key}:read`, description: '' });
    const role = await clerk.organizationRoles.createOrganizationRole({ name: 'Editor', key: `org:editor${Date.now()}`, permissions: [read.id] });
    expect(role.permissions.map((p) => p.key)).toEqual([`${key}:read`]);
    const withDelete = await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role.id, permissionId: del.id });
    expect(withDelete.permissions.map((p) => p.key)).toEqual([`${key}:read`, `${key}:delete`]);

    const updated = await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: user.id, role: role.key });
    expect(updated.role).toBe(role.key);
    expect(updated.permissions).toEqual([`${key}:read`, `${key}:delete`]);
    const withMeta = await clerk.organizations.updateOrganizationMembershipMetadata({ organizationId: org.id, userId: user.id, publicMetadata: { desk: 7 } });
    expect(withMeta.publicMetadata).toEqual({ desk: 7 });
    const userMemberships = await clerk.users.getOrganizationMembershipList({ userId: user.id });
    expect(userMemberships.data.map((m) => m.organization.id)).toEqual([org.id]);

    expect(await clerkError(clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: user.id, role: 'org:member' }))).toMatchObject({
      status: 400,
      code: 'already_a_member_in_organization',
    });
    const other = await clerk.users.createUser({ emailAddress: [email()] });
    expect(await clerkError(clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: other.id, role: 'org:nope' }))).toMatchObject({
      status: 422,
      param: 'role',
    });
    expect(await clerkError(clerk.organizations.createOrganizationMembership({ organizationId: 'org_missing', userId: other.id, role: 'org:member' }))).toMatchObject({
      status: 404,
      code: 'resource_not_found',
    });
    expect(await clerkError(clerk.organizationRoles.deleteOrganizationRole(role.id))).toMatchObject({ status: 422 }); // still assigned

    const removed = await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: user.id });
    expect(removed.publicUserData?.userId).toBe(user.id);
    expect((await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id })).totalCount).toBe(1);
    expect(await clerkError(clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: user.id }))).toMatchObject({ status: 404 });
    expect((await clerk.organizationRoles.deleteOrganizationRole(role.id)).deleted).toBe(true);
  });

  it('permission and role keys are validated as Clerk documents them', async () => {
    expect(await clerkError(clerk.organizationPermissions.createOrganizationPermission({ name: 'x', key: 'jobs:read', description: '' }))).toMatchObject({ status: 422, param: 'key' });
    expect(await clerkError(clerk.organizationPermissions.createOrganizationPermission({ name: 'x', key: 'org:sys_jobs:read', description: '' }))).toMatchObject({ status: 422, param: 'key' });
    expect(await clerkError(clerk.organizationRoles.createOrganizationRole({ name: 'x', key: 'editor' }))).toMatchObject({ status: 422, param: 'key' });
    expect(await clerkError(clerk.organizationRoles.createOrganizationRole({ name: 'x', key: 'org:admin' }))).toMatchObject({ status: 422, code: 'form_identifier_exists' });
    const sys = (await clerk.organizationPermissions.getOrganizationPermissionList({ limit: 100 })).data.find((p) => p.key === 'org:sys_profile:delete');
    expect(sys).toBeDefined(); // the SDK's Permission drops `type`; the raw JSON says 'system' (see the schema test)
    expect(await clerkError(clerk.organizationPermissions.deleteOrganizationPermission(sys!.id))).toMatchObject({ status: 403 });
  });
});

describe('users: updates, metadata and templates that render it', () => {
  it('updates profile fields, merges and replaces metadata, and renders it in JWT templates', async () => {
    const user = await clerk.users.createUser({ emailAddress: [email()], publicMetadata: { plan: 'pro', limits: { jobs: 5, files: 1 } } });
    expect(user.publicMetadata).toEqual({ plan: 'pro', limits: { jobs: 5, files: 1 } });
    expect((await clerk.users.updateUser(user.id, { firstName: 'Renamed' })).firstName).toBe('Renamed');
    const merged = await clerk.users.updateUserMetadata(user.id, { publicMetadata: { limits: { jobs: 9, files: null } }, privateMetadata: { secret: 1 } });
    expect(merged.publicMetadata).toEqual({ plan: 'pro', limits: { jobs: 9 } });
    expect(merged.privateMetadata).toEqual({ secret: 1 });

    const session = await clerk.sessions.createSession({ userId: user.id });
    const claims = decodeJwt((await clerk.sessions.getToken(session.id, 'meta')).jwt);
    expect(claims).toMatchObject({ meta: { plan: 'pro', limits: { jobs: 9 } }, plan: 'pro', tier: 'free' });

    // The SDK's deprecated updateUser(…, {publicMetadata}) goes to PUT …/metadata: a replace.
    const replaced = await clerk.users.updateUser(user.id, { publicMetadata: { plan: 'enterprise', tier: 'gold' } });
    expect(replaced.publicMetadata).toEqual({ plan: 'enterprise', tier: 'gold' });
    expect(replaced.privateMetadata).toEqual({ secret: 1 }); // fields not given are kept
    const after = decodeJwt((await clerk.sessions.getToken(session.id, 'meta')).jwt);
    expect(after).toMatchObject({ meta: { plan: 'enterprise', tier: 'gold' }, plan: 'enterprise', tier: 'gold' });

    const res = await bapi('PATCH', `/v1/users/${user.id}`, { public_metadata: { x: 1 } });
    expect(res).toMatchObject({ status: 422, json: { errors: [{ meta: { param_name: 'public_metadata' } }] } });
  });
});
