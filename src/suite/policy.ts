/**
 * The severity policy, as data (documented in the README, "Severity policy"). A case's severity
 * says what it costs when a server gets it wrong, by who can exploit it:
 *
 * - forgeable: a token anyone can make without the instance's private key (unsigned, forged,
 *   tampered, key confusion, injected key, no credentials) or replay (expired) is accepted → critical
 * - availability: a genuine token a correct server accepts is refused → high (users locked out)
 * - hardening: a weakness that needs the instance's own key to exploit (a genuine token without
 *   `exp` or `sub`, `nbf` in the future accepted; `iat` a few seconds ahead refused, which locks
 *   users out at random under normal clock drift) → medium
 * - advice: a wrong `iss` under the right key (no one else holds that key, and @clerk/backend
 *   checks `iss` only when told to), an oversized token accepted, another auth scheme tolerated → low
 *
 * Status-policy findings (judged in verdict.ts, whatever the case): a verifier crash (5xx) on a bad
 * token is high; a redirect instead of 401 is medium; 403 where 401 is right, another 4xx, or an
 * accepted request answered with another 2xx than the suite's is low. The default gate fails the
 * run on medium and above; low is advice.
 */
import type { Severity } from '../cases/types.js';

export type RiskClass = 'forgeable' | 'availability' | 'hardening' | 'advice';

export const RISK_SEVERITY: Record<RiskClass, Exclude<Severity, 'info'>> = {
  forgeable: 'critical',
  availability: 'high',
  hardening: 'medium',
  advice: 'low',
};

export const STATUS_POLICY = {
  crashOnBadToken: 'high',
  crashOnValidToken: 'high',
  endpointNotFound: 'high',
  redirect: 'medium',
  forbiddenForUnauthenticated: 'low',
  otherClientError: 'low',
  unexpectedSuccessStatus: 'low',
  timeout: 'high',
  keyUrlFetched: 'critical',
  resourceNotCreated: 'high',
} as const satisfies Record<string, Exclude<Severity, 'info'>>;

/**
 * Authorization (issue 11; OWASP API1 and API5). A persona the rule refuses that gets in reaches
 * what is not theirs: another user's object (BOLA), a role's route without the role, another
 * organization's objects, a role it wrote into its own token — critical. A persona the rule admits
 * that is refused is locked out — high, like a refused valid token. Refused, but with another status
 * than the rule says (401 or 500 for 403, 403 where 404 hides the object) — medium: clients and
 * monitoring misread it, and a 403 where 404 is the contract confirms the object exists. The owner
 * no longer reaching its object after another user's attempt — high.
 */
export const AUTHZ_POLICY = {
  deniedAccepted: 'critical',
  allowedRefused: 'high',
  wrongRefusalStatus: 'medium',
  ownerLostAccess: 'high',
} as const satisfies Record<string, Exclude<Severity, 'info'>>;

/** The gate when neither the suite nor --fail-on sets one. */
export const DEFAULT_FAIL_ON: Exclude<Severity, 'info'> = 'medium';

/**
 * Causes that, when they refuse the valid tokens, make every other case of the endpoint
 * meaningless (a server that refuses everything "passes" every negative case): reported once as a
 * blocker with its fix and the doctor command, the dependent cases marked blocked.
 */
export const BLOCKER_CAUSES = new Set([
  'env-not-loaded',
  'server-not-restarted',
  'verifier-key-missing',
  'env-key-missing',
  'env-malformed',
  'aud-required',
  'azp-rejected',
  'keys-wrong-instance',
  'signature-invalid',
  'pem-stale',
  'kid-mismatch',
  'issuer-mismatch',
  'backend-secret-key-rejected',
  'jwks-unreachable',
  'pem-unparsable',
  'server-exception',
  'server-error',
  'endpoint-not-found',
  'alg-not-allowed',
  'token-type-mismatch',
]);

const ORDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
/** The one severity order. */
export function severityAtLeast(s: Severity, threshold: Severity): boolean {
  return ORDER.indexOf(s) >= ORDER.indexOf(threshold);
}
export function severityRank(s: Severity): number {
  return ORDER.length - 1 - ORDER.indexOf(s);
}
