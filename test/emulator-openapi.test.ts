/**
 * Every Backend API route the emulator serves, answered as Clerk's OpenAPI spec (bapi/2026-05-12)
 * says: each response, errors included, is checked against the schema the spec declares for its
 * operation and status, and may carry no field that schema does not declare. The calls go through
 * the real @clerk/backend client where it has a method (so the SDK keeps accepting the answers)
 * and by raw HTTP otherwise, all through a recording proxy, so no answer escapes the check.
 * The last test holds the route table to it: a route the emulator registers without being
 * exercised here, or one the spec does not know, fails.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { BAPI_ROUTES, type Route } from '../src/emulator/routes.js';
import { loadBapiSpec, type Exchange, type ResponseCheck } from './helpers/bapi-openapi.js';

const spec = loadBapiSpec();

// ---- a recording proxy in front of the emulator ------------------------------------------------

interface Recorder {
  url: string;
  /** The exchanges recorded since the last take(). */
  take(): Exchange[];
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Forwards every request to `target` unchanged and keeps what came back. */
async function startRecorder(target: string): Promise<Recorder> {
  let pending: Exchange[] = [];
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const headers = Object.entries(req.headers).filter(([k, v]) => !HOP_BY_HOP.has(k) && typeof v === 'string') as Array<[string, string]>;
    const answer = await fetch(target + req.url, { method: req.method, headers, body: body.length ? new Uint8Array(body) : undefined });
    const text = await answer.text();
    const url = new URL(req.url ?? '/', target);
    pending.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), status: answer.status, contentType: answer.headers.get('content-type'), body: parseBody(text) });
    const out = [...answer.headers].filter(([k]) => !HOP_BY_HOP.has(k) && k !== 'content-encoding');
    res.writeHead(answer.status, Object.fromEntries(out)).end(text);
  };
  const server = createServer((req, res) => void forward(req, res).catch((err) => res.writeHead(502).end(String(err))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take: () => [pending, (pending = [])][0],
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

// ---- setup ------------------------------------------------------------------------------------

let emu: Emulator;
let rec: Recorder;
let clerk: ReturnType<typeof createClerkClient>;
/** Every check made, for the coverage test at the end. */
const checks: Array<ResponseCheck & { request: string }> = [];

beforeAll(async () => {
  emu = await startEmulator({ templates: [{ name: 'spec-template', claims: { email: '{{user.primary_email_address}}', meta: '{{user.public_metadata}}' } }] });
  rec = await startRecorder(emu.url);
  clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: rec.url, telemetry: { disabled: true } });
});
afterAll(async () => {
  await rec?.stop();
  await emu?.stop();
});

