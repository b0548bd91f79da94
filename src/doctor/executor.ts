/**
 * The impure half of doctor: ask the planner what to run, run those checks in parallel, turn
 * each module's outcome into a result through the tree's verdicts, merge the facts, repeat.
 */
import { redact } from '../redact.js';
import { fill, type Diagnostics } from './data.js';
import { planNext, selectOnly, type Decided } from './planner.js';
import type { CheckContext, CheckModule, CheckOutput, CheckResult, CheckSpec, Facts } from './types.js';

export interface ExecuteOptions {
  diagnostics: Diagnostics;
  modules: ReadonlyMap<string, CheckModule>;
  /** Everything but `spec`, which the executor sets per check. */
  context: Omit<CheckContext, 'spec'>;
  facts: Facts;
  only?: string[];
  /** Called as each check finishes (for progress output). */
  onResult?: (r: CheckResult) => void;
}

export function mergeFacts(into: Facts, add: Partial<Facts> | undefined): void {
  if (!add) return;
  for (const [k, v] of Object.entries(add) as Array<[keyof Facts, unknown]>) {
    if (v === undefined) continue;
    const cur = into[k];
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)) {
      (into as unknown as Record<string, unknown>)[k] = { ...(cur as object), ...(v as object) };
    } else {
      (into as unknown as Record<string, unknown>)[k] = v;
    }
  }
}

/** Turn a module's output into the printed result, using the tree's verdict for the outcome. */
export function toResult(spec: CheckSpec, out: CheckOutput, diagnostics: Diagnostics, durationMs: number): CheckResult {
  const verdict = spec.verdicts[out.outcome];
  if (!verdict) throw new Error(`check ${spec.id} returned outcome "${out.outcome}", which diagnostics/checks.yaml does not list`);
  const vars = out.vars ?? {};
  const causeId = verdict.cause ?? out.cause;
  const cause = causeId ? diagnostics.causes.get(causeId) : undefined;
  if (causeId && !cause) throw new Error(`check ${spec.id} names cause "${causeId}", which diagnostics/causes.yaml does not define`);
  const fixTemplate = out.fix ?? verdict.fix ?? cause?.fix;
  const defaults = diagnostics.varDefaults;
  return {
    id: spec.id,
    branch: spec.branch,
    title: spec.title,
    status: verdict.status,
    outcome: out.outcome,
    says: redact(fill(verdict.says, vars, defaults)),
    evidence: (out.evidence ?? []).map(redact),
    details: (out.details ?? []).map(redact),
    fix: fixTemplate && verdict.status !== 'pass' ? redact(fill(fixTemplate, vars, defaults)) : undefined,
    cause: causeId,
    vars: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v])),
    // A check that ran and found nothing to check (no template configured, no git) is a skip too:
    // every skip carries its reason, whoever decided it.
    skipReason: verdict.status === 'skip' ? redact(fill(verdict.says, vars, defaults)) : undefined,
    shown: true,
    durationMs,
  };
}

function skipped(spec: CheckSpec, reason: string, shown: boolean): CheckResult {
  return { id: spec.id, branch: spec.branch, title: spec.title, status: 'skip', says: spec.title, evidence: [], details: [], vars: {}, skipReason: redact(reason), shown, durationMs: 0 };
}

function crashed(spec: CheckSpec, err: unknown, durationMs: number): CheckResult {
  const msg = redact((err as Error)?.message ?? String(err));
  return {
    id: spec.id,
    branch: spec.branch,
    title: spec.title,
    status: 'fail',
    outcome: '(error)',
    says: `${spec.title}: the check itself failed`,
    evidence: [msg],
    details: [],
    fix: 'this is a bug in clerk-harness doctor; please report it with the line above',
    vars: {},
    shown: true,
    durationMs,
  };
}

async function runOne(spec: CheckSpec, opts: ExecuteOptions): Promise<{ result: CheckResult; facts?: Partial<Facts> }> {
  const started = performance.now();
  const mod = opts.modules.get(spec.id);
  try {
    if (!mod) throw new Error(`no module implements check ${spec.id}`);
    const out = await mod.run({ ...opts.context, spec }, opts.facts);
    return { result: toResult(spec, out, opts.diagnostics, Math.round(performance.now() - started)), facts: out.facts };
  } catch (err) {
    return { result: crashed(spec, err, Math.round(performance.now() - started)) };
  }
}

/** Walk the tree to the end; results come back in the order of checks.yaml. */
export async function executeChecks(opts: ExecuteOptions): Promise<CheckResult[]> {
  const { tree } = opts.diagnostics;
  const results = new Map<string, CheckResult>();
  const decided = new Map<string, Decided>();
  for (;;) {
    const plan = planNext(tree, { decided, unavailable: opts.facts.unavailable, only: opts.only });
    for (const s of plan.skip) {
      const r = skipped(tree.byId.get(s.id)!, s.reason, s.shown);
      results.set(s.id, r);
      decided.set(s.id, { status: 'skip' });
      opts.onResult?.(r);
    }
    if (plan.run.length === 0) break;
    const done = await Promise.all(plan.run.map((id) => runOne(tree.byId.get(id)!, opts)));
    for (const { result, facts } of done) {
      mergeFacts(opts.facts, facts);
      results.set(result.id, result);
      decided.set(result.id, { status: result.status, outcome: result.outcome });
      opts.onResult?.(result);
    }
  }
  // --only: prerequisites ran for their facts; show just what was asked for.
  const wanted = opts.only?.length ? new Set(selectOnly(tree, opts.only)) : undefined;
  const out = tree.checks.filter((c) => results.has(c.id)).map((c) => results.get(c.id)!);
  return wanted ? out.map((r) => ({ ...r, shown: wanted.has(r.id) })) : out;
}
