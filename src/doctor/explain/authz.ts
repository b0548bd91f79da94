/**
 * Why a SIGNED-IN caller was refused (403, or 404 where the API hides an object): what the answer
 * says it requires (diagnostics/authz.yaml) against what the token carries, read the way
 * @clerk/backend's auth object and has() read it (../lib/clerk-authz.ts). Pure; shared by
 * `doctor explain`, doctor's authz.refusal check and src/diagnosis (run's refusal diagnosis).
 *
 * Each finding is one thing the token lacks (no active organization, the role, a permission, a
 * feature or plan, a recent verification), or the server refusing what the token does carry (it
 * reads the claims differently from @clerk/backend: a backend bug), or a hidden object (404).
 */
import type { AuthzCatalogue, RequirementKind } from '../data.js';
import { authOfClaims, checkReverificationAuthorization, hasAuthorization, prefixWithOrg, reverificationConfig, type ClaimsAuth } from '../lib/clerk-authz.js';
import { excerptAround } from './match.js';
import { show } from './token.js';

export interface Requirement {
  /** "org:"-prefixed, as has({ role }) compares them; any one of them would do. */
  roles: string[];
  permissions: string[];
  features: string[];
  plans: string[];
  noActiveOrganization: boolean;
  otherOrganization: boolean;
  /** The `metadata.reverification` of Clerk's reverification error, or true when only the reason matched. */
  reverification?: unknown;
  /** What matched, as excerpts of the answer. */
  said: string[];
  who: string[];
}

export type AuthzOutcome =
  | 'claims-misread'
  | 'reverification'
  | 'no-active-org'
  | 'other-organization'
  | 'role'
  | 'permission'
  | 'feature'
  | 'plan'
  | 'unnamed'
  | 'hidden-existence';

/** The cause (diagnostics/causes.yaml) of each outcome; the outcome is also authz.refusal's verdict. */
export const AUTHZ_CAUSES: Record<AuthzOutcome, string> = {
  'claims-misread': 'authz-claims-misread',
  reverification: 'authz-reverification',
  'no-active-org': 'authz-no-active-org',
  'other-organization': 'authz-other-organization',
  role: 'authz-role-missing',
  permission: 'authz-permission-missing',
  feature: 'authz-feature-missing',
  plan: 'authz-plan-missing',
  unnamed: 'authz-refused-unnamed',
  'hidden-existence': 'authz-hidden-existence',
};
const ORDER = Object.keys(AUTHZ_CAUSES) as AuthzOutcome[];

export interface AuthzFinding {
  outcome: AuthzOutcome;
  cause: string;
  /** fail: the server is wrong (it refuses what the token carries); warn: the token lacks it. */
  severity: 'fail' | 'warn';
  /** One line saying it ("the token has role org:member, the route wants org:admin"). */
  line: string;
  evidence: string[];
  /** For the cause's fix: wantRole, haveRole, orgId, orgSlug, userId, permission, feature, plan. */
  vars: Record<string, string>;
}

export interface RefusalReading {
  requirement: Requirement;
  /** How @clerk/backend reads the token (when a token was given). */
  auth?: ClaimsAuth;
  /** The token's organization claims in one line (the persona's claims, as evidence). */
  tokenLine?: string;
  /** Most important first; empty when the answer is not an authorization refusal. */
  findings: AuthzFinding[];
}

const EMPTY = (): Requirement => ({ roles: [], permissions: [], features: [], plans: [], noActiveOrganization: false, otherOrganization: false, said: [], who: [] });

/** Whether the answer names anything (a role, a permission, ...). */
export function namesRequirement(r: Requirement): boolean {
  return r.roles.length + r.permissions.length + r.features.length + r.plans.length > 0 || r.noActiveOrganization || r.otherOrganization || r.reverification !== undefined;
}

function reverificationMetadata(messages: string[]): unknown {
  for (const m of messages) {
    if (!m.trimStart().startsWith('{')) continue;
    try {
      const body = JSON.parse(m) as { clerk_error?: { reason?: unknown; metadata?: { reverification?: unknown } } };
      if (body?.clerk_error?.reason === 'reverification-error') return body.clerk_error.metadata?.reverification ?? true;
    } catch {
      // not JSON
    }
  }
  return true;
}