/** A raw Backend API call through the recorder. */
async function bapi(method: string, path: string, body?: unknown, init: { secretKey?: string | null; rawBody?: string } = {}): Promise<{ status: number; json: any }> {
  const key = init.secretKey === undefined ? emu.secretKey : init.secretKey;
  const res = await fetch(rec.url + path, {
    method,
    headers: { ...(key === null ? {} : { Authorization: `Bearer ${key}` }), 'Content-Type': 'application/json' },
    body: init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  return { status: res.status, json: await res.json() };
}

/** The Clerk error a promise rejects with, as the SDK parsed it. */
async function clerkError(p: Promise<unknown>): Promise<{ status?: number; code?: string }> {
  try {
    await p;
  } catch (err) {
    if (!isClerkAPIResponseError(err)) throw err;
    return { status: err.status, code: err.errors[0]?.code };
  }
  throw new Error('expected the call to fail');
}

/** Checks every response recorded since the last call; fails listing each offending field. */
function expectConformant(): void {
  const failures: string[] = [];
  for (const x of rec.take()) {
    const request = `${x.method} ${x.path}${x.query ? `?${x.query}` : ''}`;
    const check = spec.checkResponse(x);
    checks.push({ ...check, request });
    const where = `${request} -> ${x.status} (${check.operationId ?? 'no operation'}, ${check.response} ${check.schema})`;
    for (const v of check.violations) failures.push(`${where}: ${v}`);
    for (const f of check.extraFields) failures.push(`${where}: ${f} is not in the spec's schema`);
  }
  expect(failures).toEqual([]);
}

let n = 0;
const email = () => `spec${++n}-${Date.now()}+clerk_test@example.com`;

// ---- the routes -------------------------------------------------------------------------------

describe(`emulator Backend API responses against Clerk's OpenAPI spec ${spec.version}`, () => {
  it('users: create, get, list, count, update, metadata, delete', async () => {
    const user = await clerk.users.createUser({
      emailAddress: [email()],
      phoneNumber: ['+15555550100'],
      username: `spec${Date.now()}`,
      firstName: 'Spec',
      lastName: 'User',
      externalId: `ext-${Date.now()}`,
      publicMetadata: { plan: 'pro' },
      skipPasswordRequirement: true,
    });
    expect(user.phoneNumbers[0].phoneNumber).toBe('+15555550100');
    expect((await clerk.users.getUser(user.id)).id).toBe(user.id);
    const list = await clerk.users.getUserList({ userId: [user.id] }); // GET /users and /users/count
    expect(list).toMatchObject({ totalCount: 1, data: [{ id: user.id }] });
    expect(await clerk.users.getCount({ query: 'spec' })).toBeGreaterThanOrEqual(1);
    expect((await bapi('GET', '/v1/users?limit=2&order_by=%2Bcreated_at')).json).toBeInstanceOf(Array);
    expect((await clerk.users.updateUser(user.id, { firstName: 'Renamed', locale: 'en' })).firstName).toBe('Renamed');
    expect((await clerk.users.updateUserMetadata(user.id, { publicMetadata: { seats: 3 } })).publicMetadata).toEqual({ plan: 'pro', seats: 3 });
    expect((await clerk.users.replaceUserMetadata(user.id, { privateMetadata: { only: true } })).privateMetadata).toEqual({ only: true });
    expect(await clerk.users.deleteUser(user.id)).toMatchObject({ id: user.id, deleted: true });
    expectConformant();
  });

  it('sessions: create, get, list (paginated and bare), tokens, template tokens, revoke', async () => {
    const user = await clerk.users.createUser({ emailAddress: [email()], publicMetadata: { plan: 'pro' } });
    const session = await clerk.sessions.createSession({ userId: user.id });
    expect((await clerk.sessions.getSession(session.id)).status).toBe('active');
    expect((await clerk.sessions.getSessionList({ userId: user.id })).data.map((s) => s.id)).toEqual([session.id]);
    expect((await bapi('GET', `/v1/sessions?user_id=${user.id}`)).json).toHaveLength(1);
    expect(decodeJwt((await clerk.sessions.getToken(session.id)).jwt).sid).toBe(session.id);
    const short = decodeJwt((await clerk.sessions.getToken(session.id, undefined, 120)).jwt);
    expect(short.exp! - short.iat!).toBe(120);
    expect(decodeJwt((await clerk.sessions.getToken(session.id, 'spec-template')).jwt)).toMatchObject({ meta: { plan: 'pro' } });
    expect((await clerk.sessions.revokeSession(session.id)).status).toBe('revoked');
    expectConformant();
  });

  it('JWT templates, the JWKS and testing tokens', async () => {
    const name = `spec-${Date.now()}`;
    const template = await clerk.jwtTemplates.create({ name, claims: { aud: 'spec' }, lifetime: 120 });
    expect((await clerk.jwtTemplates.get(template.id)).name).toBe(name);
    expect((await clerk.jwtTemplates.list()).data.map((t) => t.name)).toContain(name);
    expect((await bapi('GET', '/v1/jwt_templates')).json).toBeInstanceOf(Array);
    expect((await clerk.jwtTemplates.update({ templateId: template.id, name, claims: { aud: 'spec2' }, allowedClockSkew: 10 })).allowedClockSkew).toBe(10);
    expect(await clerk.jwtTemplates.delete(template.id)).toMatchObject({ id: template.id, deleted: true });
    expect((await clerk.jwks.getJwks()).keys?.[0].kid).toBe(emu.currentKey().kid);
    expect((await clerk.testingTokens.createTestingToken()).token).toMatch(/^\d+-/);
    expectConformant();
    // The Frontend API's JWKS (not under /v1) carries the same key set.
    const wellKnown = await (await fetch(emu.jwksUrl)).json();
    expect(spec.checkSchema('JWKS', wellKnown)).toEqual({ violations: [], extraFields: [] });
  });

  it('organizations and memberships', async () => {
    const owner = await clerk.users.createUser({ emailAddress: [email()], firstName: 'Olga' });
    const member = await clerk.users.createUser({ emailAddress: [email()], username: `member${Date.now()}` });
    const slug = `spec-org-${Date.now()}`;
    const org = await clerk.organizations.createOrganization({ name: 'Spec Org', slug, createdBy: owner.id, publicMetadata: { tier: 'gold' }, maxAllowedMemberships: 5 });
    expect((await clerk.organizations.getOrganization({ organizationId: org.id })).slug).toBe(slug);
    expect((await clerk.organizations.getOrganization({ slug, includeMembersCount: true })).membersCount).toBe(1);
    expect((await clerk.organizations.getOrganizationList({ query: slug, includeMembersCount: true })).totalCount).toBe(1);
    expect((await clerk.organizations.updateOrganization(org.id, { name: 'Spec Org 2' })).name).toBe('Spec Org 2');
    expect((await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { seats: 5 } })).publicMetadata).toEqual({ tier: 'gold', seats: 5 });
    expect((await clerk.organizations.replaceOrganizationMetadata(org.id, { privateMetadata: { only: true } })).privateMetadata).toEqual({ only: true });

    const created = await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: member.id, role: 'org:member' });
    expect(created.publicUserData?.userId).toBe(member.id);
    expect((await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id })).totalCount).toBe(2);
    expect((await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: member.id, role: 'org:admin' })).role).toBe('org:admin');
    const meta = await clerk.organizations.updateOrganizationMembershipMetadata({ organizationId: org.id, userId: member.id, publicMetadata: { desk: 4 } });
    expect(meta.publicMetadata).toEqual({ desk: 4 });
    expect((await clerk.users.getOrganizationMembershipList({ userId: member.id })).data.map((m) => m.organization.id)).toEqual([org.id]);
    const session = await clerk.sessions.createSession({ userId: member.id, activeOrganizationId: org.id } as { userId: string });
    expect(session.lastActiveOrganizationId).toBe(org.id);
    expect((await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: member.id })).publicUserData?.userId).toBe(member.id);
    expect(await clerk.organizations.deleteOrganization(org.id)).toMatchObject({ id: org.id, deleted: true });
    expectConformant();
  });

  it('organization roles and permissions', async () => {
    const key = `org:spec${Date.now()}`;
    const perm = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Read specs', key: `${key}:read`, description: 'May read specs' });
    const other = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Write specs', key: `${key}:write`, description: '' });
    expect((await clerk.organizationPermissions.getOrganizationPermission(perm.id)).key).toBe(`${key}:read`);
    expect((await clerk.organizationPermissions.getOrganizationPermissionList({ limit: 100 })).data.map((p) => p.id)).toContain(perm.id);
    expect((await clerk.organizationPermissions.updateOrganizationPermission({ permissionId: perm.id, name: 'Read all specs' })).name).toBe('Read all specs');

    const role = await clerk.organizationRoles.createOrganizationRole({ name: 'Spec reader', key: `org:reader${Date.now()}`, description: 'Reads', permissions: [perm.id] });
    expect((await clerk.organizationRoles.getOrganizationRole(role.id)).permissions.map((p) => p.id)).toEqual([perm.id]);
    expect((await clerk.organizationRoles.getOrganizationRoleList({ limit: 100 })).data.map((r) => r.id)).toContain(role.id);
    expect((await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: role.id, name: 'Spec reader 2' })).name).toBe('Spec reader 2');
    const assigned = await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role.id, permissionId: other.id });
    expect(assigned.permissions).toHaveLength(2);
    const removed = await clerk.organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: role.id, permissionId: other.id });
    expect(removed.permissions).toHaveLength(1);
    expect((await clerk.organizationRoles.deleteOrganizationRole(role.id)).deleted).toBe(true);
    expect((await clerk.organizationPermissions.deleteOrganizationPermission(perm.id)).deleted).toBe(true);
    expectConformant();
  });

  it('errors: 401 bad secret key, 404 unknown ids, 422 bad params, 400, 403, 405, faults', async () => {
    const wrongKey = createClerkClient({ secretKey: 'sk_test_wrong', apiUrl: rec.url, telemetry: { disabled: true } });
    expect(await clerkError(wrongKey.users.getUser('user_x'))).toMatchObject({ status: 401, code: 'clerk_key_invalid' });
    expect(await clerkError(wrongKey.jwks.getJwks())).toMatchObject({ status: 401 });
    expect((await bapi('POST', '/v1/sessions', {}, { secretKey: null })).status).toBe(401);

    const user = await clerk.users.createUser({ emailAddress: [email()] });
    const session = await clerk.sessions.createSession({ userId: user.id });
    const org = await clerk.organizations.createOrganization({ name: 'Errors Org', createdBy: user.id });
    expect(await clerkError(clerk.users.getUser('user_missing'))).toMatchObject({ status: 404, code: 'resource_not_found' });
    expect(await clerkError(clerk.users.deleteUser('user_missing'))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.sessions.getSession('sess_missing'))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.sessions.getToken(session.id, 'no-such-template'))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.jwtTemplates.get('jtmp_missing'))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.organizations.getOrganization({ organizationId: 'org_missing' }))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.organizationRoles.getOrganizationRole('role_missing'))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.organizationPermissions.getOrganizationPermission('perm_missing'))).toMatchObject({ status: 404 });
    expect(await clerkError(clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: 'user_missing' }))).toMatchObject({ status: 404 });

    expect(await clerkError(clerk.users.createUser({ emailAddress: ['not-an-email'] }))).toMatchObject({ status: 422, code: 'form_param_format_invalid' });
    expect(await clerkError(clerk.sessions.getSessionList({}))).toMatchObject({ status: 422, code: 'form_param_missing' });
    expect(await clerkError(clerk.sessions.getToken(session.id, undefined, 1))).toMatchObject({ status: 422 });
    expect(await clerkError(clerk.jwtTemplates.create({ name: 'spec-template', claims: {} }))).toMatchObject({ status: 422, code: 'form_identifier_exists' });
    expect(await clerkError(clerk.organizations.createOrganization({ name: 'Bad', slug: 'Not A Slug' }))).toMatchObject({ status: 422 });
    expect((await bapi('POST', '/v1/sessions', {})).status).toBe(422);
    expect((await bapi('GET', '/v1/users?limit=0')).status).toBe(422);
    expect((await bapi('PATCH', `/v1/users/${user.id}`, { public_metadata: {} })).status).toBe(422);

    expect((await bapi('POST', '/v1/users', undefined, { rawBody: '{' })).status).toBe(400);
    expect(await clerkError(clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: user.id, role: 'org:member' }))).toMatchObject({ status: 400 });
    const sys = (await clerk.organizationPermissions.getOrganizationPermissionList({ limit: 100 })).data.find((p) => p.key === 'org:sys_profile:delete')!;
    expect(await clerkError(clerk.organizationPermissions.deleteOrganizationPermission(sys.id))).toMatchObject({ status: 403 });
    expect((await bapi('PUT', '/v1/users')).status).toBe(405);
    expect((await bapi('GET', '/v1/no_such_resource')).status).toBe(404);

    emu.injectFault({ status: 429, count: 1, retryAfterSeconds: 1 });
    expect((await bapi('GET', '/v1/users')).status).toBe(429);
    emu.injectFault({ status: 503, count: 1 });
    expect((await bapi('POST', `/v1/sessions/${session.id}/tokens`)).status).toBe(503);
    expectConformant();
  });

  // Reads what the tests above recorded: run the whole file.
  it('exercises every route the emulator registers, and the spec knows each of them', () => {
    const registered = new Map<string, string>(); // spec operation -> route
    const unknown: string[] = [];
    for (const route of BAPI_ROUTES) {
      const template = routeTemplate(route);
      const op = spec.findOperation(route.method, template);
      if (op) registered.set(op.key, `${route.method} ${template}`);
      else unknown.push(`${route.method} ${template}`);
    }
    expect(unknown, 'routes the spec has no operation for').toEqual([]);
    expect(registered.size).toBe(BAPI_ROUTES.length); // no two routes answer one operation
    const exercised = new Set(checks.filter((c) => c.operation && c.status < 300).map((c) => c.operation!));
    expect([...exercised].sort()).toEqual([...registered.keys()].sort());
  });
});

