/**
 * keys.pem: the PEM public key a networkless verifier uses (CLERK_PEM_PUBLIC_KEY in the seeds'
 * FastAPI app, CLERK_JWT_KEY in Clerk's SDKs) parses, and how its newlines are written.
 */
import { valueProblem } from '../../config/placeholders.js';
import { where } from '../lib/env-file.js';
import { fingerprint, parsePem, PEM_KEYS, sameKey } from '../lib/pem.js';
import type { CheckModule } from '../types.js';
import { backendEnv } from './env-values.js';

export const keysPem: CheckModule = {
  id: 'keys.pem',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const present = PEM_KEYS.filter((k) => env.values[k] && env.values[k].value.trim() !== '' && !valueProblem(env.values[k].value));
    if (present.length === 0) return { outcome: 'absent' };
    const key = present[0];
    const parsed = parsePem(env.values[key].value);
    const vars = { key, envFile: env.display };
    if (!parsed.ok) return { outcome: 'unparsable', vars: { ...vars, error: parsed.error }, evidence: [`${where(env, key)} ${key}`] };
    const evidence: string[] = [`${where(env, key)} ${key}: RSA ${parsed.bits} bits, ${parsed.newlines}, ${fingerprint(parsed.jwk)}`];
    for (const other of present.slice(1)) {
      const o = parsePem(env.values[other].value);
      if (o.ok && !sameKey(o.jwk, parsed.jwk)) evidence.push(`${where(env, other)} ${other} is a different key (${fingerprint(o.jwk)}) - which one does the backend read?`);
    }
    const facts2 = { pem: { key, jwk: parsed.jwk } };
    if (parsed.repaired) return { outcome: 'escaped-only', vars: { ...vars, repair: parsed.repaired }, evidence, facts: facts2 };
    if (parsed.bits !== 2048) return { outcome: 'not-rsa-2048', vars: { ...vars, detail: `RSA-${parsed.bits}` }, evidence, facts: facts2 };
    return { outcome: 'parsed', vars: { ...vars, bits: parsed.bits, newlines: parsed.newlines }, details: evidence, facts: facts2 };
  },
};
