/**
 * Session tokens for an active organization: the v2 `o` / `fea` claims the emulator signs, read
 * back by the real @clerk/backend (verifyToken, authenticateRequest -> toAuth(), has()) exactly
 * as an API under test would read them. Expected claim values are worked out by hand from the
 * wire-format reference (fea/per/fpm) before the emulator is asked.
 */
import { createClerkClient, verifyToken } from '@clerk/backend';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { organizationClaims } from '../src/emulator/org-claims.js';

let emu: Emulator;
let clerk: ReturnType<typeof createClerkClient>;

beforeAll(async () => {
  emu = await startEmulator({
    templates: [{ name: 'org-token', claims: { org_id: '{{org.id}}', org_slug: '{{org.slug}}', org_role: '{{org.role}}', org_name: '{{org.name}}', plan: '{{user.public_metadata.plan}}' } }],
  });
  clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, publishableKey: emu.publishableKey, telemetry: { disabled: true } });
});
afterAll(() => emu?.stop());

let n = 0;
const stamp = Date.now().toString(36);
const email = () => `tok${++n}-${stamp}+clerk_test@example.com`;

/** What an API using @clerk/backend sees for `Authorization: Bearer <token>`. */
async function authOf(token: string) {
  const state = await clerk.authenticateRequest(new Request('http://127.0.0.1/api/jobs', { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } }));
  expect(state.status, state.reason ?? '').toBe('signed-in');
  const auth = state.toAuth();
  if (!auth || auth.tokenType !== 'session_token') throw new Error('expected a signed-in session auth object');
  return auth;
}

async function tokenFor(userId: string, activeOrganizationId?: string): Promise<{ sessionId: string; jwt: string }> {
  const session = await clerk.sessions.createSession({ userId, ...(activeOrganizationId ? { activeOrganizationId } : {}) } as { userId: string });
  return { sessionId: session.id, jwt: (await clerk.sessions.getToken(session.id)).jwt };
}

describe('organizationClaims (pure encoding)', () => {
  it("encodes the docs' example: dashboard:read, dashboard:manage, teams:read", () => {
    const claims = organizationClaims({ id: 'org_1', slug: 'acme', role: 'org:admin', permissions: ['org:dashboard:read', 'org:dashboard:manage', 'org:teams:read', 'org:sys_profile:manage'] });
    // DOCS session-tokens.mdx: fea "o:dashboard,o:teams", per "manage,read", fpm "3,2"; system permissions never in claims.
    expect(claims).toEqual({ o: { id: 'org_1', slg: 'acme', rol: 'admin', per: 'manage,read', fpm: '3,2' }, fea: 'o:dashboard,o:teams' });
  });

  it('has only id, slg and rol when the role grants no custom permission', () => {
    expect(organizationClaims({ id: 'org_2', slug: 's', role: 'org:member', permissions: ['org:sys_memberships:read'] })).toEqual({ o: { id: 'org_2', slg: 's', rol: 'member' } });
  });

  it('renders masks beyond 53 bits exactly (the SDK parses them as decimal strings)', () => {
    const permissions = Array.from({ length: 60 }, (_, i) => `org:f:a${String(i).padStart(2, '0')}`);
    const { o } = organizationClaims({ id: 'org_3', slug: 's', role: 'org:x', permissions });
    expect(o.fpm).toBe(((1n << 60n) - 1n).toString());
  });
});