/** What the answer says the caller needs, by the patterns of diagnostics/authz.yaml. */
export function readRequirement(catalogue: AuthzCatalogue, messages: string[]): Requirement {
  const r = EMPTY();
  const texts = messages.filter((m): m is string => typeof m === 'string').map((m) => m.slice(0, 8192));
  const add = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  for (const rule of catalogue.requirements) {
    for (const text of texts) {
      rule.pattern.lastIndex = 0;
      let hit = false;
      for (const m of text.matchAll(rule.pattern)) {
        hit = true;
        const value = m[1];
        switch (rule.says as RequirementKind) {
          case 'role':
            // "Admin role required" is prose: Clerk role keys are lower case. A key written as one stays.
            if (value) add(r.roles, prefixWithOrg(value.startsWith('org:') ? value : value.toLowerCase()));
            break;
          case 'permission':
            if (value) add(r.permissions, prefixWithOrg(value));
            break;
          case 'feature':
            if (value) add(r.features, value);
            break;
          case 'plan':
            if (value) add(r.plans, value);
            break;
          case 'no-active-organization':
            r.noActiveOrganization = true;
            break;
          case 'other-organization':
            r.otherOrganization = true;
            break;
          case 'reverification':
            r.reverification = reverificationMetadata(texts);
            break;
        }
        add(r.said, excerptAround(text, m.index ?? 0, m[0].length));
        if (m[0].length === 0) break;
      }
      if (hit) {
        if (rule.who) add(r.who, rule.who);
        break;
      }
    }
  }
  // A permission key "org:jobs:delete" is not also the role "org:jobs".
  r.roles = r.roles.filter((role) => !r.permissions.some((p) => p.startsWith(`${role}:`)));
  return r;
}

/** A 404 body meaning "no such route" (the framework's default), not "no such object for you". */
export function isRouteMissing(catalogue: AuthzCatalogue, body: string, jsonMessages: string[]): boolean {
  const text = body.trim();
  if (!text) return true;
  let json = false;
  try {
    JSON.parse(text);
    json = true;
  } catch {
    // not JSON
  }
  const hits = (t: string) => catalogue.routeMissing.some((r) => r.pattern.test(t));
  if (!json) return hits(text);
  const fields = jsonMessages.filter((m) => m !== text);
  return fields.length > 0 && fields.every(hits);
}

const q = (v: unknown) => (typeof v === 'string' ? `"${v}"` : show(v, 80));

/** The token's organization claims as @clerk/backend reads them, in one line. */
export function describeClaims(claims: Record<string, unknown>, auth: ClaimsAuth = authOfClaims(claims)): string {
  const who = `sub ${typeof claims.sub === 'string' ? claims.sub : show(claims.sub, 40)}`;
  const billing = [auth.features ? `fea ${q(auth.features)}` : '', auth.plans ? `pla ${q(auth.plans)}` : ''].filter(Boolean).join(', ');
  const tail = billing ? `; ${billing}` : '';
  if (auth.version === 2) {
    if (!auth.orgId) return `token (${who}, v2): no active organization (no "o" claim)${tail}`;
    const o = claims.o as Record<string, unknown>;
    const perms = Array.isArray(auth.orgPermissions) && auth.orgPermissions.length ? (auth.orgPermissions as string[]).join(', ') : o.per && o.fpm ? 'none granted by o.fpm' : 'none (no o.per/o.fpm)';
    return `token (${who}, v2): organization ${auth.orgId}${auth.orgSlug ? ` (${auth.orgSlug})` : ''}, role ${auth.orgRole ?? '(none: no o.rol)'}${o.rol ? ` (o.rol ${q(o.rol)})` : ''}, permissions ${perms}${tail}`;
  }
  if (!auth.orgId) return `token (${who}, v1 claims - no "v": 2): no active organization (no org_id)${tail}`;
  const perms = Array.isArray(auth.orgPermissions) ? (auth.orgPermissions.length ? auth.orgPermissions.map(String).join(', ') : 'none') : auth.orgPermissions === undefined ? 'none (no org_permissions)' : `org_permissions ${show(auth.orgPermissions, 60)} (not a list: has({ permission }) is false)`;
  return `token (${who}, v1 claims - no "v": 2): organization ${auth.orgId}${auth.orgSlug ? ` (${auth.orgSlug})` : ''}, role ${auth.orgRole ?? '(none: no org_role)'}, permissions ${perms}${tail}`;
}

