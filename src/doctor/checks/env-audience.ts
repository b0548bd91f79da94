/**
 * env.audience: an audience setting makes PyJWT-style verifiers demand an `aud` claim, which
 * Clerk session tokens never carry (seeds: "Ensure CLERK_JWT_AUDIENCE stays commented out").
 */
import { where } from '../lib/env-file.js';
import type { CheckModule } from '../types.js';
import { backendEnv, firstValue } from './env-values.js';

export const AUDIENCE_KEYS = ['CLERK_JWT_AUDIENCE', 'JWT_AUDIENCE', 'CLERK_AUDIENCE'];

export const envAudience: CheckModule = {
  id: 'env.audience',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const set = firstValue(env, AUDIENCE_KEYS);
    if (!set) return { outcome: 'unset' };
    const template = facts.harness?.config.jwtTemplate;
    const evidence = [`${where(env, set.key)} ${set.key}=${set.value}`];
    if (template) {
      return { outcome: 'set-with-template', vars: { key: set.key, template, envFile: env.display }, evidence };
    }
    evidence.push('session tokens (what Clerk frontends send by default) have no aud: a verifier given an audience rejects every one');
    return { outcome: 'set-for-session-tokens', vars: { key: set.key, value: set.value, envFile: env.display }, evidence };
  },
};
