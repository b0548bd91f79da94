/**
 * env.required-keys and env.placeholders: what the backend's env file holds, key by key.
 */
import { valueProblem } from '../../config/placeholders.js';
import { where } from '../lib/env-file.js';
import type { CheckModule, Facts } from '../types.js';

export function backendEnv(facts: Readonly<Facts>): NonNullable<Facts['env']> {
  if (!facts.env) throw new Error('env facts missing: env.file must run first');
  return facts.env;
}

/**
 * Value of the first of `keys` that holds a usable value, with its name. Placeholders and pasted
 * Markdown links are not usable: env.placeholders reports them, and no other check interprets
 * them (an audience "[my-api](https://x)" is a paste mistake, not an audience).
 */
export function firstValue(env: NonNullable<Facts['env']>, keys: string[]): { key: string; value: string } | undefined {
  for (const key of keys) {
    const v = env.values[key]?.value.trim();
    if (v && !valueProblem(v)) return { key, value: v };
  }
  return undefined;
}

/** The first of `keys` that is set but holds a placeholder or Markdown link, with the problem. */
export function unusableValue(env: NonNullable<Facts['env']>, keys: string[]): { key: string; problem: string } | undefined {
  for (const key of keys) {
    const v = env.values[key]?.value.trim();
    const problem = v ? valueProblem(v) : undefined;
    if (problem) return { key, problem: problem.detail };
  }
  return undefined;
}

export const envRequiredKeys: CheckModule = {
  id: 'env.required-keys',
  async run(ctx, facts) {
    const env = backendEnv(facts);
    const required = (ctx.spec.params.required as string[] | undefined) ?? ['CLERK_SECRET_KEY'];
    const missing = required.filter((k) => !env.values[k] || env.values[k].value.trim() === '');
    if (missing.length === 0) return { outcome: 'complete', vars: { keys: required.join(', ') } };
    return {
      outcome: 'missing',
      vars: { key: missing[0], envFile: env.display },
      evidence: missing.map((k) => (env.values[k] ? `${where(env, k)} ${k} is empty` : `${k} is not in ${env.display}`)),
    };
  },
};

export const envPlaceholders: CheckModule = {
  id: 'env.placeholders',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const problems = Object.entries(env.values)
      .filter(([, v]) => v.value.trim() !== '')
      .map(([key, v]) => ({ key, problem: valueProblem(v.value) }))
      .filter((p): p is { key: string; problem: NonNullable<ReturnType<typeof valueProblem>> } => p.problem !== undefined);
    if (problems.length === 0) return { outcome: 'clean', vars: { count: Object.keys(env.values).length } };
    const first = problems[0];
    return {
      outcome: first.problem.kind === 'markdown-link' ? 'markdown-link' : 'placeholder',
      vars: { key: first.key, problem: first.problem.detail, envFile: env.display },
      evidence: problems.map((p) => `${where(env, p.key)} ${p.key} ${p.problem.detail}`),
    };
  },
};
