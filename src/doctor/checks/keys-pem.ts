/**
 * keys.pem: the PEM public keys a networkless verifier uses (CLERK_JWT_KEY in Clerk's SDKs,
 * CLERK_PEM_PUBLIC_KEY in the seeds' FastAPI app) parse, and how their newlines are written.
 * Every PEM variable present is parsed: a backend reads one of them, doctor cannot tell which, so
 * a problem in any is reported, naming the variable.
 */
import { valueProblem } from '../../config/placeholders.js';
import { where } from '../lib/env-file.js';
import { fingerprint, parsePem, PEM_KEYS, sameKey, type PemParse } from '../lib/pem.js';
import type { CheckModule, CheckOutput, Facts } from '../types.js';
import { backendEnv } from './env-values.js';

type Env = NonNullable<Facts['env']>;

/** Outcomes per variable, worst first: the worst one is the check's verdict. */
const SEVERITY = ['private-key', 'unparsable', 'one-line', 'escaped-sdk', 'escaped-only', 'one-line-sdk', 'not-rsa-2048', 'parsed'] as const;
type Outcome = (typeof SEVERITY)[number];

/**
 * How newlines were written matters per reader: Clerk's SDKs (CLERK_JWT_KEY) strip real newlines
 * and accept a one-line key but choke on literal \n; PyJWT-style apps (CLERK_PEM_PUBLIC_KEY)
 * usually expand \n themselves but cannot parse a one-line PEM.
 */
function outcomeOf(p: PemParse, key: string): Outcome {
  if (!p.ok) return p.private ? 'private-key' : 'unparsable';
  const sdk = key === 'CLERK_JWT_KEY';
  if (p.repaired && p.newlines === 'one line') return sdk ? 'one-line-sdk' : 'one-line';
  if (p.repaired) return sdk ? 'escaped-sdk' : 'escaped-only';
  if (p.bits !== 2048) return 'not-rsa-2048';
  return 'parsed';
}

interface Parsed {
  key: string;
  parse: PemParse;
  outcome: Outcome;
}

function describe(env: Env, p: Parsed): string {
  if (!p.parse.ok) return `${where(env, p.key)} ${p.key}: ${p.parse.private ? 'a PRIVATE key' : `does not parse (${p.parse.error})`}`;
  return `${where(env, p.key)} ${p.key}: RSA ${p.parse.bits} bits, ${p.parse.newlines}, ${fingerprint(p.parse.jwk)}`;
}

export const keysPem: CheckModule = {
  id: 'keys.pem',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const present = PEM_KEYS.filter((k) => env.values[k] && env.values[k].value.trim() !== '' && !valueProblem(env.values[k].value));
    if (present.length === 0) return { outcome: 'absent' };
    const all: Parsed[] = present.map((key) => {
      const parse = parsePem(env.values[key].value);
      return { key, parse, outcome: outcomeOf(parse, key) };
    });
    const worst = [...all].sort((a, b) => SEVERITY.indexOf(a.outcome) - SEVERITY.indexOf(b.outcome))[0];
    const evidence = all.map((p) => describe(env, p));
    const pems = all.flatMap((p) => (p.parse.ok ? [{ key: p.key, jwk: p.parse.jwk }] : []));
    let same = '';
    if (pems.length > 1) {
      const differ = pems.some((p) => !sameKey(p.jwk, pems[0].jwk));
      same = differ ? '; they hold DIFFERENT keys' : '; the same key';
      if (differ) evidence.push(`${pems.map((p) => p.key).join(' and ')} hold different keys: a backend verifies with the one it reads (CLERK_JWT_KEY: Clerk's SDKs; CLERK_PEM_PUBLIC_KEY: the seeds' FastAPI app)`);
    }
    const vars = { key: worst.key, envFile: env.display };
    const out: CheckOutput = { outcome: worst.outcome, vars, evidence, facts: pems.length ? { pems } : undefined };
    const p = worst.parse;
    switch (worst.outcome) {
      case 'private-key':
        // Never the value itself: the evidence names the variable and line only.
        return { ...out, evidence: all.filter((x) => x.outcome === 'private-key').map((x) => `${where(env, x.key)} ${x.key} holds a -----BEGIN ... PRIVATE KEY----- block`) };
      case 'unparsable':
        return { ...out, vars: { ...vars, error: p.ok ? '' : p.error } };
      case 'one-line':
      case 'one-line-sdk':
      case 'escaped-sdk':
      case 'escaped-only':
        return { ...out, vars: { ...vars, repair: p.ok ? (p.repaired ?? '') : '' } };
      case 'not-rsa-2048':
        return { ...out, vars: { ...vars, detail: p.ok ? `RSA-${p.bits}` : '' } };
      default: {
        const names = pems.map((x) => x.key).join(', ');
        return { outcome: 'parsed', vars: { ...vars, key: names, bits: p.ok ? p.bits : '', newlines: p.ok ? p.newlines : '', same }, details: evidence, facts: { pems } };
      }
    }
  },
};
