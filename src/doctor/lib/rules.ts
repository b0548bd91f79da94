/**
 * Ordered rules over named facts (diagnostics/auth-rules.yaml): what a check concludes, as data a
 * person reads and edits. Pure: building checks the rules against the tree (every fact a rule
 * reads is derived from facts written by checks that run before the rule's check; every outcome
 * is a verdict of that check), evaluating picks the first rule whose `when` holds.
 */
import { writtenBefore } from '../tree.js';
import type { Tree } from '../types.js';

/** A fact's value as rules see it: a name (a cause id, `none`), true/false, or `unknown`. */
export type FactValue = string | boolean;

export interface RuleFact {
  name: string;
  /** Facts written by checks (checks.yaml `writes:`) this one is derived from. */
  from: string[];
  means: string;
}

export interface Rule {
  id: string;
  /** fact -> the values for which the rule holds (one of them). */
  when: Record<string, FactValue[]>;
  /** A verdict of the check; `{fact}` takes the fact's value (which must then be a verdict). */
  outcome: string;
  /** Lines added to the check's evidence; {name} is filled from the check's vars. */
  evidence: string[];
}

export interface RuleSet {
  /** The check that evaluates these rules. */
  check: string;
  facts: ReadonlyMap<string, RuleFact>;
  rules: Rule[];
  settings: Record<string, number>;
}

type Raw = Record<string, unknown>;

function fail(file: string, where: string, msg: string): never {
  throw new Error(`${file}: ${where}: ${msg}`);
}

function valuesOf(v: unknown, file: string, where: string): FactValue[] {
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) if (typeof x !== 'string' && typeof x !== 'boolean') fail(file, where, 'values must be names, true, false or unknown');
  return list as FactValue[];
}

export function buildRules(doc: unknown, tree: Tree, file = 'diagnostics/auth-rules.yaml'): RuleSet {
  const raw = doc as Raw;
  if (!raw || typeof raw !== 'object') fail(file, 'top level', 'expected a mapping');
  const check = raw.check;
  if (typeof check !== 'string' || !tree.byId.has(check)) fail(file, 'check', `unknown check "${String(check)}"`);
  const spec = tree.byId.get(check)!;
  const before = writtenBefore(tree, check);

  const facts = new Map<string, RuleFact>();
  for (const [name, f] of Object.entries((raw.facts ?? {}) as Record<string, Raw>)) {
    const from = Array.isArray(f?.from) ? (f.from as unknown[]).map(String) : fail(file, `facts.${name}`, 'needs `from:` (the written facts it is derived from)');
    for (const w of from) {
      if (!before.has(w)) {
        const writers = tree.checks.filter((c) => c.writes.includes(w)).map((c) => c.id);
        fail(file, `facts.${name}`, `reads "${w}", which no check before ${check} writes${writers.length ? ` (${writers.join(', ')} writes it: make ${check} wait for it)` : ''}`);
      }
    }
    facts.set(name, { name, from, means: String(f.means ?? '') });
  }

  if (!Array.isArray(raw.rules) || raw.rules.length === 0) fail(file, 'rules', 'needs an ordered list of rules');
  const ids = new Set<string>();
  const rules = (raw.rules as Raw[]).map((r, i) => {
    const id = typeof r.id === 'string' ? r.id : fail(file, `rules[${i}]`, 'needs an id');
    if (ids.has(id)) fail(file, `rules.${id}`, 'duplicate id');
    ids.add(id);
    const when: Record<string, FactValue[]> = {};
    for (const [fact, v] of Object.entries((r.when ?? {}) as Raw)) {
      if (!facts.has(fact)) fail(file, `rules.${id}.when`, `reads fact "${fact}", which \`facts:\` does not declare (nothing before ${check} writes it)`);
      when[fact] = valuesOf(v, file, `rules.${id}.when.${fact}`);
    }
    const outcome = typeof r.outcome === 'string' ? r.outcome : fail(file, `rules.${id}`, 'needs an outcome');
    const templated = /^\{([a-z-]+)\}$/.exec(outcome);
    const possible = templated ? (when[templated[1]] ?? fail(file, `rules.${id}.outcome`, `{${templated[1]}} needs when.${templated[1]} to list its values`)).map(String) : [outcome];
    for (const o of possible) if (!spec.verdicts[o]) fail(file, `rules.${id}.outcome`, `"${o}" is not a verdict of ${check} (checks.yaml)`);
    const evidence = r.evidence === undefined ? [] : Array.isArray(r.evidence) ? r.evidence.map(String) : [String(r.evidence)];
    return { id, when, outcome, evidence };
  });
  const settings = (raw.settings ?? {}) as Record<string, number>;
  return { check, facts, rules, settings };
}

/** The first rule whose every `when` holds for `values`, and the outcome it names. */
export function evaluateRules(set: RuleSet, values: Readonly<Record<string, FactValue>>): { rule: Rule; outcome: string } | undefined {
  for (const rule of set.rules) {
    const holds = Object.entries(rule.when).every(([fact, allowed]) => allowed.includes(values[fact] ?? 'unknown'));
    if (!holds) continue;
    const outcome = rule.outcome.replace(/^\{([a-z-]+)\}$/, (_m, f: string) => String(values[f]));
    return { rule, outcome };
  }
  return undefined;
}
