/**
 * The pure half of doctor: from what is known so far (outcomes of finished checks, needs found
 * unavailable) decide which checks run next and which are skipped, and why. No I/O; table-tested.
 */
import { waitsFor } from './tree.js';
import type { CheckStatus, NeedId, Tree } from './types.js';

export interface Decided {
  status: CheckStatus;
  outcome?: string;
}

export interface PlanInput {
  /** Checks already finished or skipped. */
  decided: ReadonlyMap<string, Decided>;
  /** Needs known to be unavailable, with the reason. */
  unavailable: Partial<Record<NeedId, string>>;
  /** --only: check ids or branch names; their prerequisites run too but are not shown. */
  only?: string[];
}

export interface Skip {
  id: string;
  reason: string;
  /** Shown to the user: the check was wanted but a need is unavailable (or it was asked for). */
  shown: boolean;
}

export interface Plan {
  run: string[];
  skip: Skip[];
  /** Nothing left to run or skip. */
  done: boolean;
}

/** Checks selected by --only (ids or branch names), in tree order. */
export function selectOnly(tree: Tree, only: string[]): string[] {
  const picked = tree.checks.filter((c) => only.some((o) => o === c.id || o === c.branch)).map((c) => c.id);
  return picked;
}

/** The selected checks plus everything they wait for, transitively. */
export function scopeOf(tree: Tree, only?: string[]): Set<string> {
  if (!only || only.length === 0) return new Set(tree.order);
  const scope = new Set<string>();
  const visit = (id: string) => {
    if (scope.has(id)) return;
    scope.add(id);
    for (const dep of waitsFor(tree, tree.byId.get(id)!, { forScope: true })) visit(dep);
  };
  selectOnly(tree, only).forEach(visit);
  return scope;
}

function routes(tree: Tree, parent: string, child: string, d: Decided | undefined): boolean {
  if (!d?.outcome) return false;
  return (tree.byId.get(parent)!.next[d.outcome] ?? []).includes(child);
}

export function planNext(tree: Tree, input: PlanInput): Plan {
  const scope = scopeOf(tree, input.only);
  const wanted = new Set(input.only?.length ? selectOnly(tree, input.only) : []);
  const decided = new Map(input.decided);
  const run: string[] = [];
  const skip: Skip[] = [];
  const add = (s: Skip) => {
    skip.push(s);
    decided.set(s.id, { status: 'skip' });
  };
  for (const id of tree.order) {
    if (!scope.has(id) || decided.has(id)) continue;
    const spec = tree.byId.get(id)!;
    const waits = waitsFor(tree, spec).filter((w) => scope.has(w));
    if (!waits.every((w) => decided.has(w))) continue;

    const need = spec.needs.find((n) => input.unavailable[n]);
    const needReason = need ? `needs ${need}: ${input.unavailable[need]}` : undefined;
    const parents = (tree.parents.get(id) ?? []).filter((p) => scope.has(p));
    const reached = parents.length === 0 || parents.some((p) => routes(tree, p, id, decided.get(p)));
    if (!reached) {
      const why = parents.map((p) => `${p} ${decided.get(p)?.outcome ?? 'skipped'}`).join(', ');
      add({ id, reason: needReason ?? `not reached (${why})`, shown: needReason !== undefined || wanted.has(id) });
      continue;
    }
    // A required check must have passed, or ended with an outcome that still routes here: the
    // tree says that outcome yields the facts (a one-line PEM fails, yet its key can be compared).
    // One that routes elsewhere (a JWKS that could not be fetched) does not count.
    const satisfied = (r: string) => {
      const d = decided.get(r);
      return d?.status === 'pass' || ((d?.status === 'warn' || d?.status === 'fail') && routes(tree, r, id, d));
    };
    const unmet = spec.requires.find((r) => !satisfied(r));
    if (unmet) {
      const d = decided.get(unmet);
      add({ id, reason: needReason ?? `needs ${unmet} to pass (it was ${d?.outcome ?? d?.status ?? 'not run'})`, shown: needReason !== undefined || wanted.has(id) });
      continue;
    }
    if (needReason) {
      add({ id, reason: needReason, shown: true });
      continue;
    }
    run.push(id);
  }
  const done = run.length === 0 && [...scope].every((id) => decided.has(id));
  return { run, skip, done };
}
