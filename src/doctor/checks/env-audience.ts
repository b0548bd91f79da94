/**
 * env.audience: an audience setting makes PyJWT-style verifiers demand an `aud` claim, which
 * Clerk session tokens never carry (seeds: "Ensure CLERK_JWT_AUDIENCE stays commented out").
 * Whether the backend's verifier enforces it shows only at the target: a failure (the seeds' rule,
 * and what PyJWT-style verifiers do) unless the target accepted a fresh session token, which
 * proves this verifier does not enforce it - then a warning.
 */
import { where } from '../lib/env-file.js';
import type { CheckModule } from '../types.js';
import { backendEnv, firstValue, unusableValue } from './env-values.js';

export const AUDIENCE_KEYS = ['CLERK_JWT_AUDIENCE', 'JWT_AUDIENCE', 'CLERK_AUDIENCE'];

export const envAudience: CheckModule = {
  id: 'env.audience',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const set = firstValue(env, AUDIENCE_KEYS);
    if (!set) {
      const bad = unusableValue(env, AUDIENCE_KEYS);
      // A placeholder or Markdown link is env.placeholders' finding; reading it as an audience too
      // would report one paste mistake twice (and rank the wrong one first).
      if (bad) return { outcome: 'not-interpreted', vars: { key: bad.key }, details: [`${bad.key} ${bad.problem}`] };
      return { outcome: 'unset' };
    }
    const vars = { key: set.key, value: set.value, envFile: env.display };
    const template = facts.harness?.config.jwtTemplate;
    const evidence = [`${where(env, set.key)} ${set.key}=${set.value}`];
    if (template) return { outcome: 'set-with-template', vars: { ...vars, template }, evidence };
    const fresh = facts.target?.fresh;
    // A 403 naming a role, or an object's 404, came after the verifier accepted the token too.
    const signedIn = fresh && ((fresh.status >= 200 && fresh.status < 300) || facts.target?.freshSignedIn === true);
    if (fresh && signedIn && fresh.token.claims.aud === undefined) {
      evidence.push(`${fresh.method} ${fresh.url} with a fresh session token (no aud) answered ${fresh.status}${fresh.status >= 300 ? ' (signed in, then refused by authorization)' : ''}`);
      return { outcome: 'set-not-enforced', vars, evidence };
    }
    evidence.push('session tokens (what Clerk frontends send by default) have no aud: a verifier given an audience rejects every one');
    if (!fresh) evidence.push('doctor sent no fresh token to the target, so whether the verifier enforces it is not known');
    return { outcome: 'set-for-session-tokens', vars, evidence };
  },
};
