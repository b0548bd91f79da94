/**
 * From an endpoint's access rule and the suite's personas, the authorization cases (issue 11),
 * as data: who is tried, with which token, and what a correct server answers. Pure.
 *
 * Two levels, as OWASP API1/API5 put them: the function level (may this persona call the route:
 * its role, its permission, its name) and the object level (may it reach this object: the
 * owner's own, or one of the owner's organization). A persona refused at the object level only is
 * a BOLA attempt; one refused at the function level is a missing role check when accepted.
 */
import type { Expectation } from '../../cases/types.js';
import type { AccessRule, Suite, SuiteEndpoint, SuitePersona } from '../types.js';

export type AuthzKind = 'allowed' | 'denied' | 'bola' | 'member-admin' | 'other-org-admin' | 'no-active-org' | 'role-tampered';

export interface AuthzCaseSpec {
  kind: AuthzKind;
  persona: string;
  /** The persona's usual session, its session without an active organization, or its token with o.rol changed. */
  token: 'session' | 'no-active-org' | 'tampered-role';
  /** tampered-role: the role key written into the token. */
  tamperRole?: string;
  /** Statuses a correct server answers. */
  expectedStatus: number[];
  title: string;
  why: string;
  /** BOLA: the endpoint (by name) through which the owner must still reach the object afterwards. */
  ownerCheck?: string;
  /** What the rule requires of an allowed persona, for the hint when it is refused. */
  requires?: { organization?: string; role?: string; permission?: string };
}

export interface GeneratedCase {
  id: string;
  expect: Expectation;
  persona: string;
  authz: AuthzCaseSpec;
  skipReason?: string;
}

const verb = (method: string) => (method === 'GET' || method === 'HEAD' ? 'read' : method === 'DELETE' ? 'delete' : 'update');

function holds(p: SuitePersona, r: AccessRule): boolean {
  if (r.kind === 'role') return p.role === r.role;
  if (r.kind === 'permission') return p.permissions.includes(r.permission);
  return false;
}

/** The persona passes the route's rule, whatever the object (function level). */
function functional(p: SuitePersona, allow: AccessRule[]): boolean {
  return allow.some((r) => r.kind === 'signed-in' || r.kind === 'owner' || (r.kind === 'persona' ? r.persona === p.name : holds(p, r)));
}

/** The persona may reach this endpoint's object (both levels). `org` is the object's organization. */
function allowed(p: SuitePersona, allow: AccessRule[], owner: string | undefined, org: string | undefined): boolean {
  return allow.some((r) => {
    if (r.kind === 'signed-in') return true;
    if (r.kind === 'owner') return p.name === owner;
    if (r.kind === 'persona') return p.name === r.persona;
    return holds(p, r) && (org === undefined || p.organization === org);
  });
}

