/**
 * The reference target's deliberate flaws, as data: what each one does and which catalogue cases
 * (or audit checks) are meant to catch it. The project's own tests prove every flaw is caught.
 */
import { HarnessError } from '../errors.js';
import type { TargetFlaw } from './types.js';

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
 * Parse flaw names (from --flaw flags or a comma list such as TARGET_FLAWS); `source` names where
 * they came from. An unknown name is a USAGE error listing the valid ones.
 */
export function parseFlaws(names: Iterable<string>, source = '--flaw'): TargetFlaw[] {
  const out = new Set<TargetFlaw>();
  for (const raw of names) {
    for (const name of raw.split(',').map((n) => n.trim()).filter(Boolean)) {
      if (!isTargetFlaw(name)) {
        throw new HarnessError('USAGE', `${source}: unknown flaw "${name}"`, { hint: `valid flaws: ${TARGET_FLAWS.join(', ')}` });
      }
      out.add(name);
    }
  }
  return [...out];
}
