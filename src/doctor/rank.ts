/**
 * Root-cause ranking: group failed and warned checks by the cause their verdict names, score each
 * cause by its weight (causes.yaml), and put the most likely first. A specific cause ("the PEM is
 * stale") outranks a symptom ("a fresh token gets 401") by weight; ties go to more supporting
 * checks, then to the check deeper in the tree.
 */
import { redact } from '../redact.js';
import { fill, type Diagnostics } from './data.js';
import type { CheckResult, RootCause, Tree, Vars } from './types.js';

/** Depth of each check: the longest chain of checks it waits for. */
export function depths(tree: Tree): Map<string, number> {
  const d = new Map<string, number>();
  for (const id of tree.order) {
    const parents = tree.parents.get(id) ?? [];
    d.set(id, parents.length ? Math.max(...parents.map((p) => (d.get(p) ?? 0) + 1)) : 0);
  }
  return d;
}

const WARN_PENALTY = 15;
/** causes.yaml keeps weight 100 for a leaked secret: such a cause comes first whatever else scored. */
const ALWAYS_FIRST = 100;
const SUPPORT_BONUS = 3;
/** Warnings scoring below this are not listed as root causes when something failed. */
const MINOR_WARNING = 40;

export function rankCauses(results: CheckResult[], diagnostics: Diagnostics): RootCause[] {
  const depth = depths(diagnostics.tree);
  const groups = new Map<string, CheckResult[]>();
  for (const r of results) {
    if ((r.status !== 'fail' && r.status !== 'warn') || !r.cause) continue;
    groups.set(r.cause, [...(groups.get(r.cause) ?? []), r]);
  }
  const ranked = [...groups].map(([id, rs]) => {
    const cause = diagnostics.causes.get(id)!;
    rs.sort((a, b) => (depth.get(b.id) ?? 0) - (depth.get(a.id) ?? 0));
    const anyFail = rs.some((r) => r.status === 'fail');
    const score = cause.weight - (anyFail ? 0 : WARN_PENALTY) + SUPPORT_BONUS * (rs.length - 1);
    // Vars of the most specific check win; the others fill gaps.
    const vars: Vars = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.vars)) if (vars[k] === undefined) vars[k] = v;
    return {
      id,
      title: cause.title,
      fix: redact(fill(rs.find((r) => r.fix)?.fix ?? cause.fix, vars, diagnostics.varDefaults)),
      score,
      checks: rs.map((r) => r.id),
      evidence: rs.map((r) => r.says),
      _depth: Math.max(...rs.map((r) => depth.get(r.id) ?? 0)),
      _fail: anyFail,
      _first: cause.weight >= ALWAYS_FIRST && anyFail,
    };
  });
  ranked.sort((a, b) => Number(b._first) - Number(a._first) || b.score - a.score || b.checks.length - a.checks.length || b._depth - a._depth);
  // Next to real failures, minor warnings (an unignored env file, no audit dir yet) are noise.
  const somethingFailed = results.some((r) => r.status === 'fail' && r.cause);
  return ranked.filter((c) => !somethingFailed || c._fail || c.score >= MINOR_WARNING).map(({ _depth, _fail, _first, ...rest }) => rest);
}
