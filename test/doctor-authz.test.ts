/**
 * doctor and `doctor explain` on authorization refusals (issue 11): a user whose valid persona is
 * refused learns whether the token lacks the organization, the role or the permission, and how to
 * give it. Real tokens: the bundled emulator, driven through @clerk/backend's own client (users,
 * an organization, memberships, sessions with an active organization, getToken), sent to the
 * reference target and to the Express + @clerk/express conformance backend. The expected words
 * are written from Clerk's docs and the SDK's has() (role org:member vs org:admin, "no active
 * organization"), not copied from doctor's output.
 */
import { createClerkClient } from '@clerk/backend';
import { signedInAuthObject } from '@clerk/backend/internal';
import { decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { parseDocument, visit } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { diagnoseRefusal, diagnoseResponse } from '../src/diagnosis/diagnose-response.js';
import { DIAGNOSTICS_DIR, loadDiagnostics } from '../src/doctor/data.js';
import { explainInput, type Explanation } from '../src/doctor/explain/explain.js';
import { renderExplanation } from '../src/doctor/explain/render.js';
import { authOfClaims, hasAuthorization, type HasParams } from '../src/doctor/lib/clerk-authz.js';
import { runDoctor } from '../src/doctor/run.js';
import type { DoctorReport } from '../src/doctor/types.js';
import type { ReferenceTarget } from '../src/target/types.js';
import type { TokenSource } from '../src/tokens/types.js';
import type { Paint } from '../src/cli/output.js';
import { pythonAvailable, startExpressBackend, startFastapiBackend, type RunningBackend } from './conformance/backends.js';
import { startTarget, startWorld, writeBackendEnv, type World } from './doctor-e2e-helpers.js';

const plain = new Proxy({}, { get: () => (s: string) => s }) as unknown as Paint;
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

// ---- has(): the re-statement follows the SDK, case by case ------------------------------------

describe("the claims reading and has() follow @clerk/backend's own signedInAuthObject", () => {
  const claimsTable: Array<[string, Record<string, unknown>]> = [
    ['v2 without o', { v: 2 }],
    ['v2 admin, no per/fpm', { v: 2, o: { id: 'org_1', slg: 'acme', rol: 'admin' } }],
    ['v2 member, two features', { v: 2, fea: 'o:jobs,o:reports', o: { id: 'org_1', slg: 'acme', rol: 'member', per: 'read,delete', fpm: '3,1' } }],
    ['v2 fpm beyond 53 bits, leading zeros', { v: 2, fea: 'o:big', o: { id: 'org_1', rol: 'x', per: Array.from({ length: 60 }, (_, i) => `a${i}`).join(','), fpm: '0001152921504606846975' } }],
    ['v2 user and shared features', { v: 2, fea: 'u:beta,ou:jobs', pla: 'u:free,o:pro', o: { id: 'org_1', rol: 'admin', per: 'read', fpm: '1' } }],
    ['v2 fpm shorter than fea', { v: 2, fea: 'o:jobs,o:reports', o: { id: 'org_1', rol: 'admin', per: 'read', fpm: '1' } }],
    ['v2 rol already prefixed', { v: 2, o: { id: 'org_1', rol: 'org:admin' } }],
    ['v1 flat claims', { org_id: 'org_1', org_slug: 'acme', org_role: 'org:admin', org_permissions: ['org:jobs:read'] }],
    ['v1 permissions not a list', { org_id: 'org_1', org_role: 'admin', org_permissions: 'org:jobs:read' }],
    ['v1 without organization', {}],
    ['fva fresh second factor', { v: 2, fva: [30, 5] }],
    ['fva never', { v: 2, fva: [-1, -1] }],
    ['fva first factor only', { v: 2, fva: [0, -1] }],
  ];
  const questions: HasParams[] = [
    {}, { role: 'admin' }, { role: 'org:admin' }, { role: 'org:org:admin' }, { role: 'org:member' }, { role: 'x' },
    { permission: 'org:jobs:read' }, { permission: 'jobs:delete' }, { permission: 'org:reports:read' }, { permission: 'org:reports:delete' }, { permission: 'org:big:a59' },
    { role: 'org:admin', permission: 'org:jobs:read' }, { role: 5 }, { feature: 'jobs' }, { feature: 'o:jobs' }, { feature: 'u:beta' }, { feature: 'org:beta' }, { feature: 'x:jobs' },
    { plan: 'pro' }, { plan: 'u:pro' }, { plan: 'o:pro' }, { reverification: 'strict' }, { reverification: 'lax' }, { reverification: 'strict_mfa' },
    { reverification: { level: 'first_factor', afterMinutes: 10 } }, { reverification: 'sometimes' }, { role: 'org:admin', reverification: 'lax' },
  ];

  it.each(claimsTable)('%s: orgId, orgRole, orgSlug, orgPermissions and every has() answer match the SDK', (_name, extra) => {
    for (const sub of ['user_1', undefined]) {
      const claims = { sub, sid: 'sess_1', iat: 1, exp: 2, ...extra };
      const sdk = signedInAuthObject({}, 'token', claims as never);
      const ours = authOfClaims(claims);
      expect({ orgId: ours.orgId, orgRole: ours.orgRole, orgSlug: ours.orgSlug, orgPermissions: ours.orgPermissions }).toEqual({ orgId: sdk.orgId, orgRole: sdk.orgRole, orgSlug: sdk.orgSlug, orgPermissions: sdk.orgPermissions });
      for (const q of questions) expect(hasAuthorization(ours, q), `${JSON.stringify(q)} with sub ${sub}`).toBe(sdk.has(q as never));
    }
  });

  it('a fea element without a colon: the SDK throws building the auth object, doctor says so instead', () => {
    const claims = { sub: 'user_1', v: 2, fea: 'jobs', o: { id: 'org_1', rol: 'admin', per: 'read', fpm: '1' } };
    expect(() => signedInAuthObject({}, 'token', claims as never)).toThrow(/missing colon/);
    expect(authOfClaims(claims).problems.join()).toMatch(/missing colon.*throws while building the auth object/);
  });
});

describe('diagnostics/authz.yaml', () => {
  it('loads, every pattern compiles, and no value is cut by a YAML comment (an unquoted " #")', () => {
    const { authz } = loadDiagnostics();
    expect(authz.requirements.length).toBeGreaterThan(8);
    expect(new Set(authz.requirements.map((r) => r.says))).toEqual(new Set(['role', 'permission', 'feature', 'plan', 'no-active-organization', 'other-organization', 'reverification']));
    const doc = parseDocument(readFileSync(path.join(DIAGNOSTICS_DIR, 'authz.yaml'), 'utf8'));
    const cut: string[] = [];
    visit(doc, { Scalar(_k, node) { if (node.comment) cut.push(String(node.value)); } });
    expect(cut).toEqual([]);
  });
});

// ---- real personas, real servers ----------------------------------------------------------------

let world: World;
let clerk: ReturnType<typeof createClerkClient>;
let target: ReferenceTarget;
let express: RunningBackend;
let fastapi: RunningBackend | undefined;
const python = pythonAvailable();
let envFile: string;
const ids = { acme: '', globex: '', owner: '', admin: '', loner: '', rival: '' };

interface Minted { token: string; claims: Record<string, unknown> }

async function mint(userId: string, activeOrganizationId?: string): Promise<Minted> {
  const session = await clerk.sessions.createSession({ userId, ...(activeOrganizationId ? { activeOrganizationId } : {}) } as { userId: string });
  const token = (await clerk.sessions.getToken(session.id)).jwt;
  return { token, claims: decodeJwt(token) as Record<string, unknown> };
}

/** The personas: owner (member of acme), admin of acme, loner (no active organization), rival (admin of globex). */
const persona = {
  member: () => mint(ids.owner, ids.acme),
  admin: () => mint(ids.admin, ids.acme),
  loner: () => mint(ids.loner),
  rival: () => mint(ids.rival, ids.globex),
};
type PersonaName = keyof typeof persona;

/** A token source for doctor that mints for one persona (doctor's own mints for the test user). */
function sourceFor(name: PersonaName): () => Promise<TokenSource> {
  return async () => ({
    mode: 'emulator',
    apiUrl: world.emulator.url,
    userId: async () => (await persona[name]()).claims.sub as string,
    session: async () => { const { claims } = await persona[name](); return { id: claims.sid as string, userId: claims.sub as string }; },
    listTemplates: async () => [],
    async mint() {
      const { token } = await persona[name]();
      return { token, header: decodeProtectedHeader(token), claims: decodeJwt(token) as never, receivedAt: Date.now() };
    },
  });
}

interface Answer { status: number; statusText: string; headers: Record<string, string>; body: string }

async function call(base: string, method: string, p: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${p}`, { method, headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, statusText: res.statusText, headers: Object.fromEntries(res.headers), body: await res.text() };
}

/** `curl -i` output, with the request's token on the line before it (what a user pastes). */
function pasted(token: string | undefined, a: Answer): string {
  const head = [`HTTP/1.1 ${a.status} ${a.statusText}`, ...Object.entries(a.headers).map(([k, v]) => `${k}: ${v}`)];
  return [...(token ? [token, ''] : []), ...head, '', a.body].join('\n');
}

async function jobOf(base: string, creator: Minted): Promise<string> {
  const created = await call(base, 'POST', '/jobs', creator.token, { name: 'authz doctor' });
  expect(created.status, created.body).toBe(201);
  return String((JSON.parse(created.body) as { job_id: string }).job_id);
}

beforeAll(async () => {
  world = await startWorld();
  const emu = world.emulator;
  clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, telemetry: { disabled: true } });
  const stamp = Date.now().toString(36);
  const user = async (n: string) => (await clerk.users.createUser({ emailAddress: [`${n}-${stamp}+clerk_test@example.com`] })).id;
  ids.admin = await user('admin');
  ids.owner = await user('owner');
  ids.loner = await user('loner');
  ids.rival = await user('rival');
  ids.acme = (await clerk.organizations.createOrganization({ name: 'Acme', slug: `acme-${stamp}`, createdBy: ids.admin })).id;
  ids.globex = (await clerk.organizations.createOrganization({ name: 'Globex', slug: `globex-${stamp}`, createdBy: ids.rival })).id;
  await clerk.organizations.createOrganizationMembership({ organizationId: ids.acme, userId: ids.owner, role: 'org:member' });
  // The backend's env file first, then the servers: doctor's server.restart compares the two.
  envFile = await writeBackendEnv(world);
  await new Promise((r) => setTimeout(r, 1100));
  [target, express, fastapi] = await Promise.all([startTarget(world), startExpressBackend({ env: emu.env() }), python.ok ? startFastapiBackend({ env: emu.env() }) : undefined]);
});
afterAll(async () => {
  await Promise.all([target?.stop(), express?.stop(), fastapi?.stop()]);
  await world?.stop();
});

const firstCause = (e: Explanation) => e.causes[0]!;
const words = (e: Explanation) => [e.summary, ...e.causes.flatMap((c) => [c.title, ...c.evidence, c.fix])].join('\n');

const BACKENDS = [
  { name: 'the reference target', url: () => target.url, skip: false as string | false },
  { name: 'the Express + @clerk/express conformance backend', url: () => express.url, skip: false as string | false },
  { name: 'the FastAPI + PyJWT conformance backend', url: () => fastapi!.url, skip: python.ok ? false : python.reason },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== false)(`doctor explain on ${backend.name}'s refusals (token + curl -i output)${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let job: string;
    beforeAll(async () => {
      job = await jobOf(backend.url(), await persona.member());
    });

    it('a member on the admin-only DELETE: the role it has and the role the route wants, and how to give it', async () => {
      const m = await persona.member();
      const a = await call(backend.url(), 'DELETE', `/jobs/${job}`, m.token);
      expect(a.status).toBe(403);
      const e = explainInput(pasted(m.token, a));
      expect(e.kind).toBe('response');
      expect(e.summary).toMatch(/403.*refused by authorization/);
      const c = firstCause(e);
      expect(c.cause).toBe('authz-role-missing');
      expect(c.severity).toBe('warn');
      expect(c.evidence[0]).toMatch(/role org:member, the route wants org:admin/);
      expect(c.fix).toMatch(new RegExp(`updateOrganizationMembership\\(\\{ organizationId: '${ids.acme}', userId: '${ids.owner}', role: 'org:admin' \\}\\)`));
      expect(e.authorization?.token).toMatchObject({ version: 2, orgId: ids.acme, orgRole: 'org:member' });
      expect(e.authorization?.requirement?.roles).toEqual(['org:admin']);
      // Nothing about the token's signature or times: it got through authentication.
      expect(e.causes.map((x) => x.cause)).not.toContain('forbid-missing-header');
      const text = renderExplanation(e, { paint: plain });
      expect(text).toMatch(/organization: organization org_\w+ \(acme-\w+\), role org:member/);
      expect(text).not.toMatch(JWT);
    });

    it('a user with no active organization: "no active organization", and how to make one active', async () => {
      const l = await persona.loner();
      const a = await call(backend.url(), 'DELETE', `/jobs/${job}`, l.token);
      expect(a.status).toBe(403);
      const c = firstCause(explainInput(pasted(l.token, a)));
      expect(c.cause).toBe('authz-no-active-org');
      expect(c.evidence[0]).toMatch(/no active organization; the route wants role org:admin/);
      expect(c.fix).toMatch(/setActive\(\{ organization/);
      expect(c.fix).toMatch(/createSession\(\{ userId, activeOrganizationId/);
      expect(c.fix).toMatch(/persona `organization: <slug>`/);
    });

    it("an admin of another organization: its organization is not the job's (a cross-tenant refusal)", async () => {
      const r = await persona.rival();
      const a = await call(backend.url(), 'DELETE', `/jobs/${job}`, r.token);
      expect(a.status).toBe(403);
      const e = explainInput(pasted(r.token, a));
      const c = firstCause(e);
      expect(c.cause).toBe('authz-other-organization');
      expect(c.evidence[0]).toMatch(new RegExp(`active organization is ${ids.globex} \\(globex-\\w+\\) with role org:admin; .*another organization`));
      // The role itself is fine: has({ role: 'org:admin' }) holds, so it is not called a role problem.
      expect(e.causes.map((x) => x.cause)).not.toContain('authz-role-missing');
      expect(e.causes.map((x) => x.cause)).not.toContain('authz-claims-misread');
    });

    it("another user's job on the owner-only GET: 404 is the API hiding it; if the caller is the owner, the owner is not this sub", async () => {
      const r = await persona.rival();
      const a = await call(backend.url(), 'GET', `/jobs/${job}`, r.token);
      expect(a.status).toBe(404);
      const e = explainInput(pasted(r.token, a));
      const c = firstCause(e);
      expect(c.cause).toBe('authz-hidden-existence');
      expect(c.severity).toBe('warn');
      expect(c.fix).toMatch(/correct when the caller is not the owner/);
      expect(c.fix).toContain(`is not this token's sub (${ids.rival})`);
      // The owner still reads it.
      expect((await call(backend.url(), 'GET', `/jobs/${job}`, (await persona.member()).token)).status).toBe(200);
    });

    it('the admin of the job\'s organization is let through (control)', async () => {
      const own = await jobOf(backend.url(), await persona.member());
      expect((await call(backend.url(), 'DELETE', `/jobs/${own}`, (await persona.admin()).token)).status).toBe(204);
    });

    it('the body alone (no token): says what the route wants and asks for the token', async () => {
      const a = await call(backend.url(), 'DELETE', `/jobs/${job}`, (await persona.member()).token);
      const e = explainInput(a.body);
      expect(e.kind).toBe('message');
      expect(e.summary).toMatch(/an authorization refusal - the route wants role org:admin/);
      expect(firstCause(e).evidence.join('\n')).toMatch(/paste the token too/);
    });
  });
}

describe('doctor explain: permissions, features and plans, read as has() reads them', () => {
  let member: Minted;
  beforeAll(async () => {
    const perm = (key: string) => clerk.organizationPermissions.createOrganizationPermission({ name: key, key, description: '' });
    const del = (await perm('org:jobs:delete')).id;
    const read = (await perm('org:jobs:read')).id;
    const roles = (await clerk.organizationRoles.getOrganizationRoleList({ limit: 100 })).data;
    const role = (key: string) => roles.find((r) => r.key === key)!.id;
    for (const p of [del, read]) await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role('org:admin'), permissionId: p });
    await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role('org:member'), permissionId: read });
    member = await persona.member();
  });

  it('a member without org:jobs:delete: its action is not in o.per; the fix is Roles & Permissions', () => {
    // DOCS: fea "o:jobs", o.per "read", o.fpm "1" for a role granting only org:jobs:read.
    expect(member.claims).toMatchObject({ fea: 'o:jobs', o: { rol: 'member', per: 'read', fpm: '1' } });
    const e = explainInput(`${member.token}\n\nHTTP/1.1 403 Forbidden\ncontent-type: application/json\n\n{"detail":"missing permission org:jobs:delete"}`);
    const c = firstCause(e);
    expect(c.cause).toBe('authz-permission-missing');
    expect(c.evidence[0]).toMatch(/lacks permission org:jobs:delete: its action "delete" is not in o\.per \("read"\)/);
    expect(c.fix).toMatch(/Roles & Permissions, create permission org:jobs:delete \(feature jobs\) and add it to role org:member/);
  });

  it('a permission of a feature the token does not carry, and a system permission', () => {
    const other = firstCause(explainInput(`${member.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires permission org:reports:export"}`));
    expect(other.evidence[0]).toMatch(/feature "reports" is not among the token's organization features \(fea "o:jobs": jobs\)/);
    const sys = firstCause(explainInput(`${member.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires permission org:sys_memberships:manage"}`));
    expect(sys.evidence[0]).toMatch(/system permission: Clerk never puts system permissions/);
  });

  it('a permission the token does carry, refused anyway: the server misreads the claims (a backend bug, ✗)', () => {
    const c = firstCause(explainInput(`${member.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires permission org:jobs:read"}`));
    expect(c.cause).toBe('authz-claims-misread');
    expect(c.severity).toBe('fail');
  });

  it('features and plans (fea / pla), and Clerk\'s own reverification error', async () => {
    const feat = firstCause(explainInput(`${member.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires feature o:analytics"}`));
    expect(feat.cause).toBe('authz-feature-missing');
    expect(feat.evidence[0]).toMatch(/lacks feature o:analytics \(fea "o:jobs"\)/);
    const plan = firstCause(explainInput(`${member.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires plan pro"}`));
    expect(plan.cause).toBe('authz-plan-missing');
    expect(plan.evidence[0]).toMatch(/pla absent/);
    // @clerk/shared reverificationErrorResponse('strict'): the body Clerk's helpers send.
    const reverify = firstCause(explainInput(`${member.token}\nHTTP/1.1 403 Forbidden\n\n{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":"strict"}}}`));
    expect(reverify.cause).toBe('authz-reverification');
    expect(reverify.evidence[0]).toMatch(/verification within 10 min \(second factor, preset "strict"\)/);
  });

  it('a v1 token (flat org_* claims) is read by the v1 rules', () => {
    const seg = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const v1 = `${seg({ alg: 'RS256', typ: 'JWT', kid: 'ins_2abc' })}.${seg({ sub: 'user_2v1', sid: 'sess_1', iat: 1, exp: 2, org_id: 'org_2v1', org_role: 'org:member', org_permissions: ['org:jobs:read'] })}.c2ln`;
    const e = explainInput(`${v1}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires role org:admin"}`);
    expect(firstCause(e).evidence[0]).toMatch(/role org:member, the route wants org:admin/);
    expect(e.authorization?.token?.line).toMatch(/v1 claims - no "v": 2/);
  });
});

