/**
 * In-memory organizations, memberships, roles and permissions of the emulated instance, with
 * BAPI's validation (404/422). Clerk's two default roles exist from the start: `org:admin` (every
 * system permission) and `org:member` (`org:sys_memberships:read`); custom permissions and roles
 * are created through /v1/organization_permissions and /v1/organization_roles, as on Clerk.
 * Error codes not confirmed against Clerk are marked (unverified).
 */
import { ApiFailure, notFound, unprocessable } from './api-errors.js';
import { derivedId, newId } from './ids.js';
import {
  membershipJson,
  organizationJson,
  permissionJson,
  roleJson,
  type MembershipRecord,
  type OrganizationRecord,
  type PermissionRecord,
  type RoleRecord,
} from './org-resources.js';
import { deletedJson, type Json } from './resources.js';
import type { ActiveOrganization } from './org-claims.js';

export const ADMIN_ROLE = 'org:admin';
export const MEMBER_ROLE = 'org:member';

const SYSTEM_PERMISSIONS: Array<[key: string, name: string, description: string]> = [
  ['org:sys_profile:manage', 'Manage organization', 'Permission to manage an organization.'],
  ['org:sys_profile:delete', 'Delete organization', 'Permission to delete an organization.'],
  ['org:sys_memberships:read', 'Read members', 'Permission to read the members of an organization.'],
  ['org:sys_memberships:manage', 'Manage members', 'Permission to manage the members of an organization.'],
  ['org:sys_domains:read', 'Read domains', 'Permission to read the domains of an organization.'],
  ['org:sys_domains:manage', 'Manage domains', 'Permission to manage the domains of an organization.'],
  ['org:sys_billing:read', 'Read billing', 'Permission to read the billing information of an organization.'],
  ['org:sys_billing:manage', 'Manage billing', 'Permission to manage the billing of an organization.'],
];

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ROLE_KEY = /^org:[a-z0-9_]+$/;
const PERMISSION_KEY = /^org:[a-z0-9_]+:[a-z0-9_]+$/;

export interface UserLookup {
  getUser(id: string): Json;
}

export interface OrganizationFilters {
  query?: string;
  user_id?: string[];
  organization_id?: string[];
  /** `name`, `created_at` or `members_count`, `+`/`-` prefixed; default `-created_at`. */
  order_by?: string;
}

function isObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function requiredString(body: Json, param: string): string {
  const v = body[param];
  if (typeof v !== 'string' || v.trim() === '') throw unprocessable('form_param_missing', param, `${param} must be included.`);
  return v;
}

function optionalMetadata(body: Json, param: string): Json | undefined {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw unprocessable('form_param_format_invalid', param, `${param} must be a JSON object.`);
  return v;
}

/** Deep merge as BAPI's PATCH …/metadata does it: nested objects merge, `null` removes a key. */
export function mergeMetadata(current: Json, patch: Json): Json {
  const out: Json = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergeMetadata(out[k] as Json, v);
    else out[k] = v;
  }
  return out;
}

/** `+id` / `-id` / `id` list filters of BAPI (include unless excluded). */
function signedFilter(values: string[] | undefined, id: string): boolean {
  if (!values || values.length === 0) return true;
  const include = values.filter((v) => !v.startsWith('-')).map((v) => v.replace(/^\+/, ''));
  const exclude = values.filter((v) => v.startsWith('-')).map((v) => v.slice(1));
  if (exclude.includes(id)) return false;
  return include.length === 0 || include.includes(id);
}

function slugify(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return s || 'organization';
}

export class OrganizationStore {
  private readonly organizations = new Map<string, OrganizationRecord>();
  /** organization id -> user id -> membership */
  private readonly memberships = new Map<string, Map<string, MembershipRecord>>();
  private readonly roles = new Map<string, RoleRecord>();
  private readonly permissions = new Map<string, PermissionRecord>();

