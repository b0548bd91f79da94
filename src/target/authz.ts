/**
 * Who may read and delete a job on the reference target: pure decisions over the verified claims
 * (no HTTP here; reference.ts turns a refusal into a response and an audit line).
 *
 *   GET    /jobs/{job_id}  owner only: the job's user_id must be the token's sub. Another user's
 *                          job answers 404 exactly like an unknown id, so existence is not leaked.
 *   DELETE /jobs/{job_id}  organization admins only, in this order:
 *                          1. an active organization in the token, else 403 (function level:
 *                             checked before the lookup, so a non-admin learns nothing about ids);
 *                          2. its role is org:admin, else 403;
 *                          3. unknown id: 404;
 *                          4. the job was created in that organization (the creator's active org
 *                             at POST time), else 403. A job created without an active
 *                             organization can be deleted by nobody.
 *
 * The role comes from the v2 claim `o: {id, rol}` (`rol` without the "org:" prefix) when `v` is 2,
 * else from the v1 flat claims `org_id` / `org_role` ("org:admin"), the way @clerk/backend picks
 * its parser. Each deliberate flaw is a small, honest deviation from this, marked `FLAW:`.
 */
import type { AuthzFlaw } from './types.js';

export const ADMIN_ROLE = 'org:admin';

export interface ActiveOrganization {
  id: string;
  /** With the "org:" prefix, e.g. org:admin; undefined when the token names none. */
  role: string | undefined;
}

export interface StoredJob {
  job_id: string;
  status: string;
  user_id: string;
  /** The creator's active organization when the job was created, or null. */
  org_id: string | null;
}

export type AuthzDecision =
  | { ok: true }
  | { ok: false; status: 401 | 403 | 404; detail: string; reason: AuthzRefusal };

export type AuthzRefusal = 'job-not-found' | 'not-owner' | 'no-active-organization' | 'missing-role' | 'other-organization';

const prefixed = (role: string) => (role.startsWith('org:') ? role : `org:${role}`);

/** The token's active organization (v2 `o`, or v1 `org_id`/`org_role`), or undefined. */
export function activeOrganization(claims: Record<string, unknown>): ActiveOrganization | undefined {
  if (claims.v === 2) {
    const o = claims.o;
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
    const { id, rol } = o as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') return undefined;
    return { id, role: typeof rol === 'string' && rol !== '' ? prefixed(rol) : undefined };
  }
  if (typeof claims.org_id !== 'string' || claims.org_id === '') return undefined;
  return { id: claims.org_id, role: typeof claims.org_role === 'string' && claims.org_role !== '' ? prefixed(claims.org_role) : undefined };
}

const NOT_FOUND: AuthzDecision = { ok: false, status: 404, detail: 'Job not found', reason: 'job-not-found' };

/** Refusals other than a genuinely unknown id; the wrong-refusal-status flaw answers them 401. */
function refuse(status: 403 | 404, detail: string, reason: AuthzRefusal, flaws: ReadonlySet<AuthzFlaw>): AuthzDecision {
  // FLAW wrong-refusal-status: every authorization refusal copied from the authentication path (401).
  return { ok: false, status: flaws.has('wrong-refusal-status') ? 401 : status, detail, reason };
}

export function decideRead(job: StoredJob | undefined, claims: Record<string, unknown>, flaws: ReadonlySet<AuthzFlaw>): AuthzDecision {
  if (!job) return NOT_FOUND;
  // FLAW skip-ownership-check: any signed-in user reads any job by id (BOLA).
  if (job.user_id !== claims.sub && !flaws.has('skip-ownership-check')) return refuse(404, 'Job not found', 'not-owner', flaws);
  return { ok: true };
}

export function decideDelete(job: StoredJob | undefined, claims: Record<string, unknown>, flaws: ReadonlySet<AuthzFlaw>): AuthzDecision {
  // FLAW skip-role-check: the route only requires a signed-in user (the admin guard was never added).
  if (flaws.has('skip-role-check')) return job ? { ok: true } : NOT_FOUND;
  const org = activeOrganization(claims);
  if (!org) return refuse(403, `requires role ${ADMIN_ROLE} (no active organization in the session token)`, 'no-active-organization', flaws);
  if (org.role !== ADMIN_ROLE) return refuse(403, `requires role ${ADMIN_ROLE}`, 'missing-role', flaws);
  if (!job) return NOT_FOUND;
  // FLAW skip-ownership-check: checks the role but not that it is held in the job's organization.
  if (job.org_id !== org.id && !flaws.has('skip-ownership-check')) {
    return refuse(403, `requires role ${ADMIN_ROLE} in the job's organization`, 'other-organization', flaws);
  }
  return { ok: true };
}