describe('doctor explain: authentication 403s stay authentication; parsing', () => {
  it('FastAPI\'s 403 "Not authenticated" (no token) and fastapi-clerk-auth\'s 403 are not read as authorization', async () => {
    const m = await persona.member();
    expect(firstCause(explainInput('HTTP/1.1 403 Forbidden\n\n{"detail":"Not authenticated"}')).cause).toBe('forbid-missing-header');
    const e = explainInput(`${m.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"Invalid Authentication Credentials"}`);
    expect(e.causes.map((c) => c.cause)).toContain('cause-hidden');
    expect(e.causes.map((c) => c.cause).some((c) => c.startsWith('authz-'))).toBe(false);
  });

  it('a 403 that names nothing, with a token: the token\'s organization claims to compare', async () => {
    const m = await persona.member();
    const e = explainInput(`${m.token}\nHTTP/1.1 403 Forbidden\n\nForbidden`);
    const c = firstCause(e);
    expect(c.cause).toBe('authz-refused-unnamed');
    expect(c.evidence.join('\n')).toMatch(/role org:member/);
  });

  it('`curl -v` output: the request\'s bearer token and the answer are both read', async () => {
    const m = await persona.member();
    const job = await jobOf(target.url, m);
    const a = await call(target.url, 'DELETE', `/jobs/${job}`, m.token);
    const verbose = [
      '*   Trying 127.0.0.1:8000...',
      `> DELETE /jobs/${job} HTTP/1.1`,
      `> Authorization: Bearer ${m.token}`,
      '>',
      `< HTTP/1.1 ${a.status} Forbidden`,
      '< content-type: application/json',
      '<',
      '* Connection #0 left intact',
      a.body,
    ].join('\n');
    const e = explainInput(verbose);
    expect(firstCause(e).evidence[0]).toMatch(/role org:member, the route wants org:admin/);
    expect(JSON.stringify(e)).not.toMatch(JWT);
  });

  it('a token pasted minutes after its 403 is not called expired: the server signed it in', async () => {
    const m = await persona.member();
    const later = (m.claims.exp as number) + 600;
    const e = explainInput(`${m.token}\nHTTP/1.1 403 Forbidden\n\n{"detail":"requires role org:admin"}`, { nowSeconds: later });
    expect(e.causes.map((c) => c.cause)).not.toContain('expired');
    expect(e.notes.join('\n')).toMatch(/expired .* - now, by this machine's clock; the server's 403 came after it signed the token in/);
  });

  it('diagnoseRefusal (for run) reads the same; diagnoseResponse keeps to authentication', async () => {
    const m = await persona.member();
    const d = diagnoseRefusal({ status: 403, body: '{"detail":"requires role org:admin"}', headers: {}, claims: m.claims });
    expect(d).toMatchObject({ cause: 'authz-role-missing', outcome: 'role', severity: 'warn' });
    expect(d!.line).toBe('the token has role org:member, the route wants org:admin');
    expect(diagnoseRefusal({ status: 403, body: '{"detail":"Not authenticated"}', headers: {} })).toBeUndefined();
    expect(diagnoseRefusal({ status: 401, body: '{"detail":"Token expired"}', headers: {} })).toBeUndefined();
    expect(diagnoseResponse({ status: 403, body: '{"detail":"requires role org:admin"}', headers: {} })).toBeUndefined();
  });
});

