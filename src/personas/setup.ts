/**
 * Personas made real at the start of a run (issue 11), through @clerk/backend's client, so the
 * same calls work against real Clerk (a development instance) and the bundled emulator: the user
 * found by email or created (with its public_metadata), the organization found by slug or created,
 * the permissions and the custom role created when missing, the membership created or its role
 * set. Idempotent: a second run finds everything and changes only what differs.
 */
import { createClerkClient } from '@clerk/backend';
import { callClerk, ClerkCallError, clerkCallToHarnessError, type CallContext } from '../tokens/clerk-call.js';
import { detectMode } from '../tokens/mode.js';
import type { SuitePersona } from '../suite/types.js';

/** A persona as it exists in the instance: what the workers mint with. Plain data (crosses into vitest workers). */
export interface ResolvedPersona {
  name: string;
  email: string;
  userId: string;
  organizationId?: string;
  organizationSlug?: string;
  role?: string;
  permissions: string[];
}

export interface PersonaSetupInput {
  apiUrl: string;
  secretKey: string;
  personas: SuitePersona[];
}

type Clerk = ReturnType<typeof createClerkClient>;

export async function setUpPersonas(input: PersonaSetupInput): Promise<ResolvedPersona[]> {
  if (input.personas.length === 0) return [];
  const emulator = (await detectMode(input.apiUrl, input.secretKey)).mode !== 'clerk';
  const clerk = createClerkClient({ secretKey: input.secretKey, apiUrl: input.apiUrl, telemetry: { disabled: true } });
  const ctx = (action: string): CallContext => ({ apiUrl: input.apiUrl, action, emulator });
  const call = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await callClerk(ctx(action), fn);
    } catch (err) {
      throw err instanceof ClerkCallError ? clerkCallToHarnessError(err, ctx(action)) : err;
    }
  };
  /** A call whose 404 the caller reads (found or not); any other failure is the user's error. */
  const raw = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await callClerk(ctx(action), fn);
    } catch (err) {
      throw err instanceof ClerkCallError && err.status !== 404 ? clerkCallToHarnessError(err, ctx(action)) : err;
    }
  };
  /**
   * Create what a lookup did not find; when the instance says it exists after all (another run set
   * up the same persona at the same moment: 422 identifier taken, 400 already a member), look again.
   */
  const create: Create = async (action, fn, findAgain) => {
    try {
      return await callClerk(ctx(action), fn);
    } catch (err) {
      if (err instanceof ClerkCallError && (err.status === 422 || err.status === 400)) {
        const found = await findAgain();
        if (found !== undefined) return found;
      }
      throw err instanceof ClerkCallError ? clerkCallToHarnessError(err, ctx(action)) : err;
    }
  };
  const users = new Map<string, string>();
  for (const p of input.personas) users.set(p.name, await ensureUser(clerk, call, create, p));
  await ensureRoles(clerk, call, create, input.personas);
  const orgs = new Map<string, string>();
  const out: ResolvedPersona[] = [];
  for (const p of input.personas) {
    const userId = users.get(p.name)!;
    let organizationId: string | undefined;
    if (p.organization) {
      organizationId = orgs.get(p.organization) ?? (await ensureOrganization(clerk, create, raw, p.organization, userId));
      orgs.set(p.organization, organizationId);
      await ensureMembership(clerk, call, create, organizationId, userId, p.role ?? 'org:member', p.name);
    }
    out.push({ name: p.name, email: p.email, userId, organizationId, organizationSlug: p.organization, role: p.role, permissions: [...p.permissions] });
  }
  return out;
}

type Call = <T>(action: string, fn: () => Promise<T>) => Promise<T>;
type Create = <T>(action: string, fn: () => Promise<T>, findAgain: () => Promise<T | undefined>) => Promise<T>;

async function ensureUser(clerk: Clerk, call: Call, create: Create, p: SuitePersona): Promise<string> {
  const lookUp = async () => (await call(`look up persona ${p.name} (${p.email})`, () => clerk.users.getUserList({ emailAddress: [p.email], limit: 1 }))).data[0];
  const found = await lookUp();
  if (!found) {
    const created = await create(
      `create persona ${p.name} (${p.email})`,
      () => clerk.users.createUser({ emailAddress: [p.email], skipPasswordRequirement: true, skipPasswordChecks: true, ...(p.publicMetadata ? { publicMetadata: p.publicMetadata } : {}) }),
      lookUp,
    );
    return created.id;
  }
  if (p.publicMetadata && JSON.stringify(found.publicMetadata ?? {}) !== JSON.stringify({ ...(found.publicMetadata ?? {}), ...p.publicMetadata })) {
    await call(`set persona ${p.name}'s public_metadata`, () => clerk.users.updateUserMetadata(found.id, { publicMetadata: p.publicMetadata }));
  }
  return found.id;
}

