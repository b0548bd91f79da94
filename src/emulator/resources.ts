/**
 * Builders for Clerk's wire objects (snake_case JSON, `object` discriminator, ms timestamps), with
 * every field @clerk/backend's `fromJSON` reads and every array it `.map()`s present.
 */
import { newId } from './ids.js';

export type Json = Record<string, unknown>;

export interface NewUserInput {
  email_address?: string[];
  phone_number?: string[];
  username?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  external_id?: string | null;
  password_enabled?: boolean;
  public_metadata?: Json;
  private_metadata?: Json;
  unsafe_metadata?: Json;
}

/** Identifications created through BAPI are verified by an admin, as Clerk does it. */
function adminVerification(): Json {
  return { object: 'verification_admin', status: 'verified', strategy: 'admin', attempts: null, expire_at: null };
}

export function emailAddressJson(address: string, nowMs: number): Json {
  return {
    id: newId('idn'),
    object: 'email_address',
    email_address: address,
    reserved: false,
    verification: adminVerification(),
    linked_to: [],
    matches_sso_connection: false,
    created_at: nowMs,
    updated_at: nowMs,
  };
}

export function phoneNumberJson(phone: string, nowMs: number): Json {
  return {
    id: newId('idn'),
    object: 'phone_number',
    phone_number: phone,
    reserved_for_second_factor: false,
    default_second_factor: false,
    reserved: false,
    verification: adminVerification(),
    linked_to: [],
    backup_codes: null,
    created_at: nowMs,
    updated_at: nowMs,
  };
}

export function userJson(input: NewUserInput, nowMs: number): Json {
  const emails = (input.email_address ?? []).map((e) => emailAddressJson(e, nowMs));
  const phones = (input.phone_number ?? []).map((p) => phoneNumberJson(p, nowMs));
  return {
    id: newId('user'),
    object: 'user',
    username: input.username ?? null,
    first_name: input.first_name ?? null,
    last_name: input.last_name ?? null,
    image_url: 'https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9',
    has_image: false,
    primary_email_address_id: (emails[0]?.id as string | undefined) ?? null,
    primary_phone_number_id: (phones[0]?.id as string | undefined) ?? null,
    primary_web3_wallet_id: null,
    password_enabled: input.password_enabled ?? false,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    email_addresses: emails,
    phone_numbers: phones,
    web3_wallets: [],
    passkeys: [],
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    public_metadata: input.public_metadata ?? {},
    private_metadata: input.private_metadata ?? {},
    unsafe_metadata: input.unsafe_metadata ?? {},
    external_id: input.external_id ?? null,
    last_sign_in_at: null,
    banned: false,
    locked: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: 100,
    created_at: nowMs,
    updated_at: nowMs,
    delete_self_enabled: true,
    create_organization_enabled: true,
    create_organizations_limit: null,
    last_active_at: null,
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    legal_accepted_at: null,
    locale: null,
    deprovisioned: false,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function sessionJson(userId: string, nowMs: number, activeOrganizationId: string | null = null): Json {
  return {
    object: 'session',
    id: newId('sess'),
    user_id: userId,
    client_id: newId('client'),
    actor: null,
    status: 'active',
    last_active_organization_id: activeOrganizationId,
    last_active_at: nowMs,
    latest_activity: null,
    expire_at: nowMs + 7 * DAY_MS,
    abandon_at: nowMs + 30 * DAY_MS,
    created_at: nowMs,
    updated_at: nowMs,
    tasks: null,
  };
}

export interface TemplateFields {
  name: string;
  claims: Json;
  lifetime: number;
  allowed_clock_skew: number;
}

export function templateJson(fields: TemplateFields, nowMs: number, id = newId('jtmp')): Json {
  return {
    object: 'jwt_template',
    id,
    name: fields.name,
    claims: fields.claims,
    lifetime: fields.lifetime,
    allowed_clock_skew: fields.allowed_clock_skew,
    custom_signing_key: false,
    signing_algorithm: 'RS256',
    created_at: nowMs,
    updated_at: nowMs,
  };
}

export function deletedJson(object: string, id: string): Json {
  return { object, id, deleted: true };
}

/** What `{{user.*}}` shortcodes see: Clerk's documented user shortcodes, computed from the wire user. */
export function userShortcodes(user: Json): Json {
  const emails = user.email_addresses as Json[];
  const phones = user.phone_numbers as Json[];
  const email = emails.find((e) => e.id === user.primary_email_address_id);
  const phone = phones.find((p) => p.id === user.primary_phone_number_id);
  const verified = (x?: Json) => (x ? (x.verification as Json | null)?.status === 'verified' : false);
  const full = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return {
    ...user,
    full_name: full || null,
    primary_email_address: email?.email_address ?? null,
    primary_phone_number: phone?.phone_number ?? null,
    email_verified: verified(email),
    phone_number_verified: verified(phone),
    created_at: Math.floor((user.created_at as number) / 1000),
    updated_at: Math.floor((user.updated_at as number) / 1000),
  };
}