// ---- doctor, live -------------------------------------------------------------------------------

async function doctor(url: string, as: PersonaName, method: string, p: string, only?: string[]): Promise<DoctorReport> {
  return runDoctor({
    cwd: world.dir,
    env: { CLERK_SECRET_KEY: world.emulator.secretKey, CLERK_API_URL: world.emulator.url },
    tokenSource: sourceFor(as),
    options: { envFile, target: url, probe: '/health', endpoint: { method, path: p }, auditDir: path.join(world.dir, 'audit'), timeoutMs: 5000, only },
  });
}
const check = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;

describe('doctor against a target that refuses a valid persona', () => {
  let job: string;
  beforeAll(async () => {
    job = await jobOf(target.url, await persona.member());
  });

  it('a member on the admin-only route: authorization working (a warning), not a backend bug; the fix for a user who expected access', async () => {
    const r = await doctor(target.url, 'member', 'DELETE', `/jobs/${job}`);
    expect(r.ok).toBe(true);
    expect(r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.says}`)).toEqual([]);
    const fresh = check(r, 'target.fresh-token');
    expect(fresh).toMatchObject({ status: 'warn', outcome: 'forbidden' });
    expect(fresh.says).toMatch(/403 .*requires role org:admin.* signed in, then refused by an authorization check/);
    const authz = check(r, 'authz.refusal');
    expect(authz).toMatchObject({ status: 'warn', outcome: 'role', cause: 'authz-role-missing' });
    expect(authz.says).toBe('authorization works: the token has role org:member, the route wants org:admin');
    // The persona's claims as evidence, redacted (never the token itself).
    expect(authz.evidence.join('\n')).toMatch(new RegExp(`token \\(sub ${ids.owner}, v2\\): organization ${ids.acme} \\(acme-\\w+\\), role org:member \\(o\\.rol "member"\\)`));
    expect(JSON.stringify(r)).not.toMatch(JWT);
    expect(authz.fix).toMatch(/if this user should have access, give it role org:admin/);
    expect(r.rootCauses[0]).toMatchObject({ id: 'authz-role-missing', checks: ['authz.refusal'] });
    // The old reading - "rejects fresh genuine tokens for a reason doctor cannot read" - is gone.
    expect(r.rootCauses.map((c) => c.id)).not.toContain('rejected-unknown');
    expect(check(r, 'auth.cause').status).toBe('skip');
    // The verifier accepted a token without aud: env.audience would know, auth.cause is not reached.
    expect(check(r, 'env.audience').status).toBe('pass');
  });

  it('no active organization, and the admin of another organization', async () => {
    const loner = check(await doctor(target.url, 'loner', 'DELETE', `/jobs/${job}`, ['authz']), 'authz.refusal');
    expect(loner).toMatchObject({ status: 'warn', outcome: 'no-active-org' });
    expect(loner.says).toBe('authorization works: the token has no active organization; the route wants role org:admin');
    expect(loner.evidence.join('\n')).toMatch(/no active organization \(no "o" claim\)/);
    const rival = check(await doctor(target.url, 'rival', 'DELETE', `/jobs/${job}`, ['authz']), 'authz.refusal');
    expect(rival).toMatchObject({ status: 'warn', outcome: 'other-organization' });
    expect(rival.says).toMatch(new RegExp(`the token's active organization is ${ids.globex} .*with role org:admin; the server says the resource belongs to another organization`));
  });

  it("another user's object (owner-only GET): 404 is the API hiding it, not a wrong port or base path", async () => {
    const r = await doctor(target.url, 'rival', 'GET', `/jobs/${job}`);
    expect(r.ok).toBe(true);
    expect(check(r, 'target.fresh-token')).toMatchObject({ status: 'warn', outcome: 'object-not-found' });
    const authz = check(r, 'authz.refusal');
    expect(authz).toMatchObject({ status: 'warn', outcome: 'hidden-existence' });
    expect(authz.fix).toContain(`is not this token's sub (${ids.rival})`);
    expect(r.rootCauses.map((c) => c.id)).not.toContain('endpoint-not-found');
    // An unknown route still is one: the framework's own 404 body.
    const route = await doctor(target.url, 'rival', 'GET', '/nope/jobs');
    expect(route.checks.find((c) => c.id === 'authz.refusal')?.status ?? 'skip').toBe('skip');
  });

  it('the Express + @clerk/express backend: the same reading of its {"error":"Forbidden","detail":...} answers', async () => {
    const ejob = await jobOf(express.url, await persona.member());
    const r = await doctor(express.url, 'member', 'DELETE', `/jobs/${ejob}`, ['authz']);
    expect(check(r, 'authz.refusal')).toMatchObject({ status: 'warn', outcome: 'role', says: 'authorization works: the token has role org:member, the route wants org:admin' });
    const hidden = await doctor(express.url, 'rival', 'GET', `/jobs/${ejob}`, ['authz']);
    expect(check(hidden, 'authz.refusal').outcome).toBe('hidden-existence');
  });

  it('a target answering 401 for the refusal (the wrong-refusal-status flaw): still read as authorization, the status named', async () => {
    const flawed = await startTarget(world, { flaws: ['wrong-refusal-status'] });
    try {
      const fjob = await jobOf(flawed.url, await persona.member());
      const r = await doctor(flawed.url, 'member', 'DELETE', `/jobs/${fjob}`, ['authz']);
      expect(check(r, 'target.fresh-token')).toMatchObject({ status: 'warn', outcome: 'forbidden' });
      const authz = check(r, 'authz.refusal');
      expect(authz).toMatchObject({ outcome: 'role', says: 'authorization works: the token has role org:member, the route wants org:admin' });
      expect(authz.evidence.join('\n')).toMatch(/answered 401 for a refusal after sign-in/);
    } finally {
      await flawed.stop();
    }
  });

  it('the admin of the job\'s organization gets through: no authorization check is shown', async () => {
    const own = await jobOf(target.url, await persona.member());
    const r = await doctor(target.url, 'admin', 'DELETE', `/jobs/${own}`);
    expect(check(r, 'target.fresh-token')).toMatchObject({ status: 'pass', outcome: 'accepted' });
    expect(check(r, 'authz.refusal').shown).toBe(false);
  });

  it("doctor through the CLI with the harness's own test user (no organization): the text says what it lacks, exit 0", async () => {
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void) => new Writable({ write(chunk, _e, cb) { append(chunk.toString()); cb(); } });
    const code = await main(['doctor', '--target', target.url, '--env-file', envFile, '--endpoint', `DELETE /jobs/${job}`, '--audit-dir', path.join(world.dir, 'audit')], {
      stdout: sink((s) => (stdout += s)),
      stderr: sink((s) => (stderr += s)),
      cwd: world.dir,
      env: { CLERK_SECRET_KEY: world.emulator.secretKey, CLERK_API_URL: world.emulator.url, NO_COLOR: '1' },
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/authz - what the signed-in token lacks/);
    expect(stdout).toMatch(/! authorization works: the token has no active organization; the route wants role org:admin/);
    expect(stdout).toMatch(/fix: if this user should have access, mint the token from a session with an active organization/);
    expect(stdout).toMatch(/No failures/);
    expect(stdout).not.toMatch(JWT);
  });
});