/** `^\/v1\/users\/([^\/]+)$` -> `/v1/users/{}`: the route table's patterns are all of this form. */
function routeTemplate(route: Route): string {
  const template = route.path.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\\\//g, '/')
    .replace(/\(\[\^\/\]\+\)/g, '{}');
  if (!/^(\/([A-Za-z0-9_]+|\{\}))+$/.test(template)) throw new Error(`cannot read the route pattern ${route.path}: keep routes to literal segments and ([^/]+)`);
  return template;
}

// ---- the checker itself -------------------------------------------------------------------------

describe('the spec checker', () => {
  it('reports a missing or mistyped field, and a field the spec does not declare, by its path', () => {
    expect(spec.checkSchema('TotalCount', { object: 'total_count' }).violations).toEqual([`/: must have required property 'total_count'`]);
    expect(spec.checkSchema('Session', { object: 'session' }).violations.length).toBeGreaterThan(0);
    const org = { object: 'organization', id: 'org_1', name: 'A', slug: 'a', has_image: false, max_allowed_memberships: 5, admin_delete_enabled: true, public_metadata: {}, created_at: 1, updated_at: 1 };
    expect(spec.checkSchema('Organization', org)).toEqual({ violations: [], extraFields: [] });
    // Organization does not say additionalProperties: false; a field it does not list is still reported.
    expect(spec.checkSchema('Organization', { ...org, invented: 1 })).toEqual({ violations: [], extraFields: ['/invented'] });
    // ...also through allOf and $ref (OrganizationMembership.organization is allOf [Organization]).
    const membership = { object: 'organization_membership', id: 'orgmem_1', role: 'org:member', permissions: [], public_metadata: {}, created_at: 1, updated_at: 1, organization: { ...org, invented: 1 } };
    expect(spec.checkSchema('OrganizationMembership', membership).extraFields).toEqual(['/organization/invented']);
    // Free-form objects (metadata, claims) stay open.
    expect(spec.checkSchema('Organization', { ...org, public_metadata: { anything: { goes: true } } }).extraFields).toEqual([]);
  });

  it('finds operations by template, literal segments first, and checks paginated lists as {data,total_count}', () => {
    expect(spec.findOperation('GET', '/v1/users/count')?.operationId).toBe('GetUsersCount');
    expect(spec.findOperation('GET', '/v1/users/user_123')?.operationId).toBe('GetUser');
    expect(spec.findOperation('GET', '/v1/users/{}')?.operationId).toBe('GetUser');
    expect(spec.findOperation('PUT', '/v1/users')).toBeUndefined();
    const exchange = { method: 'GET', path: '/v1/jwt_templates', status: 200, contentType: 'application/json' };
    expect(spec.checkResponse({ ...exchange, query: '', body: [] })).toMatchObject({ schema: 'inline', violations: [], extraFields: [] });
    expect(spec.checkResponse({ ...exchange, query: 'paginated=true', body: { data: [], total_count: 0 } })).toMatchObject({ schema: 'paginated inline', violations: [] });
    expect(spec.checkResponse({ ...exchange, query: 'paginated=true', body: [] }).violations).not.toEqual([]);
    expect(spec.checkResponse({ ...exchange, query: '', body: [], contentType: 'text/html' }).violations).toEqual(['Content-Type text/html, the spec says application/json']);
  });
});
