/**
 * env.required-keys and env.placeholders: what the backend's env file holds, key by key.
 */
import { valueProblem } from '../../config/placeholders.js';
import { where } from '../lib/env-file.js';
import { bodyLine } from '../lib/http.js';
import type { CheckModule, Facts } from '../types.js';
import { missingVariable } from './server.js';

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

interface Style {
  id: string;
  name: string;
  whenAny: string[];
  requiresAny: string[];
}

function stylesOf(params: Record<string, unknown>): Style[] {
  const raw = (params.styles ?? []) as Array<Record<string, unknown>>;
  return raw.map((r) => ({ id: String(r.id), name: String(r.name ?? r.id), whenAny: (r.when_any ?? []) as string[], requiresAny: (r.requires_any ?? []) as string[] }));
}

const isSet = (env: NonNullable<Facts['env']>, k: string) => !!env.values[k] && env.values[k].value.trim() !== '';

/**
 * What the backend reads depends on how it verifies, which its env file (and the target's
 * answers) tell: the first style of checks.yaml whose `when_any` key is set. A variable the
 * server itself names as missing (a 500 body) is required whatever the style. The harness's own
 * CLERK_SECRET_KEY, used to mint, is clerk.config's: a PEM-only backend does not need one.
 */
export const envRequiredKeys: CheckModule = {
  id: 'env.required-keys',
  async run(ctx, facts) {
    const env = backendEnv(facts);
    const styles = stylesOf(ctx.spec.params);
    const style = styles.find((s) => s.whenAny.some((k) => isSet(env, k)));
    const answer = facts.target?.failed500;
    const named = answer ? missingVariable(answer.body) : undefined;
    const details = [`the harness's own CLERK_SECRET_KEY (to mint test tokens) is checked by clerk.config, not here`];
    if (named && !isSet(env, named)) {
      return {
        outcome: 'missing',
        vars: { key: named, envFile: env.display, reason: `the server answered ${answer!.status} naming it` },
        evidence: [env.values[named] ? `${where(env, named)} ${named} is empty` : `${named} is not in ${env.display}`, `the server said: ${bodyLine(answer!.body, 200)}`],
      };
    }
    if (!style) {
      return {
        outcome: 'no-key-source',
        vars: { envFile: env.display },
        evidence: [
          ...[...new Set(styles.flatMap((s) => s.requiresAny))].filter((k) => env.values[k]).map((k) => `${where(env, k)} ${k} is empty`),
          ...styles.map((s) => `${s.name}: reads ${s.requiresAny.join(' or ')}`),
        ],
      };
    }
    const present = style.requiresAny.filter((k) => isSet(env, k));
    if (present.length === 0) {
      const key = style.requiresAny[0];
      return { outcome: 'missing', vars: { key, envFile: env.display, reason: `a backend verifying by ${style.name} reads it` }, evidence: [`${key} is not in ${env.display}`] };
    }
    const keys = [...present, ...(named ? [named] : [])].filter((k, i, a) => a.indexOf(k) === i);
    return {
      outcome: 'complete',
      vars: { keys: keys.join(', '), style: style.name },
      details: [...keys.map((k) => `${where(env, k)} ${k}`), ...details],
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