describe('doctor against a server that misreads the organization claims', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Two classic mistakes: o.rol compared with "org:admin" (it has no prefix), and v1 org_id read from a v2 token.
    const { verifyToken } = await import('@clerk/backend');
    server = createServer((req, res) => {
      void (async () => {
        for await (const _ of req) void _;
        const send = (s: number, b: unknown) => (res.writeHead(s, { 'content-type': 'application/json' }), res.end(JSON.stringify(b)));
        if (req.url === '/health') return send(200, { status: 'ok' });
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!token) return send(401, { detail: 'Not authenticated' });
        let claims: Record<string, any>;
        try {
          claims = (await verifyToken(token, { secretKey: world.emulator.secretKey, apiUrl: world.emulator.url })) as Record<string, any>;
        } catch {
          return send(401, { detail: 'Invalid token' });
        }
        if (req.url === '/v1-org') return claims.org_id ? send(200, { ok: true }) : send(403, { detail: 'no active organization' });
        return claims.o?.rol === 'org:admin' ? send(200, { ok: true }) : send(403, { detail: 'requires role org:admin' });
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('an admin refused "requires role org:admin": a failure naming the prefix, not "authorization works"', async () => {
    const r = await doctor(url, 'admin', 'GET', '/admin', ['authz']);
    const authz = check(r, 'authz.refusal');
    expect(authz).toMatchObject({ status: 'fail', outcome: 'claims-misread', cause: 'authz-claims-misread' });
    expect(authz.says).toMatch(/refuses a token that carries what it asks for: role org:admin .*o\.rol is "admin" without the "org:" prefix/);
    expect(r.ok).toBe(false);
    expect(authz.fix).toMatch(/orgRole is "org:" \+ o\.rol/);
  });

  it('"no active organization" for a token that has one in "o"', async () => {
    const authz = check(await doctor(url, 'admin', 'GET', '/v1-org', ['authz']), 'authz.refusal');
    expect(authz).toMatchObject({ status: 'fail', outcome: 'claims-misread' });
    expect(authz.says).toMatch(new RegExp(`says the token has no active organization, but it carries organization ${ids.acme} in "o"`));
  });
});

describe('a 403 that names nothing while the backend cannot verify the token', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // fastapi-clerk-auth-like: every token failure is a bare 403 (here with a body no catalogue knows).
    server = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : req.headers.authorization ? 403 : 401, { 'content-type': 'text/plain' });
      res.end(req.url === '/health' ? 'ok' : req.headers.authorization ? 'Forbidden' : 'Unauthorized');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is reported as the authentication failure it most likely is (the stale PEM), not as authorization', async () => {
    const stale = await exportSPKI((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const file = await writeBackendEnv(world, { CLERK_JWT_KEY: stale, CLERK_PEM_PUBLIC_KEY: stale }, 'stale.env');
    const r = await runDoctor({
      cwd: world.dir,
      env: { CLERK_SECRET_KEY: world.emulator.secretKey, CLERK_API_URL: world.emulator.url },
      tokenSource: sourceFor('member'),
      options: { envFile: file, target: url, probe: '/health', endpoint: { method: 'GET', path: '/jobs' }, auditDir: path.join(world.dir, 'audit'), timeoutMs: 5000, only: ['authz'] },
    });
    const authz = check(r, 'authz.refusal');
    expect(authz).toMatchObject({ status: 'fail', outcome: 'authentication-hidden', cause: 'pem-stale' });
    expect(authz.says).toMatch(/names no requirement, and the backend cannot verify this token: .*matches no live key/);
  });
});
