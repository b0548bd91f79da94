/**
 * keys.pem-matches-jwks and keys.token-kid: the backend's key material against what Clerk signs
 * with now. A PEM that matches no live key was rotated away (or came from another instance); a
 * fresh token whose kid the backend's JWKS lacks comes from another instance (dev vs prod).
 */
import type { JWK } from 'jose';
import { where } from '../lib/env-file.js';
import { envLine, fingerprint, jwkToPem, PEM_READERS, sameKey } from '../lib/pem.js';
import type { CheckModule } from '../types.js';
import { backendEnv } from './env-values.js';
import { frontendJwksUrl } from './keys-jwks.js';

/**
 * The pem-stale fix: the env line(s) to paste with the live public key (public keys are safe to
 * show), which backend reads which variable, and the restart an env change needs.
 */
export function pemStaleFix(stale: string[], live: JWK[], envFile: string): string {
  const lines: string[] = [];
  for (const key of stale) {
    for (const k of live.filter(pemable)) lines.push(`${live.length > 1 ? `(kid ${k.kid ?? '?'}) ` : ''}${envLine(key, jwkToPem(k))}`);
  }
  const kids = live.map((k) => k.kid ?? '(no kid)').join(' or ');
  const readers = stale.map((k) => `${k} is read by ${PEM_READERS[k] ?? 'your backend'}`).join('; ');
  return [
    `put the live key ${kids} into ${stale.join(' and ')} in ${envFile}, then restart the server after editing the env file (a reload is not enough). ${readers}. The line${lines.length > 1 ? 's' : ''} to paste (a public key, safe to show${live.length > 1 ? '; use the kid your tokens carry' : ''}):`,
    ...lines,
  ].join('\n');
}

/** Only RSA keys that convert cleanly are offered as PEM lines to paste (any JWKS URL may hold others). */
function pemable(k: JWK): boolean {
  if (k.kty !== 'RSA') return false;
  try {
    jwkToPem(k);
    return true;
  } catch {
    return false;
  }
}

export const keysPemMatchesJwks: CheckModule = {
  id: 'keys.pem-matches-jwks',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const pems = facts.pems ?? [];
    const live = facts.backendJwks!.keys;
    const kids = live.map((k) => k.kid).join(', ');
    const hits = pems.map((p) => ({ ...p, hit: live.find((k) => sameKey(k, p.jwk)) }));
    const stale = hits.filter((h) => !h.hit);
    const differ = pems.length > 1 && pems.some((p) => !sameKey(p.jwk, pems[0].jwk));
    const evidence = hits.map((h) => `${where(env, h.key)} ${h.key}: ${fingerprint(h.jwk)} - ${h.hit ? `the live key ${h.hit.kid}` : 'matches no live key'}`);
    if (differ) evidence.push(`${pems.map((p) => p.key).join(' and ')} hold different keys${stale.length && stale.length < hits.length ? ': the backend works or fails depending on which one it reads' : ''}`);
    if (stale.length === 0) {
      const kid = [...new Set(hits.map((h) => h.hit!.kid ?? '(no kid)'))].join(', ');
      return { outcome: 'match', vars: { kid, key: pems.map((p) => p.key).join(' and ') }, details: evidence, facts: { pemMatch: { matched: true, kid } } };
    }
    const harnessKnows = stale.every((s) => facts.harnessJwks?.some((k) => sameKey(k, s.jwk)));
    const detail = harnessKnows
      ? "it is a key of the harness's instance, not the backend's (wrong instance)"
      : 'Clerk rotated the signing key since the PEM was copied, or it comes from another instance';
    const names = stale.map((s) => s.key);
    const fix = pemStaleFix(names, live, env.display);
    return {
      outcome: 'stale',
      vars: { kids, detail, key: names.join(' and '), envFile: env.display, jwksUrl: frontendJwksUrl(env) ?? 'the JWKS' },
      evidence: [...evidence, ...live.map((k) => `live key ${k.kid}: ${fingerprint(k)}`), `live keys from ${facts.backendJwks!.sources.join(' and ')}`],
      fix,
      facts: { pemMatch: { matched: false, stale: names, fix } },
    };
  },
};

/**
 * The backend's keys are its live JWKS (by kid) and the PEMs of its env file (by modulus, against
 * the token's signing key from the harness's JWKS): a networkless PyJWT backend has no JWKS at all.
 */
export const keysTokenKid: CheckModule = {
  id: 'keys.token-kid',
  async run(_ctx, facts) {
    const token = facts.token!;
    const live = facts.backendJwks?.keys;
    const pems = facts.pems ?? [];
    const kid = typeof token.header.kid === 'string' ? token.header.kid : undefined;
    if (!kid) return { outcome: 'no-kid', evidence: [`token header: ${JSON.stringify(token.header)}`], facts: { tokenKidInBackendJwks: false } };
    const signing = facts.harnessJwks?.find((k) => k.kid === kid);
    const comparablePems = signing ? pems : [];
    if (!live && comparablePems.length === 0) return { outcome: 'unknown' };
    const inJwks = live?.some((k) => k.kid === kid) ?? false;
    const inPem = comparablePems.filter((p) => sameKey(p.jwk, signing!));
    const kids = [
      ...(live ? [`JWKS ${live.map((k) => k.kid).join(', ') || '(empty)'}`] : []),
      ...comparablePems.map((p) => `${p.key} ${fingerprint(p.jwk)}`),
    ].join('; ');
    if (inJwks || inPem.length) {
      const whereFound = [inJwks && 'its JWKS', ...inPem.map((p) => p.key)].filter(Boolean).join(', ');
      return { outcome: 'present', vars: { kid, where: whereFound }, facts: { tokenKidInBackendJwks: true } };
    }
    return {
      outcome: 'absent',
      vars: { kid, kids },
      evidence: [
        `token iss ${String(token.claims.iss)}, kid ${kid}${signing ? `, signing key ${fingerprint(signing)}` : ''}`,
        ...(live ? [`backend's JWKS (${facts.backendJwks!.sources.join(', ')}): ${live.map((k) => k.kid).join(', ')}`] : []),
        ...comparablePems.map((p) => `backend's ${p.key}: ${fingerprint(p.jwk)} - not the key that signed the token`),
      ],
      facts: { tokenKidInBackendJwks: false },
    };
  },
};