  constructor(private readonly users: UserLookup, nowMs = Date.now()) {
    for (const [key, name, description] of SYSTEM_PERMISSIONS) {
      // Stable ids for the built-ins, so restarts and tests see the same ones.
      const p: PermissionRecord = { id: derivedId('perm', key), key, name, description, type: 'system', created_at: nowMs, updated_at: nowMs };
      this.permissions.set(p.id, p);
    }
    const sys = [...this.permissions.values()];
    this.addRole({ key: ADMIN_ROLE, name: 'Admin', description: 'Role with elevated permissions.', permission_ids: sys.map((p) => p.id) }, nowMs);
    this.addRole(
      { key: MEMBER_ROLE, name: 'Member', description: 'Role with non-elevated permissions.', permission_ids: sys.filter((p) => p.key === 'org:sys_memberships:read').map((p) => p.id) },
      nowMs,
    );
  }

  private addRole(fields: Pick<RoleRecord, 'key' | 'name' | 'description' | 'permission_ids'>, nowMs: number): RoleRecord {
    const role: RoleRecord = { id: newId('role'), is_creator_eligible: true, created_at: nowMs, updated_at: nowMs, ...fields };
    this.roles.set(role.id, role);
    return role;
  }

  // ---- organizations -----------------------------------------------------------------------
  private org(idOrSlug: string): OrganizationRecord {
    const byId = this.organizations.get(idOrSlug);
    if (byId) return byId;
    for (const o of this.organizations.values()) if (o.slug === idOrSlug) return o;
    throw notFound('organization', idOrSlug);
  }

  private orgJson(org: OrganizationRecord, withCount = false): Json {
    return organizationJson(org, withCount ? { members_count: this.membersOf(org.id).size } : {});
  }

  private membersOf(orgId: string): Map<string, MembershipRecord> {
    let m = this.memberships.get(orgId);
    if (!m) this.memberships.set(orgId, (m = new Map()));
    return m;
  }

  private checkSlug(slug: string, selfId?: string): void {
    if (!SLUG.test(slug)) {
      throw unprocessable('form_param_format_invalid', 'slug', 'slug can contain only lowercase alphanumeric characters and the dash "-".');
    }
    for (const o of this.organizations.values()) {
      if (o.slug === slug && o.id !== selfId) throw unprocessable('form_identifier_exists', 'slug', 'That slug is taken. Please try another.');
    }
  }