/** Why has({ permission }) is false for this token, in the terms of buildOrgPermissions. */
function permissionWhy(auth: ClaimsAuth, permission: string): string {
  const [, feature, action] = permission.split(':');
  if (feature?.startsWith('sys_')) return `${permission} is a system permission: Clerk never puts system permissions (org:sys_*) in session tokens, so has() cannot see it - check it through the Backend API, or make the route check a custom permission`;
  if (auth.version === 1) return `it is not in org_permissions (${show(auth.orgPermissions ?? [], 120)})`;
  const v2 = auth.v2;
  if (!v2 || v2.per.length === 0) return 'the token carries no o.per/o.fpm: the role grants no custom permission (buildOrgPermissions builds none)';
  const f = v2.orgFeatures.indexOf(feature ?? '');
  if (f === -1) return `its feature "${feature}" is not among the token's organization features (fea ${q(auth.features)}: ${v2.orgFeatures.join(', ') || 'none'})`;
  const j = v2.per.indexOf(action ?? '');
  if (j === -1) return `its action "${action}" is not in o.per (${q(v2.per.join(','))})`;
  return `o.fpm gives feature "${feature}" the mask ${v2.fpm[f] ?? '(none)'}, whose bit ${j} (action "${action}" in o.per) is not set`;
}

function base(claims: Record<string, unknown> | undefined, auth: ClaimsAuth | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  if (auth?.userId) vars.userId = auth.userId;
  if (auth?.orgId) vars.orgId = auth.orgId;
  if (auth?.orgSlug) vars.orgSlug = auth.orgSlug;
  if (auth?.orgRole) vars.haveRole = auth.orgRole;
  if (claims && typeof claims.sub === 'string') vars.sub = claims.sub;
  return vars;
}

/**
 * Whether an answer is a refusal of a signed-in caller (status 401, 403 or 404, or none given): it
 * names a requirement (a 401 that does is the wrong status for it), or it is a 403 no
 * authentication message explains (with a body or a token to read), or a 404 whose body is not a
 * framework's "no such route". `authnSaid`: a verifier message or x-clerk-auth-reason matched.
 */
export function isAuthorizationRefusal(
  catalogue: AuthzCatalogue,
  input: { status?: number; messages: string[]; body?: string; authnSaid: boolean; hasToken: boolean },
  requirement: Requirement = readRequirement(catalogue, input.messages),
): boolean {
  // A redirect or a 5xx is no refusal, whatever words it carries ("active organization mismatch" is a handshake).
  if (input.status !== undefined && ![401, 403, 404].includes(input.status)) return false;
  if (namesRequirement(requirement)) return input.status !== 401 || !input.authnSaid;
  if (input.authnSaid) return false;
  if (input.status === 403) return input.body !== undefined || input.hasToken;
  return input.status === 404 && input.body !== undefined && !isRouteMissing(catalogue, input.body, input.messages);
}

export interface RefusalInput {
  status?: number;
  /** responseMessages() of the answer. */
  messages: string[];
  body?: string;
  /** The token's claims, when known (decoded, never verified here). */
  claims?: Record<string, unknown>;
}

/**
 * Read a refusal of a signed-in caller. Call it for a 403 the verifier did not explain (no
 * authentication message matched), a 404 of an object, or any answer naming a requirement.
 */
