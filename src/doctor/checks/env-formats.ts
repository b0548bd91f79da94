/**
 * env.formats: each known value has the shape Clerk gives it. Empty values and placeholders are
 * left to env.required-keys and env.placeholders, so one mistake is reported once.
 */
import { valueProblem } from '../../config/placeholders.js';
import { where } from '../lib/env-file.js';
import { isPrivateKeyPem, pemArmourProblem, PEM_KEYS } from '../lib/pem.js';
import type { CheckModule } from '../types.js';
import { backendEnv } from './env-values.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function secretKeyProblem(v: string): string | undefined {
  if (/^pk_(test|live)_/.test(v)) return 'is a publishable key (pk_...); the secret key starts with sk_test_ or sk_live_';
  if (!/^sk_(test|live)_[A-Za-z0-9]+$/.test(v)) return 'does not look like a secret key (sk_test_... or sk_live_..., letters and digits only)';
  return undefined;
}

function publishableKeyProblem(v: string): string | undefined {
  if (/^sk_(test|live)_/.test(v)) return 'is a SECRET key in a publishable-key variable - it may reach the browser; rotate it';
  const m = /^pk_(test|live)_([A-Za-z0-9+/=_-]+)$/.exec(v);
  if (!m) return 'does not look like a publishable key (pk_test_... or pk_live_...)';
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  if (!decoded.endsWith('$') || !decoded.slice(0, -1).includes('.')) return 'does not decode to a Frontend API host (copy it again from the dashboard)';
  return undefined;
}

function urlProblem(v: string, requireHttps: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'is not a URL (expected e.g. https://your-app.clerk.accounts.dev)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `has scheme ${u.protocol} (expected https://)`;
  if (requireHttps && u.protocol === 'http:' && !LOOPBACK.has(u.hostname)) return 'must be an https URL (http is only for a local emulator)';
  return undefined;
}

type Rule = { test: (key: string) => boolean; problem: (value: string) => string | undefined };

const RULES: Rule[] = [
  { test: (k) => k === 'CLERK_SECRET_KEY', problem: secretKeyProblem },
  { test: (k) => /(^|_)CLERK_PUBLISHABLE_KEY$/.test(k), problem: publishableKeyProblem },
  { test: (k) => PEM_KEYS.includes(k), problem: pemArmourProblem },
  { test: (k) => k === 'CLERK_ISSUER', problem: (v) => urlProblem(v, true) },
  { test: (k) => ['CLERK_API_URL', 'CLERK_JWKS_URL', 'CLERK_FRONTEND_API_URL', 'TARGET_URL'].includes(k), problem: (v) => urlProblem(v, false) },
  { test: (k) => /USER_ID$/.test(k) && k.startsWith('CLERK'), problem: (v) => (/^user_[A-Za-z0-9]+$/.test(v) ? undefined : 'is not a Clerk user id (user_ followed by letters and digits)') },
  { test: (k) => k === 'CLERK_JWT_TEMPLATE', problem: (v) => (/^[A-Za-z0-9_.-]{1,64}$/.test(v) ? undefined : 'is not a template name (letters, digits, _ . -)') },
];

export const envFormats: CheckModule = {
  id: 'env.formats',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    // A private key is a leaked secret, not a format slip: its own verdict, ranked above all.
    const leaked = PEM_KEYS.filter((k) => env.values[k] && isPrivateKeyPem(env.values[k].value));
    const checked: string[] = [];
    const problems: Array<{ key: string; problem: string }> = [];
    for (const [key, entry] of Object.entries(env.values)) {
      if (leaked.includes(key)) continue;
      const value = entry.value.trim();
      const rule = RULES.find((r) => r.test(key));
      if (!rule || value === '' || valueProblem(value)) continue;
      checked.push(key);
      const problem = rule.problem(value);
      if (problem) problems.push({ key, problem });
    }
    const issuer = env.values.CLERK_ISSUER?.value.trim();
    const slash = issuer && issuer.endsWith('/') && !problems.some((p) => p.key === 'CLERK_ISSUER');
    if (leaked.length) {
      // The verdict is the leak; the other format problems still show as evidence.
      return {
        outcome: 'private-key',
        vars: { key: leaked.join(' and '), envFile: env.display },
        evidence: [
          ...leaked.map((k) => `${where(env, k)} ${k} holds a -----BEGIN ... PRIVATE KEY----- block (its value is not shown)`),
          ...problems.map((p) => `also: ${where(env, p.key)} ${p.key} ${p.problem}`),
          ...(slash ? [`also: ${where(env, 'CLERK_ISSUER')} CLERK_ISSUER=${issuer} - tokens carry iss without the trailing slash`] : []),
        ],
      };
    }
    if (problems.length === 0 && !slash) return { outcome: 'well-formed', vars: { checked: checked.join(', ') || 'no Clerk keys' } };
    const evidence = problems.map((p) => `${where(env, p.key)} ${p.key} ${p.problem}`);
    if (slash) evidence.push(`${where(env, 'CLERK_ISSUER')} CLERK_ISSUER=${issuer} - tokens carry iss without the trailing slash`);
    if (problems.length === 0) return { outcome: 'issuer-trailing-slash', vars: { key: 'CLERK_ISSUER', envFile: env.display }, evidence };
    return { outcome: 'malformed', vars: { key: problems[0].key, problem: problems[0].problem, envFile: env.display }, evidence };
  },
};
