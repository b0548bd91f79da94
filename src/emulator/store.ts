/**
 * In-memory state of the emulated instance: users, sessions and JWT templates, kept directly in
 * Clerk's wire shape, plus the organizations (org-store.ts). Operations validate input the way
 * BAPI does and throw ApiFailure (404/422).
 */
import { notFound, unprocessable, ApiFailure } from './api-errors.js';
import { mergeMetadata, OrganizationStore } from './org-store.js';
import { deletedJson, sessionJson, templateJson, userJson, type Json, type TemplateFields } from './resources.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const LIFETIME_RANGE = [30, 315_360_000] as const;
export const CLOCK_SKEW_RANGE = [0, 300] as const;

export interface UserFilters {
  email_address?: string[];
  user_id?: string[];
  username?: string[];
  external_id?: string[];
  query?: string;
}

function asList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function checkInt(body: Json, param: string, [min, max]: readonly [number, number], fallback: number): number {
  const v = body[param];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw unprocessable('form_param_value_invalid', param, `${param} must be a whole number between ${min} and ${max}.`);
  }
  return v;
}

export class EmulatorStore {
  readonly users = new Map<string, Json>();
  readonly sessions = new Map<string, Json>();
  readonly templates = new Map<string, Json>();
  readonly orgs = new OrganizationStore({ getUser: (id) => this.getUser(id) });

  // ---- users -------------------------------------------------------------------------------
  createUser(body: Json, nowMs: number): Json {
    const emails = asList(body.email_address) ?? [];
    for (const e of emails) {
      if (!EMAIL.test(e)) throw unprocessable('form_param_format_invalid', 'email_address', `${e} is not a valid email address.`);
      if (this.findUsers({ email_address: [e] }).length > 0) {
        throw unprocessable('form_identifier_exists', 'email_address', 'That email address is taken. Please try another.');
      }
    }
    const username = typeof body.username === 'string' ? body.username : null;
    if (username && this.findUsers({ username: [username] }).length > 0) {
      throw unprocessable('form_identifier_exists', 'username', 'That username is taken. Please try another.');
    }
    const user = userJson(
      {
        email_address: emails,
        phone_number: asList(body.phone_number),
        username,
        first_name: (body.first_name as string | undefined) ?? null,
        last_name: (body.last_name as string | undefined) ?? null,
        external_id: (body.external_id as string | undefined) ?? null,
        password_enabled: typeof body.password === 'string' || typeof body.password_digest === 'string',
        public_metadata: body.public_metadata as Json | undefined,
        private_metadata: body.private_metadata as Json | undefined,
        unsafe_metadata: body.unsafe_metadata as Json | undefined,
      },
      nowMs,
    );
    this.users.set(user.id as string, user);
    return user;
  }

  getUser(id: string): Json {
    const user = this.users.get(id);
    if (!user) throw notFound('user', id);
    return user;
  }

  /** Filters combine with AND; values of one filter with OR (as BAPI's repeated query keys do). */
  findUsers(filters: UserFilters): Json[] {
    const emailsOf = (u: Json) => (u.email_addresses as Json[]).map((e) => String(e.email_address).toLowerCase());
    return [...this.users.values()].filter((u) => {
      if (filters.user_id && !filters.user_id.includes(u.id as string)) return false;
      if (filters.email_address && !filters.email_address.some((e) => emailsOf(u).includes(e.toLowerCase()))) return false;
      if (filters.username && !filters.username.includes(u.username as string)) return false;
      if (filters.external_id && !filters.external_id.includes(u.external_id as string)) return false;
      if (filters.query) {
        const q = filters.query.toLowerCase();
        const hay = [u.id, u.username, u.first_name, u.last_name, u.external_id, ...emailsOf(u)].filter(Boolean).join(' ').toLowerCase();
        if (!hay.includes(q)) return false;
      }
      return true;
    });
  }

  deleteUser(id: string): Json {
    this.getUser(id);
    this.users.delete(id);
    this.orgs.dropUser(id);
    for (const [sid, s] of this.sessions) if (s.user_id === id) this.sessions.delete(sid);
    return deletedJson('user', id);
  }

  /**
   * PATCH /v1/users/{id}: profile fields. Since API version 2026-05-12 metadata is not accepted
   * here (SPEC UpdateUser); it goes through PATCH/PUT /v1/users/{id}/metadata.
   */
  updateUser(id: string, body: Json, nowMs: number): Json {
    const user = this.getUser(id);
    for (const k of ['public_metadata', 'private_metadata', 'unsafe_metadata']) {
      if (k in body) throw unprocessable('form_param_unknown', k, `${k} is not accepted here; use /v1/users/${id}/metadata.`); // code (unverified)
    }
    if (typeof body.username === 'string' && body.username !== user.username) {
      if (this.findUsers({ username: [body.username] }).length > 0) {
        throw unprocessable('form_identifier_exists', 'username', 'That username is taken. Please try another.');
      }
    }
    for (const k of ['first_name', 'last_name', 'username', 'external_id', 'locale'] as const) {
      const v = body[k];
      if (v === undefined) continue;
      if (v !== null && typeof v !== 'string') throw unprocessable('form_param_format_invalid', k, `${k} must be a string or null.`);
      user[k] = v;
    }
    for (const k of ['delete_self_enabled', 'create_organization_enabled'] as const) {
      if (typeof body[k] === 'boolean') user[k] = body[k];
    }
    user.updated_at = nowMs;
    return user;
  }

