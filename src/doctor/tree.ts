/**
 * Build the in-memory tree from the parsed checks.yaml and check it for dangling names and
 * cycles. Pure: no file access (data.ts reads the files).
 */
import { NEED_IDS, type CheckSpec, type CheckStatus, type NeedId, type Tree, type Verdict } from './types.js';

const STATUSES: CheckStatus[] = ['pass', 'warn', 'fail', 'skip'];
const KNOWN_KEYS = new Set(['id', 'branch', 'title', 'needs', 'looks_at', 'verdicts', 'next', 'requires', 'after', 'after_if_run', 'reads', 'writes']);

type Raw = Record<string, unknown>;

function fail(file: string, where: string, msg: string): never {
  throw new Error(`${file}: ${where}: ${msg}`);
}

function strings(v: unknown, file: string, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(file, where, 'must be a list of names');
  return v as string[];
}

function verdictsOf(raw: unknown, file: string, id: string): Record<string, Verdict> {
  if (!raw || typeof raw !== 'object') fail(file, id, 'needs `verdicts:`');
  const out: Record<string, Verdict> = {};
  for (const [outcome, v] of Object.entries(raw as Raw)) {
    const r = v as Raw;
    if (!STATUSES.includes(r?.status as CheckStatus)) fail(file, `${id}.verdicts.${outcome}`, `status must be one of ${STATUSES.join(', ')}`);
    if (typeof r.says !== 'string') fail(file, `${id}.verdicts.${outcome}`, 'needs `says:`');
    out[outcome] = { status: r.status as CheckStatus, says: r.says, cause: r.cause as string | undefined, fix: r.fix as string | undefined };
  }
  return out;
}

function specOf(raw: Raw, file: string): CheckSpec {
  const id = raw.id;
  if (typeof id !== 'string' || !/^[a-z]+\.[a-z0-9-]+$/.test(id)) fail(file, String(id), 'id must look like branch.name');
  const needs = strings(raw.needs, file, `${id}.needs`);
  for (const n of needs) if (!NEED_IDS.includes(n as NeedId)) fail(file, `${id}.needs`, `unknown need "${n}"`);
  const next: Record<string, string[]> = {};
  for (const [outcome, ids] of Object.entries((raw.next ?? {}) as Raw)) next[outcome] = strings(ids, file, `${id}.next.${outcome}`);
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!KNOWN_KEYS.has(k)) params[k] = v;
  return {
    id,
    branch: String(raw.branch ?? id.split('.')[0]),
    title: String(raw.title ?? id),
    needs: needs as NeedId[],
    looksAt: String(raw.looks_at ?? ''),
    verdicts: verdictsOf(raw.verdicts, file, id),
    next,
    requires: strings(raw.requires, file, `${id}.requires`),
    after: strings(raw.after, file, `${id}.after`),
    afterIfRun: strings(raw.after_if_run, file, `${id}.after_if_run`),
    reads: strings(raw.reads, file, `${id}.reads`),
    writes: strings(raw.writes, file, `${id}.writes`),
    params,
  };
}

/**
 * Checks a check waits for: parents, requires, after, after_if_run and the establishers of its
 * needs. `forScope`: only those --only must pull in (after_if_run is waited for only when it runs
 * anyway, so `--only env` sends no request to the target just to sharpen env.audience).
 */
export function waitsFor(tree: Pick<Tree, 'needs' | 'parents'>, spec: CheckSpec, options: { forScope?: boolean } = {}): string[] {
  const est = spec.needs.map((n) => tree.needs[n]?.establishedBy).filter((e): e is string => !!e && e !== spec.id);
  const soft = options.forScope ? [] : spec.afterIfRun;
  return [...new Set([...(tree.parents.get(spec.id) ?? []), ...spec.requires, ...spec.after, ...soft, ...est])];
}

