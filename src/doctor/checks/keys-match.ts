/**
 * keys.pem-matches-jwks and keys.token-kid: the backend's key material against what Clerk signs
 * with now. A PEM that matches no live key was rotated away (or came from another instance); a
 * fresh token whose kid the backend's JWKS lacks comes from another instance (dev vs prod).
 */
import { where } from '../lib/env-file.js';
import { fingerprint, sameKey } from '../lib/pem.js';
import type { CheckModule } from '../types.js';
import { backendEnv } from './env-values.js';
import { frontendJwksUrl } from './keys-jwks.js';

export const keysPemMatchesJwks: CheckModule = {
  id: 'keys.pem-matches-jwks',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const pem = facts.pem!;
    const live = facts.backendJwks!.keys;
    const hit = live.find((k) => sameKey(k, pem.jwk));
    const kids = live.map((k) => k.kid).join(', ');
    if (hit) return { outcome: 'match', vars: { kid: hit.kid ?? '(no kid)' }, facts: { pemMatch: { matched: true, kid: hit.kid } } };
    const harnessKnows = facts.harnessJwks?.some((k) => sameKey(k, pem.jwk));
    const detail = harnessKnows
      ? "it is a key of the harness's instance, not the backend's (wrong instance)"
      : 'Clerk rotated the signing key since the PEM was copied, or it comes from another instance';
    return {
      outcome: 'stale',
      vars: { kids, detail, key: pem.key, envFile: env.display, jwksUrl: frontendJwksUrl(env) ?? 'the JWKS' },
      evidence: [
        `${where(env, pem.key)} ${pem.key}: ${fingerprint(pem.jwk)}`,
        ...live.map((k) => `live key ${k.kid}: ${fingerprint(k)}`),
        `live keys from ${facts.backendJwks!.sources.join(' and ')}`,
      ],
      facts: { pemMatch: { matched: false } },
    };
  },
};

export const keysTokenKid: CheckModule = {
  id: 'keys.token-kid',
  async run(_ctx, facts) {
    const token = facts.token!;
    const live = facts.backendJwks!.keys;
    const kid = typeof token.header.kid === 'string' ? token.header.kid : undefined;
    const kids = live.map((k) => k.kid).join(', ');
    if (!kid) return { outcome: 'no-kid', evidence: [`token header: ${JSON.stringify(token.header)}`], facts: { tokenKidInBackendJwks: false } };
    if (live.some((k) => k.kid === kid)) return { outcome: 'present', vars: { kid }, facts: { tokenKidInBackendJwks: true } };
    return {
      outcome: 'absent',
      vars: { kid, kids },
      evidence: [`token iss ${String(token.claims.iss)}, kid ${kid}`, `backend's JWKS (${facts.backendJwks!.sources.join(', ')}): ${kids}`],
      facts: { tokenKidInBackendJwks: false },
    };
  },
};