  /** PATCH merges (deep, `null` removes a key); PUT replaces each metadata field it is given. */
  updateUserMetadata(id: string, body: Json, mode: 'merge' | 'replace', nowMs: number): Json {
    const user = this.getUser(id);
    for (const k of ['public_metadata', 'private_metadata', 'unsafe_metadata'] as const) {
      const v = body[k];
      if (v === undefined) continue;
      if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw unprocessable('form_param_format_invalid', k, `${k} must be a JSON object.`);
      user[k] = mode === 'merge' ? mergeMetadata((user[k] as Json | null) ?? {}, (v ?? {}) as Json) : (v ?? {});
    }
    user.updated_at = nowMs;
    return user;
  }

  // ---- sessions ----------------------------------------------------------------------------
  createSession(body: Json, nowMs: number): Json {
    if (typeof body.user_id !== 'string' || body.user_id === '') {
      throw unprocessable('form_param_missing', 'user_id', 'user_id must be included.');
    }
    this.getUser(body.user_id);
    const orgId = body.active_organization_id;
    if (orgId !== undefined && orgId !== null && orgId !== '') {
      if (typeof orgId !== 'string') throw unprocessable('form_param_format_invalid', 'active_organization_id', 'active_organization_id must be a string.');
      if (!this.orgs.hasOrganization(orgId)) throw notFound('organization', orgId);
      if (!this.orgs.isMember(orgId, body.user_id)) {
        // Clerk refuses to activate an organization the user is not a member of; code (unverified).
        throw unprocessable('form_param_value_invalid', 'active_organization_id', `User ${body.user_id} is not a member of organization ${orgId}.`);
      }
    }
    const session = sessionJson(body.user_id, nowMs, typeof orgId === 'string' && orgId !== '' ? orgId : null);
    this.sessions.set(session.id as string, session);
    return session;
  }

  /** Delete an organization; sessions that had it active lose it (SPEC DeleteOrganization). */
  deleteOrganization(id: string, nowMs: number): Json {
    const deleted = this.orgs.deleteOrganization(id);
    for (const s of this.sessions.values()) {
      if (s.last_active_organization_id === deleted.id) {
        s.last_active_organization_id = null;
        s.updated_at = nowMs;
      }
    }
    return deleted;
  }

  getSession(id: string): Json {
    const session = this.sessions.get(id);
    if (!session) throw notFound('session', id);
    return session;
  }

  /** A session tokens can be minted for: it must exist and be active. */
  activeSession(id: string): Json {
    const session = this.getSession(id);
    if (session.status !== 'active') {
      throw new ApiFailure(404, { code: 'resource_not_found', message: 'not found', long_message: `Session ${id} is ${String(session.status)}; tokens are only issued for active sessions.`, meta: {} });
    }
    return session;
  }

  listSessions(filters: { user_id?: string; client_id?: string; status?: string }): Json[] {
    if (!filters.user_id && !filters.client_id) {
      throw unprocessable('form_param_missing', 'user_id', 'Either user_id or client_id must be included.');
    }
    return [...this.sessions.values()]
      .filter((s) => (!filters.user_id || s.user_id === filters.user_id) && (!filters.client_id || s.client_id === filters.client_id))
      .filter((s) => !filters.status || s.status === filters.status)
      .reverse(); // newest first
  }

  revokeSession(id: string, nowMs: number): Json {
    const session = this.getSession(id);
    session.status = 'revoked';
    session.updated_at = nowMs;
    return session;
  }

  // ---- JWT templates -----------------------------------------------------------------------
  private templateFields(body: Json, current?: Json): TemplateFields {
    const name = body.name ?? current?.name;
    if (typeof name !== 'string' || name.trim() === '') throw unprocessable('form_param_missing', 'name', 'name must be included.');
    const claims = body.claims ?? current?.claims;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) {
      throw unprocessable('form_param_missing', 'claims', 'claims must be included and be a JSON object.');
    }
    if (body.custom_signing_key === true) {
      throw unprocessable('form_param_value_invalid', 'custom_signing_key', 'The emulator signs every template token with its own key; custom signing keys are not supported.');
    }
    for (const t of this.templates.values()) {
      if (t.name === name && t.id !== current?.id) throw unprocessable('form_identifier_exists', 'name', `A JWT template named ${name} already exists.`);
    }
    return {
      name,
      claims: claims as Json,
      lifetime: checkInt(body, 'lifetime', LIFETIME_RANGE, (current?.lifetime as number | undefined) ?? 60),
      allowed_clock_skew: checkInt(body, 'allowed_clock_skew', CLOCK_SKEW_RANGE, (current?.allowed_clock_skew as number | undefined) ?? 5),
    };
  }

  createTemplate(body: Json, nowMs: number): Json {
    const template = templateJson(this.templateFields(body), nowMs);
    this.templates.set(template.id as string, template);
    return template;
  }

  getTemplate(id: string): Json {
    const template = this.templates.get(id);
    if (!template) throw notFound('JWT template', id);
    return template;
  }

  templateByName(name: string): Json {
    for (const t of this.templates.values()) if (t.name === name) return t;
    throw new ApiFailure(404, { code: 'resource_not_found', message: 'not found', long_message: `No JWT template exists with name: ${name}`, meta: {} });
  }

  updateTemplate(id: string, body: Json, nowMs: number): Json {
    const current = this.getTemplate(id);
    const updated = { ...templateJson(this.templateFields(body, current), current.created_at as number, id), updated_at: nowMs };
    this.templates.set(id, updated);
    return updated;
  }

  deleteTemplate(id: string): Json {
    this.getTemplate(id);
    this.templates.delete(id);
    return deletedJson('jwt_template', id);
  }

  listTemplates(): Json[] {
    return [...this.templates.values()];
  }
}