export function buildTree(doc: unknown, causeIds: ReadonlySet<string>, file = 'diagnostics/checks.yaml'): Tree {
  const raw = doc as Raw;
  if (!raw || !Array.isArray(raw.checks)) fail(file, 'top level', 'needs a `checks:` list');
  const checks = (raw.checks as Raw[]).map((c) => specOf(c, file));
  const byId = new Map<string, CheckSpec>();
  for (const c of checks) {
    if (byId.has(c.id)) fail(file, c.id, 'duplicate id');
    byId.set(c.id, c);
  }
  const needs = {} as Tree['needs'];
  for (const n of NEED_IDS) {
    const r = ((raw.needs ?? {}) as Raw)[n] as Raw | undefined;
    if (!r) fail(file, 'needs', `missing "${n}"`);
    const establishedBy = r.established_by as string | undefined;
    if (establishedBy && !byId.has(establishedBy)) fail(file, `needs.${n}`, `unknown check "${establishedBy}"`);
    needs[n] = { establishedBy, means: String(r.means ?? '') };
  }
  const parents = new Map<string, string[]>();
  for (const c of checks) {
    for (const [outcome, ids] of Object.entries(c.next)) {
      if (!c.verdicts[outcome]) fail(file, `${c.id}.next`, `outcome "${outcome}" has no verdict`);
      for (const child of ids) {
        if (!byId.has(child)) fail(file, `${c.id}.next.${outcome}`, `unknown check "${child}"`);
        const list = parents.get(child) ?? [];
        if (!list.includes(c.id)) list.push(c.id);
        parents.set(child, list);
      }
    }
    for (const dep of [...c.requires, ...c.after, ...c.afterIfRun]) if (!byId.has(dep)) fail(file, c.id, `unknown check "${dep}" in requires/after/after_if_run`);
    for (const [outcome, v] of Object.entries(c.verdicts)) {
      if (v.cause && !causeIds.has(v.cause)) fail(file, `${c.id}.verdicts.${outcome}`, `unknown cause "${v.cause}"`);
    }
  }
  const branches = (raw.branches ?? {}) as Record<string, string>;
  const partial = { needs, parents };
  // Topological order (Kahn); a leftover means a cycle.
  const pending = new Map(checks.map((c) => [c.id, new Set(waitsFor(partial, c))]));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => [...deps].every((d) => !pending.has(d))).map(([id]) => id);
    if (ready.length === 0) fail(file, [...pending.keys()].join(', '), 'these checks wait for each other (cycle)');
    for (const id of ready) {
      order.push(id);
      pending.delete(id);
    }
  }
  const tree: Tree = { version: Number(raw.version ?? 1), needs, branches, checks, byId, order, parents };
  // Every fact a check reads is written by a check it waits for (directly or through others):
  // otherwise it would read nothing, or something that depends on timing.
  for (const c of checks) {
    const before = writtenBefore(tree, c.id);
    for (const fact of c.reads) {
      if (!before.has(fact)) fail(file, `${c.id}.reads`, `fact "${fact}" is written by no check ${c.id} waits for${writers(checks, fact)}`);
    }
  }
  return tree;
}

function writers(checks: CheckSpec[], fact: string): string {
  const w = checks.filter((c) => c.writes.includes(fact)).map((c) => c.id);
  return w.length ? ` (written by ${w.join(', ')}: add it to after/requires)` : ' (no check writes it)';
}

/** Every check `id` waits for, directly or through the checks it waits for. */
export function waitsForAll(tree: Pick<Tree, 'needs' | 'parents' | 'byId'>, id: string): Set<string> {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const spec = tree.byId.get(stack.pop()!);
    if (!spec) continue;
    for (const w of waitsFor(tree, spec)) if (!seen.has(w)) (seen.add(w), stack.push(w));
  }
  seen.delete(id);
  return seen;
}

/** The facts written by the checks `id` waits for (the facts it can read). */
export function writtenBefore(tree: Pick<Tree, 'needs' | 'parents' | 'byId'>, id: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of waitsForAll(tree, id)) for (const f of tree.byId.get(w)!.writes) out.set(f, [...(out.get(f) ?? []), w]);
  return out;
}