export function readRefusal(catalogue: AuthzCatalogue, input: RefusalInput): RefusalReading {
  const req = readRequirement(catalogue, input.messages);
  const claims = input.claims;
  const auth = claims ? authOfClaims(claims) : undefined;
  const tokenLine = claims ? describeClaims(claims, auth) : undefined;
  const vars = base(claims, auth);
  const findings: AuthzFinding[] = [];
  const said = req.said.length ? `the server said: ${req.said.map((s) => `"${s}"`).join(', ')}` : undefined;
  const push = (outcome: AuthzOutcome, line: string, evidence: string[], extra: Record<string, string> = {}, severity: 'fail' | 'warn' = 'warn') =>
    findings.push({ outcome, cause: AUTHZ_CAUSES[outcome], severity, line, evidence: [...(said ? [said] : []), ...evidence, ...(tokenLine ? [tokenLine] : [])], vars: { ...vars, ...extra } });

  if (input.status === 404) {
    const owner = vars.sub ? ` If ${vars.sub} created it, the object's owner is not this token's sub.` : '';
    push('hidden-existence', 'answered 404 to a signed-in caller: the object does not exist for this user - an unknown id, or the API hiding another user\'s object', [`correct for a caller who is not the owner (existence is not leaked).${owner}`]);
    return { requirement: req, auth, tokenLine, findings };
  }

  const wantRole = req.roles.join(' or ');
  if (wantRole) vars.wantRole = req.roles[0];
  if (req.permissions[0]) vars.permission = req.permissions[0];

  if (req.reverification !== undefined) {
    const config = reverificationConfig(req.reverification);
    const fva = auth ? auth.factorVerificationAge : undefined;
    const passes = auth ? checkReverificationAuthorization({ reverification: req.reverification }, auth) === 'pass' : undefined;
    const what = config ? `a verification within ${config.afterMinutes} min (${config.level.replace('_', ' ')}${typeof req.reverification === 'string' ? `, preset "${req.reverification}"` : ''})` : `a recent verification (${show(req.reverification, 60)})`;
    push('reverification', `the route wants ${what}${fva !== undefined ? `; the token's fva is ${show(fva, 40)} (minutes since the first and second factor, -1 = never)` : ''}`, passes ? ['by this token\'s fva the check passes now: the token was probably minted before the user verified again - send a new one'] : []);
  }

  const asksOrg = req.roles.length > 0 || req.permissions.length > 0 || req.noActiveOrganization || req.otherOrganization;

  if (auth && !auth.orgId && asksOrg) {
    const wants = wantRole ? `; the route wants role ${wantRole}` : req.permissions.length ? `; the route wants permission ${req.permissions.join(', ')}` : '';
    push('no-active-org', `the token has no active organization${wants}`, [
      `${auth.version === 2 ? 'a v2 token without an "o" claim' : 'a token without org_id'}: @clerk/backend's orgId is undefined, so has({ role }) and has({ permission }) are false whatever the user's memberships (checkOrgAuthorization: no orgId, fail)`,
    ]);
  } else if (auth && auth.orgId) {
    if (req.noActiveOrganization) {
      push('claims-misread', `the server says the token has no active organization, but it carries organization ${auth.orgId}${auth.version === 2 ? ' in "o" (o.id)' : ' (org_id)'}`, [auth.version === 2 ? 'a v2 token (v: 2) has no org_id/org_role claims: a server reading only the v1 names sees no organization' : 'the v1 claims org_id/org_role are present'], {}, 'fail');
    }
    if (req.otherOrganization) {
      push('other-organization', `the token's active organization is ${auth.orgId}${auth.orgSlug ? ` (${auth.orgSlug})` : ''}${auth.orgRole ? ` with role ${auth.orgRole}` : ''}; the server says the resource belongs to another organization`, ['a cross-tenant refusal: a role is held per organization, and has() reads only the active one']);
    }
    if (req.roles.length && !req.roles.some((role) => hasAuthorization(auth, { role }))) {
      const source = auth.version === 2 ? ((claims!.o as Record<string, unknown>).rol ? ` (o.rol ${q((claims!.o as Record<string, unknown>).rol)})` : ' (no o.rol)') : '';
      push('role', `the token has role ${auth.orgRole ?? '(none)'}, the route wants ${wantRole}`, [
        `has({ role: "${req.roles[0]}" }) is false for this token: checkOrgAuthorization compares the org:-prefixed orgRole ${q(auth.orgRole ?? null)}${source} with "${req.roles[0]}"`,
      ]);
    }
    for (const permission of req.permissions) {
      if (hasAuthorization(auth, { permission })) continue;
      push('permission', `the token lacks permission ${permission}: ${permissionWhy(auth, permission)}`, [`has({ permission: "${permission}" }) is false for this token (orgPermissions: ${Array.isArray(auth.orgPermissions) && auth.orgPermissions.length ? (auth.orgPermissions as unknown[]).map(String).join(', ') : 'none'})`], { permission, permFeature: permission.split(':')[1] ?? '' });
    }
  }
  if (auth) {
    for (const feature of req.features) {
      if (hasAuthorization(auth, { feature })) continue;
      push('feature', `the token lacks feature ${feature} (fea ${auth.features ? q(auth.features) : 'absent'})`, [`has({ feature: "${feature}" }) reads only the token's fea claim`], { feature });
    }
    for (const plan of req.plans) {
      if (hasAuthorization(auth, { plan })) continue;
      push('plan', `the token lacks plan ${plan} (pla ${auth.plans ? q(auth.plans) : 'absent'})`, [`has({ plan: "${plan}" }) reads only the token's pla claim`], { plan });
    }
    for (const p of auth.problems) push('claims-misread', p, [], {}, 'fail');
    // Everything the server named is there, and it refused anyway.
    const named = req.roles.length + req.permissions.length + req.features.length + req.plans.length > 0;
    if (named && findings.length === 0 && !req.otherOrganization) {
      const carried = [
        req.roles.length ? `role ${auth.orgRole}` : '',
        ...req.permissions.map((p) => `permission ${p}`),
        ...req.features.map((f) => `feature ${f}`),
        ...req.plans.map((p) => `plan ${p}`),
      ].filter(Boolean);
      const hint = auth.version === 2 && req.roles.length ? ` - o.rol is ${q((claims!.o as Record<string, unknown>).rol)} without the "org:" prefix, and a v2 token has no org_role claim` : '';
      push('claims-misread', `the server refuses a token that carries what it asks for: ${carried.join(', ')} (@clerk/backend's has() is true for it)${hint}`, [], {}, 'fail');
    }
  } else {
    // No token given: say what the server wants; the comparison needs the token.
    const ask = 'paste the token too (or run doctor) to compare it with what the token carries';
    if (req.noActiveOrganization) push('no-active-org', `the server says the token has no active organization${wantRole ? `; the route wants role ${wantRole}` : ''}`, [ask]);
    else if (req.otherOrganization) push('other-organization', 'the server says the resource belongs to another organization than the token\'s active one', [ask]);
    else if (req.roles.length) push('role', `the route wants role ${wantRole}`, [ask]);
    for (const permission of req.permissions) push('permission', `the route wants permission ${permission}`, [ask], { permission, permFeature: permission.split(':')[1] ?? '' });
    for (const feature of req.features) push('feature', `the route wants feature ${feature}`, [ask], { feature });
    for (const plan of req.plans) push('plan', `the route wants plan ${plan}`, [ask], { plan });
  }
  if (findings.length === 0) {
    push('unnamed', `a signed-in token was refused${input.status ? ` with ${input.status}` : ''}, and the answer names no role, permission or organization`, claims ? ['compare the organization claims below with what the route checks (has({ role }), has({ permission }))'] : ['paste the token too (or run doctor) to see its organization claims']);
  }
  findings.sort((a, b) => ORDER.indexOf(a.outcome) - ORDER.indexOf(b.outcome));
  if (input.status === 401) {
    findings[0]!.evidence.push('answered 401 for a refusal after sign-in: 401 says the token is not valid and makes clients sign in again; a signed-in caller who may not do this gets 403 (or 404 where the API hides the object)');
  }
  return { requirement: req, auth, tokenLine, findings };
}
