/**
 * Builders for Clerk's organization wire objects (SPEC `Organization`, `OrganizationMembership`,
 * `OrganizationMembershipPublicUserData`, `Role`, `Permission`): snake_case JSON, `object`
 * discriminator, ms timestamps. Pure: records in, JSON out.
 */
import type { Json } from './resources.js';

/** An organization as the store keeps it (wire shape minus what is computed when served). */
export interface OrganizationRecord {
  id: string;
  name: string;
  slug: string;
  created_by: string | null;
  max_allowed_memberships: number;
  admin_delete_enabled: boolean;
  public_metadata: Json;
  private_metadata: Json;
  created_at: number;
  updated_at: number;
}

export interface MembershipRecord {
  id: string;
  organization_id: string;
  user_id: string;
  /** Role key, e.g. `org:admin`. */
  role: string;
  public_metadata: Json;
  private_metadata: Json;
  created_at: number;
  updated_at: number;
}

export interface PermissionRecord {
  id: string;
  key: string;
  name: string;
  description: string;
  /** `system` for Clerk's own `org:sys_*` permissions, `user` for the instance's custom ones. */
  type: 'system' | 'user';
  created_at: number;
  updated_at: number;
}

export interface RoleRecord {
  id: string;
  key: string;
  name: string;
  description: string | null;
  is_creator_eligible: boolean;
  permission_ids: string[];
  created_at: number;
  updated_at: number;
}

const DEFAULT_ORG_IMAGE = 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Im9yZyJ9';

export function organizationJson(org: OrganizationRecord, extra: { members_count?: number } = {}): Json {
  const out: Json = {
    object: 'organization',
    id: org.id,
    name: org.name,
    slug: org.slug,
    image_url: DEFAULT_ORG_IMAGE,
    has_image: false,
    max_allowed_memberships: org.max_allowed_memberships,
    admin_delete_enabled: org.admin_delete_enabled,
    public_metadata: org.public_metadata,
    private_metadata: org.private_metadata,
    created_at: org.created_at,
    updated_at: org.updated_at,
  };
  // Clerk serves created_by only when the organization was created on behalf of a user.
  if (org.created_by) out.created_by = org.created_by;
  // members_count is only included when asked for (include_members_count=true), as BAPI does.
  if (extra.members_count !== undefined) out.members_count = extra.members_count;
  return out;
}

export function permissionJson(p: PermissionRecord): Json {
  return {
    object: 'permission',
    id: p.id,
    name: p.name,
    key: p.key,
    description: p.description,
    type: p.type,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

export function roleJson(role: RoleRecord, permissions: PermissionRecord[]): Json {
  return {
    object: 'role',
    id: role.id,
    name: role.name,
    key: role.key,
    description: role.description,
    is_creator_eligible: role.is_creator_eligible,
    permissions: permissions.map(permissionJson),
    created_at: role.created_at,
    updated_at: role.updated_at,
  };
}

/** SPEC `OrganizationMembershipPublicUserData`, computed from the wire user. */
export function publicUserDataJson(user: Json): Json {
  const emails = user.email_addresses as Json[];
  const primary = emails.find((e) => e.id === user.primary_email_address_id);
  return {
    user_id: user.id,
    first_name: user.first_name ?? null,
    last_name: user.last_name ?? null,
    profile_image_url: user.image_url,
    image_url: user.image_url,
    has_image: user.has_image,
    identifier: (primary?.email_address as string | undefined) ?? (user.username as string | null) ?? null,
    username: user.username ?? null,
    banned: user.banned,
    deprovisioned: user.deprovisioned,
  };
}

export interface MembershipView {
  membership: MembershipRecord;
  organization: Json;
  user: Json;
  roleName: string;
  /** Every permission key the role grants, system ones included (BAPI lists them all). */
  permissions: string[];
}

export function membershipJson(v: MembershipView): Json {
  return {
    object: 'organization_membership',
    id: v.membership.id,
    role: v.membership.role,
    role_name: v.roleName,
    permissions: v.permissions,
    public_metadata: v.membership.public_metadata,
    private_metadata: v.membership.private_metadata,
    organization: v.organization,
    public_user_data: publicUserDataJson(v.user),
    created_at: v.membership.created_at,
    updated_at: v.membership.updated_at,
  };
}