const SYSTEM_ROLES = new Set(['org:admin', 'org:member']);

/** Every permission a persona lists exists and its role grants it; custom roles exist. */
async function ensureRoles(clerk: Clerk, call: Call, create: Create, personas: SuitePersona[]): Promise<void> {
  const wanted = new Map<string, Set<string>>();
  for (const p of personas) {
    if (!p.role) continue;
    const set = wanted.get(p.role) ?? new Set<string>();
    p.permissions.forEach((x) => set.add(x));
    wanted.set(p.role, set);
  }
  if (![...wanted].some(([role, perms]) => perms.size > 0 || !SYSTEM_ROLES.has(role))) return;
  const permissionIds = new Map<string, string>();
  const allPermissions = (await call('list organization permissions', () => clerk.organizationPermissions.getOrganizationPermissionList({ limit: 500 }))).data;
  for (const perm of allPermissions) permissionIds.set(perm.key, perm.id);
  for (const key of new Set([...wanted.values()].flatMap((s) => [...s]))) {
    if (permissionIds.has(key)) continue;
    const created = await create(
      `create permission ${key}`,
      () => clerk.organizationPermissions.createOrganizationPermission({ name: key, key, description: 'created by clerk-harness for a suite persona' }),
      async () => (await call('list organization permissions', () => clerk.organizationPermissions.getOrganizationPermissionList({ limit: 500 }))).data.find((x) => x.key === key),
    );
    permissionIds.set(key, created.id);
  }
  const roles = (await call('list organization roles', () => clerk.organizationRoles.getOrganizationRoleList({ limit: 500 }))).data;
  for (const [key, perms] of wanted) {
    const role = roles.find((r) => r.key === key);
    if (!role) {
      await create(
        `create role ${key}`,
        () => clerk.organizationRoles.createOrganizationRole({ name: key.replace(/^org:/, ''), key, description: 'created by clerk-harness for a suite persona', permissions: [...perms].map((k) => permissionIds.get(k)!) }),
        async () => (await call('list organization roles', () => clerk.organizationRoles.getOrganizationRoleList({ limit: 500 }))).data.find((r) => r.key === key),
      );
      continue;
    }
    const has = new Set((role.permissions ?? []).map((x) => x.key));
    for (const k of perms) {
      if (has.has(k)) continue;
      await call(`give role ${key} permission ${k}`, () => clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: role.id, permissionId: permissionIds.get(k)! }));
    }
  }
}

async function ensureOrganization(clerk: Clerk, create: Create, raw: Call, slug: string, createdBy: string): Promise<string> {
  const lookUp = async () => {
    try {
      return (await raw(`get organization ${slug}`, () => clerk.organizations.getOrganization({ slug }))).id;
    } catch (err) {
      if (!(err instanceof ClerkCallError) || err.status !== 404) throw err;
      return undefined;
    }
  };
  return (await lookUp()) ?? (await create(`create organization ${slug}`, async () => (await clerk.organizations.createOrganization({ name: slug, slug, createdBy })).id, lookUp));
}

async function ensureMembership(clerk: Clerk, call: Call, create: Create, organizationId: string, userId: string, role: string, persona: string): Promise<void> {
  const lookUp = async () => (await call(`list the memberships of ${organizationId}`, () => clerk.organizations.getOrganizationMembershipList({ organizationId, limit: 500 }))).data.find((m) => m.publicUserData?.userId === userId);
  let mine = await lookUp();
  if (!mine) {
    const made = await create(`make persona ${persona} a ${role} of ${organizationId}`, () => clerk.organizations.createOrganizationMembership({ organizationId, userId, role }), lookUp);
    if (made.role !== role) mine = made; // another run made it, with another role
  }
  if (mine && mine.role !== role) {
    await call(`set persona ${persona}'s role in ${organizationId} to ${role}`, () => clerk.organizations.updateOrganizationMembership({ organizationId, userId, role }));
  }
}
