/**
 * The authorization part of a suite (issue 11): `personas`, and each endpoint's `access` and
 * `resource`, checked for what the schema cannot say (names that must exist, a path placeholder
 * that must match its resource) and normalised. Errors name file and line, like load.ts.
 */
import path from 'node:path';
import { checkUserFile, UserFileError } from '../config/user-file.js';
import { HarnessError } from '../errors.js';
import type { AccessRule, SuiteAccess, SuitePersona, SuiteResource } from './types.js';

export interface AuthzLoadContext {
  rel: string;
  dir: string;
  lineOf(keys: Array<string | number>): number;
  maxBodyBytes: number;
}

interface RawPersona {
  email: string;
  organization?: string;
  role?: string;
  permissions?: string[];
  public_metadata?: Record<string, unknown>;
}

const SUITE_HINT = 'see suites/suite.schema.json (personas, endpoints[].access, endpoints[].resource)';

function fail(ctx: AuthzLoadContext, keys: Array<string | number>, message: string, hint = SUITE_HINT): never {
  throw new HarnessError('SUITE_INVALID', `${ctx.rel}:${ctx.lineOf(keys)}: ${message}`, { hint });
}

export function loadPersonas(raw: Record<string, RawPersona> | undefined, ctx: AuthzLoadContext): Record<string, SuitePersona> | undefined {
  if (!raw) return undefined;
  const out: Record<string, SuitePersona> = {};
  const emails = new Map<string, string>();
  for (const [name, p] of Object.entries(raw)) {
    if (['signed-in', 'owner'].includes(name)) fail(ctx, ['personas', name], `personas.${name}: "${name}" is a rule of access.allow, not a persona name`, 'rename the persona');
    if (p.role && !p.organization) {
      fail(ctx, ['personas', name, 'role'], `personas.${name}.role needs personas.${name}.organization: a role is held in an organization`, `add organization: <slug> to ${name}, or drop the role`);
    }
    if (p.permissions?.length && !p.organization) {
      fail(ctx, ['personas', name, 'permissions'], `personas.${name}.permissions needs personas.${name}.organization: permissions come with an organization role`, `add organization: <slug> and role: to ${name}`);
    }
    const email = p.email.toLowerCase();
    const twin = emails.get(email);
    if (twin) fail(ctx, ['personas', name, 'email'], `personas.${name}.email ${p.email} is already personas.${twin}'s: one user cannot be two personas`, 'give every persona its own email');
    emails.set(email, name);
    out[name] = {
      name,
      email: p.email,
      organization: p.organization,
      role: p.organization ? (p.role ?? 'org:member') : undefined,
      permissions: p.permissions ?? [],
      publicMetadata: p.public_metadata,
    };
  }
  return out;
}

interface RawAccess {
  allow: string | string[];
  refused_status?: number;
}

interface RawResource {
  create: { method: string; path: string; body?: string; content_type?: string; id: string };
  param?: string;
  owner: string;
}

function rule(text: string): AccessRule {
  if (text === 'signed-in') return { kind: 'signed-in' };
  if (text === 'owner') return { kind: 'owner' };
  if (text.startsWith('role:')) return { kind: 'role', role: text.slice(5) };
  if (text.startsWith('permission:')) return { kind: 'permission', permission: text.slice(11) };
  return { kind: 'persona', persona: text };
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** An endpoint's access and resource, checked against the suite's personas and its path. */
export function loadEndpointAuthz(
  e: { path: string; access?: RawAccess; resource?: RawResource },
  i: number,
  personas: Record<string, SuitePersona> | undefined,
  ctx: AuthzLoadContext,
): { access?: SuiteAccess; resource?: SuiteResource } {
  const at = (...keys: Array<string | number>) => ['endpoints', i, ...keys];
  const placeholders = [...e.path.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if ((e.access || e.resource) && !personas) {
    fail(ctx, at(e.access ? 'access' : 'resource'), `endpoints[${i}].${e.access ? 'access' : 'resource'} names personas, but the suite has no personas`, 'add personas: { alice: { email: alice@example.com }, ... } at the top level');
  }
  const known = () => Object.keys(personas ?? {}).join(', ') || 'none';
  let resource: SuiteResource | undefined;
  if (e.resource) {
    const r = e.resource;
    const param = r.param ?? r.create.id.split('.').at(-1)!;
    if (!personas?.[r.owner]) fail(ctx, at('resource', 'owner'), `endpoints[${i}].resource.owner "${r.owner}" is not a persona (personas: ${known()})`);
    if (!placeholders.includes(param)) {
      fail(ctx, at('path'), `endpoints[${i}].path ${e.path} has no {${param}}: the resource's id goes there`, `write the path as e.g. /jobs/{${param}}, or set resource.param to the placeholder's name`);
    }
    let bodyFile: string | undefined;
    if (r.create.body) {
      bodyFile = path.resolve(ctx.dir, r.create.body);
      try {
        checkUserFile(bodyFile, { what: `fixture ${r.create.body}`, code: 'FIXTURE_MISSING', maxBytes: ctx.maxBodyBytes });
      } catch (err) {
        if (!(err instanceof UserFileError)) throw err;
        const why = err.problem === 'missing' ? `fixture ${r.create.body} not found (looked at ${bodyFile})` : err.message;
        throw new HarnessError('FIXTURE_MISSING', `${ctx.rel}:${ctx.lineOf(at('resource', 'create', 'body'))}: endpoints[${i}].resource.create.body: ${why}`, { hint: 'body paths are relative to the suite file' });
      }
    }
    resource = {
      param,
      create: { method: r.create.method, path: r.create.path, bodyFile, contentType: r.create.content_type ?? 'application/json', id: r.create.id },
      owner: r.owner,
    };
  }
  const unresolved = placeholders.filter((p) => p !== resource?.param);
  if (unresolved.length) {
    fail(ctx, at('path'), `endpoints[${i}].path ${e.path} has {${unresolved[0]}}, which no resource fills`, `add resource: { create: { method: POST, path: /..., id: ${unresolved[0]} }, owner: <persona> } to the endpoint, or write the value into the path`);
  }
  let access: SuiteAccess | undefined;
  if (e.access) {
    const texts = Array.isArray(e.access.allow) ? e.access.allow : [e.access.allow];
    const allow = texts.map((t, j) => {
      const r = rule(t);
      const keys = Array.isArray(e.access!.allow) ? at('access', 'allow', j) : at('access', 'allow');
      if (r.kind === 'persona' && !personas?.[r.persona]) fail(ctx, keys, `endpoints[${i}].access.allow "${t}" is neither a rule (signed-in, owner, role:<org:role>, permission:<org:feature:action>) nor a persona (personas: ${known()})`);
      if (r.kind === 'owner' && !resource) fail(ctx, keys, `endpoints[${i}].access.allow owner needs endpoints[${i}].resource: whose object?`, 'add resource: { create: {...}, owner: <persona> } to the endpoint');
      return r;
    });
    access = { allow, refusedStatus: e.access.refused_status ?? 403 };
  }
  if (resource && !access) {
    fail(ctx, at('resource'), `endpoints[${i}].resource needs endpoints[${i}].access: say who may reach the object (e.g. allow: owner)`, 'add access: { allow: owner, refused_status: 404 }');
  }
  return { access, resource };
}