  private checkMaxMemberships(body: Json): number | undefined {
    const v = body.max_allowed_memberships;
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw unprocessable('form_param_value_invalid', 'max_allowed_memberships', 'max_allowed_memberships must be a whole number of 0 or more.');
    }
    return v;
  }

  createOrganization(body: Json, nowMs: number): Json {
    const name = requiredString(body, 'name');
    if (name.length > 256) throw unprocessable('form_param_value_invalid', 'name', 'name must be at most 256 characters.');
    let slug: string;
    if (typeof body.slug === 'string' && body.slug !== '') {
      slug = body.slug;
      this.checkSlug(slug);
    } else {
      // Clerk derives a slug from the name; a taken one gets a random suffix (suffix shape unverified).
      slug = slugify(name);
      while ([...this.organizations.values()].some((o) => o.slug === slug)) slug = `${slugify(name)}-${newId('x').slice(2, 10).toLowerCase()}`;
    }
    const createdBy = typeof body.created_by === 'string' && body.created_by !== '' ? body.created_by : null;
    if (createdBy) this.users.getUser(createdBy);
    const org: OrganizationRecord = {
      id: newId('org'),
      name,
      slug,
      created_by: createdBy,
      max_allowed_memberships: this.checkMaxMemberships(body) ?? 0,
      admin_delete_enabled: true,
      public_metadata: optionalMetadata(body, 'public_metadata') ?? {},
      private_metadata: optionalMetadata(body, 'private_metadata') ?? {},
      created_at: nowMs,
      updated_at: nowMs,
    };
    this.organizations.set(org.id, org);
    // The creator becomes the organization's first admin.
    if (createdBy) this.addMember(org, createdBy, ADMIN_ROLE, {}, {}, nowMs);
    return this.orgJson(org);
  }

  getOrganization(idOrSlug: string, withCount = false): Json {
    return this.orgJson(this.org(idOrSlug), withCount);
  }

  /** Newest first unless `order_by` says otherwise, as BAPI lists them. */
  listOrganizations(filters: OrganizationFilters, withCount = false): Json[] {
    const q = filters.query?.toLowerCase();
    const spec = filters.order_by ?? '-created_at';
    const field = spec.replace(/^[-+]/, '');
    if (!['name', 'created_at', 'members_count'].includes(field)) {
      throw unprocessable('form_param_value_invalid', 'order_by', 'order_by must be name, created_at or members_count, optionally prefixed with + or -.');
    }
    const sign = spec.startsWith('-') ? -1 : 1;
    const value = (o: OrganizationRecord): string | number => (field === 'name' ? o.name : field === 'members_count' ? this.membersOf(o.id).size : o.created_at);
    // Insertion order breaks ties (organizations made within one ms), so "newest first" stays true.
    const indexed = [...this.organizations.values()].map((o, i) => ({ o, i }));
    indexed.sort((a, b) => {
      const av = value(a.o);
      const bv = value(b.o);
      return sign * (av === bv ? a.i - b.i : av < bv ? -1 : 1);
    });
    return indexed
      .map((x) => x.o)
      .filter((o) => !q || o.id === filters.query || o.name.toLowerCase().includes(q) || o.slug.includes(q))
      .filter((o) => signedFilter(filters.organization_id, o.id))
      .filter((o) => {
        if (!filters.user_id || filters.user_id.length === 0) return true;
        const members = this.membersOf(o.id);
        const include = filters.user_id.filter((u) => !u.startsWith('-')).map((u) => u.replace(/^\+/, ''));
        const exclude = filters.user_id.filter((u) => u.startsWith('-')).map((u) => u.slice(1));
        if (exclude.some((u) => members.has(u))) return false;
        return include.length === 0 || include.some((u) => members.has(u));
      })
      .map((o) => this.orgJson(o, withCount));
  }

  updateOrganization(id: string, body: Json, nowMs: number): Json {
    const org = this.org(id);
    for (const k of ['public_metadata', 'private_metadata']) {
      // API version 2026-05-12: metadata moved to PATCH/PUT …/metadata (SPEC UpdateOrganization).
      if (k in body) throw unprocessable('form_param_unknown', k, `${k} is not accepted here; use /v1/organizations/${org.id}/metadata.`);
    }
    if (body.name !== undefined && body.name !== null) org.name = requiredString(body, 'name');
    if (typeof body.slug === 'string') {
      this.checkSlug(body.slug, org.id);
      org.slug = body.slug;
    }
    const max = this.checkMaxMemberships(body);
    if (max !== undefined) org.max_allowed_memberships = max;
    if (typeof body.admin_delete_enabled === 'boolean') org.admin_delete_enabled = body.admin_delete_enabled;
    org.updated_at = nowMs;
    return this.orgJson(org);
  }

  /** PATCH merges, PUT replaces each metadata field it is given. */
  updateOrganizationMetadata(id: string, body: Json, mode: 'merge' | 'replace', nowMs: number): Json {
    const org = this.org(id);
    for (const k of ['public_metadata', 'private_metadata'] as const) {
      const v = body[k];
      if (v === undefined) continue;
      if (v !== null && !isObject(v)) throw unprocessable('form_param_format_invalid', k, `${k} must be a JSON object.`);
      org[k] = mode === 'merge' ? mergeMetadata(org[k], (v ?? {}) as Json) : ((v ?? {}) as Json);
    }
    org.updated_at = nowMs;
    return this.orgJson(org);
  }

  /** Deletes the organization with its memberships; returns its id so sessions can drop it. */
  deleteOrganization(id: string): Json {
    const org = this.org(id);
    this.organizations.delete(org.id);
    this.memberships.delete(org.id);
    return deletedJson('organization', org.id);
  }

  // ---- memberships -------------------------------------------------------------------------
  private roleByKey(key: string): RoleRecord | undefined {
    for (const r of this.roles.values()) if (r.key === key) return r;
    return undefined;
  }

  private permissionKeys(role: RoleRecord | undefined): string[] {
    if (!role) return [];
    return role.permission_ids.map((id) => this.permissions.get(id)?.key).filter((k): k is string => !!k);
  }

  private membershipJson(m: MembershipRecord): Json {
    const role = this.roleByKey(m.role);
    return membershipJson({
      membership: m,
      organization: this.orgJson(this.organizations.get(m.organization_id)!),
      user: this.users.getUser(m.user_id),
      roleName: role?.name ?? m.role,
      permissions: this.permissionKeys(role),
    });
  }

  private checkRole(body: Json): string {
    const key = requiredString(body, 'role');
    // Unknown role: Clerk refuses it; the exact code is (unverified).
    if (!this.roleByKey(key)) throw unprocessable('form_param_value_invalid', 'role', `${key} is not a role of this instance.`);
    return key;
  }

  private addMember(org: OrganizationRecord, userId: string, role: string, pub: Json, priv: Json, nowMs: number): MembershipRecord {
    const members = this.membersOf(org.id);
    if (members.has(userId)) {
      throw new ApiFailure(400, { code: 'already_a_member_in_organization', message: 'already a member', long_message: `User ${userId} is already a member of organization ${org.id}.`, meta: {} });
    }
    if (org.max_allowed_memberships > 0 && members.size >= org.max_allowed_memberships) {
      throw new ApiFailure(403, {
        code: 'organization_membership_quota_exceeded', // (unverified)
        message: 'membership quota exceeded',
        long_message: `Organization ${org.id} allows at most ${org.max_allowed_memberships} memberships.`,
        meta: {},
      });
    }
    const m: MembershipRecord = { id: newId('orgmem'), organization_id: org.id, user_id: userId, role, public_metadata: pub, private_metadata: priv, created_at: nowMs, updated_at: nowMs };
    members.set(userId, m);
    return m;
  }

  createMembership(orgId: string, body: Json, nowMs: number): Json {
    const org = this.org(orgId);
    const userId = requiredString(body, 'user_id');
    const role = this.checkRole(body);
    this.users.getUser(userId);
    const m = this.addMember(org, userId, role, optionalMetadata(body, 'public_metadata') ?? {}, optionalMetadata(body, 'private_metadata') ?? {}, nowMs);
    return this.membershipJson(m);
  }

  private membership(orgId: string, userId: string): MembershipRecord {
    const org = this.org(orgId);
    const m = this.membersOf(org.id).get(userId);
    if (!m) throw notFound('organization membership', `${org.id}/${userId}`);
    return m;
  }

  /** Newest first; `user_id` (with +/-), `role` and `query` filters as BAPI takes them. */
  listMemberships(orgId: string, filters: { user_id?: string[]; role?: string[]; query?: string }): Json[] {
    const org = this.org(orgId);
    const q = filters.query?.toLowerCase();
    return [...this.membersOf(org.id).values()]
      .filter((m) => signedFilter(filters.user_id, m.user_id))
      .filter((m) => !filters.role || filters.role.length === 0 || filters.role.includes(m.role))
      .map((m) => this.membershipJson(m))
      .filter((j) => {
        if (!q) return true;
        const u = j.public_user_data as Json;
        return [u.user_id, u.identifier, u.username, u.first_name, u.last_name].filter(Boolean).join(' ').toLowerCase().includes(q);
      })
      .reverse();
  }

  userMemberships(userId: string): Json[] {
    this.users.getUser(userId);
    const out: MembershipRecord[] = [];
    for (const members of this.memberships.values()) {
      const m = members.get(userId);
      if (m) out.push(m);
    }
    return out.sort((a, b) => b.created_at - a.created_at).map((m) => this.membershipJson(m));
  }

  updateMembership(orgId: string, userId: string, body: Json, nowMs: number): Json {
    const m = this.membership(orgId, userId);
    m.role = this.checkRole(body);
    m.updated_at = nowMs;
    return this.membershipJson(m);
  }

  updateMembershipMetadata(orgId: string, userId: string, body: Json, nowMs: number): Json {
    const m = this.membership(orgId, userId);
    for (const k of ['public_metadata', 'private_metadata'] as const) {
      const v = optionalMetadata(body, k);
      if (v) m[k] = mergeMetadata(m[k], v);
    }
    m.updated_at = nowMs;
    return this.membershipJson(m);
  }

  /** BAPI answers the removed membership itself (SPEC DeleteOrganizationMembership). */
  deleteMembership(orgId: string, userId: string): Json {
    const m = this.membership(orgId, userId);
    const json = this.membershipJson(m);
    this.membersOf(m.organization_id).delete(userId);
    return json;
  }

  /** Forget a deleted user's memberships. */
  dropUser(userId: string): void {
    for (const members of this.memberships.values()) members.delete(userId);
  }

  hasOrganization(id: string): boolean {
    return this.organizations.has(id);
  }

  isMember(orgId: string, userId: string): boolean {
    return this.memberships.get(orgId)?.has(userId) ?? false;
  }

  /** What a session token says about `userId` in `orgId` now, or undefined (no org, no membership). */
  activeOrganization(orgId: string, userId: string): (ActiveOrganization & { organization: Json; membership: MembershipRecord }) | undefined {
    const org = this.organizations.get(orgId);
    const m = org && this.memberships.get(orgId)?.get(userId);
    if (!org || !m) return undefined;
    return { id: org.id, slug: org.slug, role: m.role, permissions: this.permissionKeys(this.roleByKey(m.role)), organization: this.orgJson(org), membership: m };
  }

  // ---- permissions -------------------------------------------------------------------------
  private permission(id: string): PermissionRecord {
    const p = this.permissions.get(id);
    if (!p) throw notFound('permission', id);
    return p;
  }

  private checkPermissionKey(key: string, selfId?: string): void {
    if (!PERMISSION_KEY.test(key)) {
      throw unprocessable('form_param_format_invalid', 'key', 'key must have the format "org:feature:action" (lowercase letters, digits, underscores).');
    }
    if (key.startsWith('org:sys_')) throw unprocessable('form_param_value_invalid', 'key', 'The "org:sys_" prefix is reserved for system permissions.');
    for (const p of this.permissions.values()) {
      if (p.key === key && p.id !== selfId) throw unprocessable('form_identifier_exists', 'key', `A permission with key ${key} already exists.`);
    }
  }

  createPermission(body: Json, nowMs: number): Json {
    const name = requiredString(body, 'name');
    const key = requiredString(body, 'key');
    this.checkPermissionKey(key);
    const p: PermissionRecord = { id: newId('perm'), key, name, description: typeof body.description === 'string' ? body.description : '', type: 'user', created_at: nowMs, updated_at: nowMs };
    this.permissions.set(p.id, p);
    return permissionJson(p);
  }

  getPermission(id: string): Json {
    return permissionJson(this.permission(id));
  }

  listPermissions(query?: string): Json[] {
    const q = query?.toLowerCase();
    return [...this.permissions.values()]
      .filter((p) => !q || p.id === query || p.key.includes(q) || p.name.toLowerCase().includes(q))
      .reverse()
      .map(permissionJson);
  }

  private systemPermissionRefused(p: PermissionRecord): ApiFailure {
    return new ApiFailure(403, { code: 'operation_not_allowed', message: 'not allowed', long_message: `System permission ${p.key} cannot be changed.`, meta: {} }); // code (unverified)
  }

  updatePermission(id: string, body: Json, nowMs: number): Json {
    const p = this.permission(id);
    if (p.type === 'system') throw this.systemPermissionRefused(p);
    if (typeof body.key === 'string') {
      this.checkPermissionKey(body.key, p.id);
      p.key = body.key;
    }
    if (typeof body.name === 'string' && body.name.trim() !== '') p.name = body.name;
    if (typeof body.description === 'string') p.description = body.description;
    p.updated_at = nowMs;
    return permissionJson(p);
  }

  deletePermission(id: string): Json {
    const p = this.permission(id);
    if (p.type === 'system') throw this.systemPermissionRefused(p);
    this.permissions.delete(id);
    for (const r of this.roles.values()) r.permission_ids = r.permission_ids.filter((x) => x !== id);
    return deletedJson('permission', id);
  }

  // ---- roles -------------------------------------------------------------------------------
  private role(id: string): RoleRecord {
    const r = this.roles.get(id);
    if (!r) throw notFound('role', id);
    return r;
  }

  private roleJson(r: RoleRecord): Json {
    return roleJson(r, r.permission_ids.map((id) => this.permissions.get(id)).filter((p): p is PermissionRecord => !!p));
  }

  private checkRoleKey(key: string, selfId?: string): void {
    if (!ROLE_KEY.test(key)) {
      throw unprocessable('form_param_format_invalid', 'key', "key must start with 'org:' followed by lowercase alphanumeric characters and underscores.");
    }
    for (const r of this.roles.values()) {
      if (r.key === key && r.id !== selfId) throw unprocessable('form_identifier_exists', 'key', `A role with key ${key} already exists.`);
    }
  }

  private permissionIds(body: Json): string[] | undefined {
    const v = body.permissions;
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw unprocessable('form_param_format_invalid', 'permissions', 'permissions must be an array of permission IDs.');
    for (const id of v as string[]) this.permission(id);
    return [...new Set(v as string[])];
  }

  createRole(body: Json, nowMs: number): Json {
    const name = requiredString(body, 'name');
    const key = requiredString(body, 'key');
    this.checkRoleKey(key);
    const description = typeof body.description === 'string' ? body.description : null;
    const role = this.addRole({ key, name, description, permission_ids: this.permissionIds(body) ?? [] }, nowMs);
    return this.roleJson(role);
  }

  getRole(id: string): Json {
    return this.roleJson(this.role(id));
  }

  listRoles(query?: string): Json[] {
    const q = query?.toLowerCase();
    return [...this.roles.values()]
      .filter((r) => !q || r.id === query || r.key.includes(q) || r.name.toLowerCase().includes(q))
      .reverse()
      .map((r) => this.roleJson(r));
  }

  private rolesInUse(key: string): boolean {
    for (const members of this.memberships.values()) for (const m of members.values()) if (m.role === key) return true;
    return false;
  }

  updateRole(id: string, body: Json, nowMs: number): Json {
    const r = this.role(id);
    if (typeof body.key === 'string' && body.key !== r.key) {
      this.checkRoleKey(body.key, r.id);
      // Members keep their role under its new key.
      for (const members of this.memberships.values()) for (const m of members.values()) if (m.role === r.key) m.role = body.key;
      r.key = body.key;
    }
    if (typeof body.name === 'string' && body.name.trim() !== '') r.name = body.name;
    if (body.description !== undefined) r.description = typeof body.description === 'string' ? body.description : null;
    const ids = this.permissionIds(body);
    if (ids) r.permission_ids = ids;
    r.updated_at = nowMs;
    return this.roleJson(r);
  }

  deleteRole(id: string): Json {
    const r = this.role(id);
    if (r.key === ADMIN_ROLE || r.key === MEMBER_ROLE || this.rolesInUse(r.key)) {
      throw unprocessable('form_param_value_invalid', 'organization_role_id', `Role ${r.key} is a default role or assigned to members and cannot be deleted.`); // code (unverified)
    }
    this.roles.delete(id);
    return deletedJson('role', id);
  }

  assignPermission(roleId: string, permissionId: string, nowMs: number): Json {
    const r = this.role(roleId);
    this.permission(permissionId);
    if (r.permission_ids.includes(permissionId)) {
      throw new ApiFailure(409, { code: 'conflict', message: 'conflict', long_message: `Role ${r.key} already has permission ${permissionId}.`, meta: {} }); // code (unverified)
    }
    r.permission_ids.push(permissionId);
    r.updated_at = nowMs;
    return this.roleJson(r);
  }

  removePermission(roleId: string, permissionId: string, nowMs: number): Json {
    const r = this.role(roleId);
    this.permission(permissionId);
    if (!r.permission_ids.includes(permissionId)) throw notFound('role permission', permissionId);
    r.permission_ids = r.permission_ids.filter((x) => x !== permissionId);
    r.updated_at = nowMs;
    return this.roleJson(r);
  }
}
