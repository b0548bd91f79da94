/**
 * The reference target's deliberate flaws, as data: what each one does and which catalogue cases
 * (or audit checks) are meant to catch it. The project's own tests prove every flaw is caught.
 */
import { HarnessError } from '../errors.js';
import type { AuthzFlaw, ReferenceFlaw, TargetFlaw } from './types.js';

export interface FlawInfo {
  summary: string;
  /** Case ids whose observed outcome (or audit check) changes when the flaw is on. */
  caughtBy: string[];
  /** What changes: the case's status, or the audit line it leaves (checked by the audit checks). */
  symptom: 'accepts' | 'rejects' | 'status' | 'audit';
}

export const FLAWS: Readonly<Record<TargetFlaw, FlawInfo>> = Object.freeze({
  'accept-expired': { summary: 'ignores exp (accepts expired tokens)', caughtBy: ['expired-token'], symptom: 'accepts' },
  'skip-signature': {
    summary: 'decodes tokens without verifying the signature',
    caughtBy: ['signature-altered', 'payload-tampered', 'null-signature', 'foreign-key-same-kid', 'unknown-kid', 'truncated-token', 'embedded-jwk', 'jku-attacker-jwks'],
    symptom: 'accepts',
  },
  'allow-alg-none': {
    summary: 'accepts unsecured tokens (alg none, any spelling)',
    caughtBy: ['alg-none', 'alg-none-capitalized', 'alg-none-uppercase', 'alg-none-mixed-case'],
    symptom: 'accepts',
  },
  'require-aud': { summary: 'PyJWT-style: rejects tokens without aud', caughtBy: ['valid-without-aud'], symptom: 'rejects' },
  'require-email': { summary: 'rejects tokens without an email claim', caughtBy: ['valid-without-email'], symptom: 'rejects' },
  'forbid-missing-header': { summary: 'answers 403 {"detail":"Not authenticated"} for a missing header (FastAPI < 0.122)', caughtBy: ['no-authorization-header'], symptom: 'status' },
  'env-not-loaded': {
    summary: 'answers 500 "Authentication system not configured" (env file not loaded)',
    caughtBy: ['valid-session-token'],
    symptom: 'status',
  },
  'accept-no-exp': { summary: 'accepts tokens without exp (PyJWT default)', caughtBy: ['missing-exp'], symptom: 'accepts' },
  'audit-omit-iat': { summary: 'writes audit lines without token_iat', caughtBy: ['valid-session-token'], symptom: 'audit' },
  'audit-wrong-user': { summary: 'writes the session id as user_id instead of sub', caughtBy: ['valid-session-token'], symptom: 'audit' },
  'audit-none': { summary: 'writes no audit line', caughtBy: ['valid-session-token'], symptom: 'audit' },
  'audit-double': { summary: 'writes two audit lines per request', caughtBy: ['valid-session-token'], symptom: 'audit' },
  'crash-on-malformed': { summary: 'answers 500 for tokens that do not decode', caughtBy: ['malformed-undecodable', 'malformed-not-three-parts'], symptom: 'status' },
});

export const TARGET_FLAWS = Object.freeze(Object.keys(FLAWS) as TargetFlaw[]);

export function isTargetFlaw(name: string): name is TargetFlaw {
  return Object.prototype.hasOwnProperty.call(FLAWS, name);
}

/**
 * Ids of the authorization cases (persona × request) that catch the authz flaws; the suite runner
 * generates them from access rules. What each one sends (POST /jobs as the owner first):
 *   bola-read-other-user       GET the owner's job as another user           → 404
 *   bola-delete-other-user     DELETE it as another user holding org:admin,
 *                              in another organization                       → 403
 *   member-calls-admin-route   DELETE it as an org:member of the job's org   → 403
 *   admin-of-other-org         DELETE it as an org:admin of another org      → 403
 *   no-active-org-admin-route  DELETE it with a token without `o`            → 403
 *   role-claim-tampered        DELETE it with the member's token, o.rol changed to "admin"
 *                              under the original signature                  → 401
 */
export const AUTHZ_CASE_IDS = Object.freeze([
  'bola-read-other-user',
  'bola-delete-other-user',
  'member-calls-admin-route',
  'admin-of-other-org',
  'no-active-org-admin-route',
  'role-claim-tampered',
] as const);
export type AuthzCaseId = (typeof AUTHZ_CASE_IDS)[number];

export interface AuthzFlawInfo {
  summary: string;
  /** Authorization case ids whose observed outcome changes when the flaw is on. */
  caughtBy: AuthzCaseId[];
  /** 'authz': a persona that must be refused is let through; 'status': refused with the wrong status. */
  symptom: 'authz' | 'status';
}

/**
 * The authorization flaws (GET/DELETE /jobs/{job_id}, src/target/authz.ts). role-claim-tampered is
 * caught by none of them: a changed claim breaks the signature (FLAWS skip-signature lets it in).
 */
export const AUTHZ_FLAWS: Readonly<Record<AuthzFlaw, AuthzFlawInfo>> = Object.freeze({
  'skip-ownership-check': {
    summary: "serves any user's job by id, and lets an org:admin of any organization delete it",
    caughtBy: ['bola-read-other-user', 'bola-delete-other-user', 'admin-of-other-org'],
    symptom: 'authz',
  },
  'skip-role-check': {
    summary: 'DELETE /jobs/{job_id} needs only a signed-in user (no role or organization check)',
    caughtBy: ['member-calls-admin-route', 'no-active-org-admin-route', 'admin-of-other-org', 'bola-delete-other-user'],
    symptom: 'authz',
  },
  'wrong-refusal-status': {
    summary: 'answers authorization refusals 401 instead of 403 (404 for another user\'s job)',
    caughtBy: ['bola-read-other-user', 'bola-delete-other-user', 'member-calls-admin-route', 'admin-of-other-org', 'no-active-org-admin-route'],
    symptom: 'status',
  },
});

export const AUTHZ_FLAW_NAMES = Object.freeze(Object.keys(AUTHZ_FLAWS) as AuthzFlaw[]);

export function isAuthzFlaw(name: string): name is AuthzFlaw {
  return Object.prototype.hasOwnProperty.call(AUTHZ_FLAWS, name);
}

/**
 * Parse flaw names (from --flaw flags or a comma list such as TARGET_FLAWS), authentication and
 * authorization ones alike; `source` names where they came from. An unknown name is a USAGE error
 * listing the valid ones.
 */
export function parseFlaws(names: Iterable<string>, source = '--flaw'): ReferenceFlaw[] {
  const out = new Set<ReferenceFlaw>();
  for (const raw of names) {
    for (const name of raw.split(',').map((n) => n.trim()).filter(Boolean)) {
      if (!isTargetFlaw(name) && !isAuthzFlaw(name)) {
        throw new HarnessError('USAGE', `${source}: unknown flaw "${name}"`, { hint: `valid flaws: ${[...TARGET_FLAWS, ...AUTHZ_FLAW_NAMES].join(', ')}` });
      }
      out.add(name);
    }
  }
  return [...out];
}
