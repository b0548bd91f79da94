/**
 * env.key-mode: development (test) and production (live) keys mixed in one backend, or the
 * backend on one and the harness minting from the other: tokens of one instance never verify
 * against the other's keys.
 */
import type { CheckModule } from '../types.js';
import { backendEnv } from './env-values.js';

function modeOf(value: string): 'test' | 'live' | undefined {
  const m = /^(?:sk|pk)_(test|live)_/.exec(value.trim());
  return m ? (m[1] as 'test' | 'live') : undefined;
}

export const envKeyMode: CheckModule = {
  id: 'env.key-mode',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const seen: Array<{ who: string; mode: 'test' | 'live' }> = [];
    for (const [key, entry] of Object.entries(env.values)) {
      if (key !== 'CLERK_SECRET_KEY' && !/(^|_)CLERK_PUBLISHABLE_KEY$/.test(key)) continue;
      const mode = modeOf(entry.value);
      if (mode) seen.push({ who: `${key} (${env.display})`, mode });
    }
    const harnessKey = facts.harness?.config.clerkSecretKey;
    const harnessMode = harnessKey ? modeOf(harnessKey) : undefined;
    if (harnessMode) seen.push({ who: "the harness's CLERK_SECRET_KEY", mode: harnessMode });
    if (seen.length === 0) return { outcome: 'no-keys' };
    const modes = new Set(seen.map((s) => s.mode));
    if (modes.size === 1) return { outcome: 'consistent', vars: { mode: [...modes][0] === 'test' ? 'test (development)' : 'live (production)' } };
    const evidence = seen.map((s) => `${s.who}: ${s.mode}`);
    const backendModes = new Set(seen.filter((s) => !s.who.startsWith('the harness')).map((s) => s.mode));
    const detail = backendModes.size > 1 ? `${env.display} mixes test and live keys` : `the backend uses ${[...backendModes][0]} keys, the harness mints with a ${harnessMode} key`;
    return { outcome: 'mixed', vars: { detail }, evidence };
  },
};