describe('session tokens with an active organization, read by @clerk/backend', () => {
  let org: { id: string; slug: string };
  let admin: string;
  let member: string;
  let outsider: string;
  let jobsDelete: string;
  let jobsRead: string;
  let reportsExport: string;

  beforeAll(async () => {
    admin = (await clerk.users.createUser({ emailAddress: [email()], publicMetadata: { plan: 'pro' } })).id;
    member = (await clerk.users.createUser({ emailAddress: [email()] })).id;
    outsider = (await clerk.users.createUser({ emailAddress: [email()] })).id;
    const created = await clerk.organizations.createOrganization({ name: 'Token Org', slug: `token-org-${stamp}`, createdBy: admin });
    org = { id: created.id, slug: created.slug! };
    await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: member, role: 'org:member' });
    const perm = (key: string) => clerk.organizationPermissions.createOrganizationPermission({ name: key, key, description: '' });
    jobsDelete = (await perm('org:jobs:delete')).id;
    jobsRead = (await perm('org:jobs:read')).id;
    reportsExport = (await perm('org:reports:export')).id;
    // Give the default roles custom permissions, as an instance's dashboard would.
    const roles = (await clerk.organizationRoles.getOrganizationRoleList({ limit: 100 })).data;
    const adminRole = roles.find((r) => r.key === 'org:admin')!;
    const memberRole = roles.find((r) => r.key === 'org:member')!;
    for (const p of [jobsDelete, jobsRead]) await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: adminRole.id, permissionId: p });
    await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: memberRole.id, permissionId: jobsRead });
  });

  it('an admin token carries o {id, slg, rol, per, fpm} and fea, and toAuth()/has() read them', async () => {
    const { jwt, sessionId } = await tokenFor(admin, org.id);
    const claims = decodeJwt(jwt);
    // admin: jobs:{delete,read} -> fea "o:jobs", per "delete,read", fpm "3" (both bits)
    expect(claims.o).toEqual({ id: org.id, slg: org.slug, rol: 'admin', per: 'delete,read', fpm: '3' });
    expect(claims.fea).toBe('o:jobs');
    expect(claims).toMatchObject({ v: 2, sub: admin, sid: sessionId });
    expect(Object.keys(claims)).toEqual([...Object.keys(claims)].sort()); // Clerk's key order (Go maps)

    const verified = await verifyToken(jwt, { secretKey: emu.secretKey, apiUrl: emu.url });
    expect(verified.o).toEqual(claims.o);

    const auth = await authOf(jwt);
    expect(auth).toMatchObject({ userId: admin, sessionId, orgId: org.id, orgSlug: org.slug, orgRole: 'org:admin' });
    expect([...(auth.orgPermissions ?? [])].sort()).toEqual(['org:jobs:delete', 'org:jobs:read']);
    expect(auth.has({ role: 'org:admin' })).toBe(true);
    expect(auth.has({ role: 'org:member' })).toBe(false);
    expect(auth.has({ permission: 'org:jobs:delete' })).toBe(true);
    expect(auth.has({ permission: 'org:jobs:read' })).toBe(true);
    expect(auth.has({ permission: 'org:reports:export' })).toBe(false);
  });

  it('a member token has the member role and only the member permissions', async () => {
    const { jwt } = await tokenFor(member, org.id);
    expect(decodeJwt(jwt).o).toEqual({ id: org.id, slg: org.slug, rol: 'member', per: 'read', fpm: '1' });
    const auth = await authOf(jwt);
    expect(auth).toMatchObject({ orgId: org.id, orgRole: 'org:member', orgPermissions: ['org:jobs:read'] });
    expect(auth.has({ role: 'org:admin' })).toBe(false);
    expect(auth.has({ permission: 'org:jobs:delete' })).toBe(false);
    expect(auth.has({ permission: 'org:jobs:read' })).toBe(true);
  });

  it('a custom role with two features encodes one mask per feature', async () => {
    const key = `org:auditor_${stamp}`.toLowerCase().replace(/[^a-z0-9_:]/g, '_');
    await clerk.organizationRoles.createOrganizationRole({ name: 'Auditor', key, permissions: [jobsRead, reportsExport] });
    const auditor = (await clerk.users.createUser({ emailAddress: [email()] })).id;
    await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: auditor, role: key });
    const { jwt } = await tokenFor(auditor, org.id);
    const claims = decodeJwt(jwt);
    // features [jobs, reports], actions [export, read]: jobs -> read = bit 1 = 2; reports -> export = bit 0 = 1
    expect(claims.fea).toBe('o:jobs,o:reports');
    expect(claims.o).toEqual({ id: org.id, slg: org.slug, rol: key.slice('org:'.length), per: 'export,read', fpm: '2,1' });
    const auth = await authOf(jwt);
    expect(auth.orgRole).toBe(key);
    expect([...(auth.orgPermissions ?? [])].sort()).toEqual(['org:jobs:read', 'org:reports:export']);
    expect(auth.has({ role: key })).toBe(true);
    expect(auth.has({ permission: 'org:reports:export' })).toBe(true);
    expect(auth.has({ permission: 'org:jobs:delete' })).toBe(false);
  });

  it('a session without an active organization has no o and fails every org check', async () => {
    const { jwt } = await tokenFor(admin);
    const claims = decodeJwt(jwt);
    expect(claims).not.toHaveProperty('o');
    expect(claims).not.toHaveProperty('fea');
    const auth = await authOf(jwt);
    expect(auth.orgId).toBeUndefined();
    expect(auth.orgRole).toBeUndefined();
    expect(auth.has({ role: 'org:admin' })).toBe(false);
    expect(auth.has({ permission: 'org:jobs:read' })).toBe(false);
  });

  it('refuses an active organization the user is not a member of, or that does not exist', async () => {
    const notMember = await fetch(`${emu.url}/v1/sessions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: outsider, active_organization_id: org.id }),
    });
    expect(notMember.status).toBe(422);
    expect((await notMember.json()).errors[0].meta.param_name).toBe('active_organization_id');
    const missing = await fetch(`${emu.url}/v1/sessions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${emu.secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: outsider, active_organization_id: 'org_doesnotexist' }),
    });
    expect(missing.status).toBe(404);
  });

  it('claims follow the membership at mint time: a role change, then removal', async () => {
    const temp = (await clerk.users.createUser({ emailAddress: [email()] })).id;
    await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: temp, role: 'org:member' });
    const { sessionId } = await tokenFor(temp, org.id);
    const mint = async () => decodeJwt((await clerk.sessions.getToken(sessionId)).jwt);
    expect((await mint()).o).toMatchObject({ rol: 'member' });
    await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: temp, role: 'org:admin' });
    expect((await mint()).o).toMatchObject({ rol: 'admin', per: 'delete,read', fpm: '3' });
    await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: temp });
    expect(await mint()).not.toHaveProperty('o');
  });

  it('JWT templates render {{org.*}} for the active organization and null without one', async () => {
    const { sessionId } = await tokenFor(admin, org.id);
    const claims = decodeJwt((await clerk.sessions.getToken(sessionId, 'org-token')).jwt);
    expect(claims).toMatchObject({ org_id: org.id, org_slug: org.slug, org_role: 'org:admin', org_name: 'Token Org', plan: 'pro' });
    const plain = await tokenFor(admin);
    const none = decodeJwt((await clerk.sessions.getToken(plain.sessionId, 'org-token')).jwt);
    expect(none).toMatchObject({ org_id: null, org_slug: null, org_role: null, plan: 'pro' });
  });

  it('deleting the organization clears it from sessions and tokens', async () => {
    const doomed = await clerk.organizations.createOrganization({ name: 'Doomed', createdBy: member });
    const { sessionId, jwt } = await tokenFor(member, doomed.id);
    expect(decodeJwt(jwt).o).toMatchObject({ id: doomed.id, rol: 'admin' });
    await clerk.organizations.deleteOrganization(doomed.id);
    expect((await clerk.sessions.getSession(sessionId)).lastActiveOrganizationId).toBeNull();
    expect(decodeJwt((await clerk.sessions.getToken(sessionId)).jwt)).not.toHaveProperty('o');
  });
});