export function generateAuthzCases(suite: Suite, endpoint: SuiteEndpoint): GeneratedCase[] {
  const access = endpoint.access;
  if (!access || !suite.personas) return [];
  const personas = Object.values(suite.personas);
  const owner = endpoint.resource?.owner;
  const org = owner ? suite.personas[owner]?.organization : undefined;
  const { allow } = access;
  const refused = [access.refusedStatus];
  // Role-restricted: no rule lets any signed-in user in, and one names a role or a permission.
  const open = allow.some((r) => r.kind === 'signed-in' || r.kind === 'owner');
  const roleRule = open ? undefined : allow.find((r) => r.kind === 'role' || r.kind === 'permission');
  const requiredRole = roleRule?.kind === 'role' ? roleRule.role : undefined;
  const requires = roleRule ? { organization: org, ...(roleRule.kind === 'role' ? { role: roleRule.role } : { permission: roleRule.permission }) } : undefined;
  const need = roleRule ? (roleRule.kind === 'role' ? roleRule.role : `permission ${roleRule.permission}`) : '';
  const out: GeneratedCase[] = [];
  const add = (id: string, expect: Expectation, spec: AuthzCaseSpec, skipReason?: string) => out.push({ id, expect, persona: spec.persona, authz: spec, ...(skipReason ? { skipReason } : {}) });
  const ownerOf = owner ? `${owner}'s object` : 'the route';

  // Allowed personas first, then the refusals, each persona once per endpoint.
  for (const p of personas.filter((x) => allowed(x, allow, owner, org))) {
    add(`allowed:${p.name}`, 'accepted', {
      kind: 'allowed', persona: p.name, token: 'session', expectedStatus: endpoint.acceptedStatus,
      title: `${p.name} is allowed`, why: `The access rule admits ${p.name}; refusing it locks a legitimate user out.`, requires,
    });
  }
  const denied = personas.filter((x) => !allowed(x, allow, owner, org));
  const ownerCheck = owner && suite.personas[owner] && allowed(suite.personas[owner]!, allow, owner, org)
    ? verb(endpoint.method) === 'read' ? endpoint.name : suite.endpoints.find((e) => e.method === 'GET' && e.path === endpoint.path && e.resource?.owner === owner)?.name
    : undefined;
  let bola: SuitePersona | undefined;
  if (endpoint.resource) {
    // Object level only: the persona may call the route but this object is not theirs. The most
    // telling one is a user of the owner's own organization (a tenant check alone lets them in).
    const candidates = denied.filter((p) => functional(p, allow));
    bola = candidates.find((p) => org !== undefined && p.organization === org) ?? candidates[0];
    if (bola) {
      const v = verb(endpoint.method);
      add(`bola-${v}-other-user`, 'rejected', {
        kind: 'bola', persona: bola.name, token: 'session', expectedStatus: refused, ownerCheck,
        title: `${bola.name} ${v === 'read' ? 'reads' : v === 'delete' ? 'deletes' : 'changes'} ${owner}'s object`,
        why: `Broken object level authorization (OWASP API1): another user reaching ${owner}'s object by its id. ${ownerCheck ? `${owner} must still reach it afterwards.` : ''}`.trim(),
      });
    }
  }
  let member: SuitePersona | undefined;
  let otherOrgAdmin = false;
  for (const p of denied) {
    if (p === bola) continue;
    const spec = { persona: p.name, token: 'session' as const, expectedStatus: refused };
    if (endpoint.resource && functional(p, allow)) {
      if (roleRule && p.organization && p.organization !== org && holds(p, roleRule) && !otherOrgAdmin) {
        otherOrgAdmin = true;
        add('admin-of-other-org', 'rejected', { ...spec, kind: 'other-org-admin', title: `${p.name}, ${p.role} of ${p.organization}, acts on ${ownerOf} of ${org}`, why: 'A role is held in one organization: an admin of another organization must not act on this one\'s objects.' });
        continue;
      }
      add(`denied:${p.name}`, 'rejected', { ...spec, kind: 'denied', title: `${p.name} reaches ${ownerOf}`, why: `Another user's attempt on ${owner}'s object is bola-${verb(endpoint.method)}-other-user.` },
        `another user's attempt on ${owner}'s object is already bola-${verb(endpoint.method)}-other-user (as ${bola?.name})`);
      continue;
    }
    if (roleRule && !member && p.organization && (org === undefined || p.organization === org)) {
      member = p;
      add('member-calls-admin-route', 'rejected', { ...spec, kind: 'member-admin', title: `${p.name} (${p.role}) calls a route for ${need}`, why: 'Broken function level authorization (OWASP API5): a member calling a route restricted to a role is a missing role check.' });
      continue;
    }
    add(`denied:${p.name}`, 'rejected', { ...spec, kind: 'denied', title: `${p.name} is refused`, why: `The access rule does not admit ${p.name}; letting it in is a missing authorization check.` });
  }
  if (roleRule) {
    const withRole = personas.filter((p) => p.organization && allowed(p, allow, owner, org));
    const noOrg = withRole.find((p) => p.name === owner) ?? withRole[0];
    if (noOrg) {
      add('no-active-org-admin-route', 'rejected', {
        kind: 'no-active-org', persona: noOrg.name, token: 'no-active-org', expectedStatus: refused,
        title: `${noOrg.name} without an active organization calls a route for ${need}`,
        why: 'A session without an active organization carries no o claim: no role, no permission. A check that reads a role from the user instead of the token, or defaults it, lets it in.',
      });
    }
    const tamperer = member ?? denied.find((p) => p.organization && (org === undefined || p.organization === org) && p.role !== requiredRole);
    if (requiredRole && tamperer) {
      add('role-claim-tampered', 'rejected', {
        kind: 'role-tampered', persona: tamperer.name, token: 'tampered-role', tamperRole: requiredRole, expectedStatus: endpoint.rejectedStatus,
        title: `${tamperer.name}'s token with o.rol changed to ${requiredRole.replace(/^org:/, '')} under the original signature`,
        why: 'The role is a claim of a signed token; a server that reads it without verifying the signature lets anyone grant themselves a role.',
      });
    }
  }
  return out;
}

/** Who runs the catalogue's cases on an endpoint with an access rule: the owner when allowed, else the first allowed persona. */
export function principalOf(suite: Suite, endpoint: SuiteEndpoint): string | undefined {
  if (!endpoint.access || !suite.personas) return undefined;
  const owner = endpoint.resource?.owner;
  const org = owner ? suite.personas[owner]?.organization : undefined;
  const ok = Object.values(suite.personas).filter((p) => allowed(p, endpoint.access!.allow, owner, org));
  return (ok.find((p) => p.name === owner) ?? ok[0])?.name;
}
