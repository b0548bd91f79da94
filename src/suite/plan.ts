/**
 * The run plan: everything a vitest worker needs to run a suite, serialisable (it crosses into the
 * worker through vitest's `provide`/`inject`). Built once in the CLI process.
 */
import type { CaseDef, Expectation, Severity } from '../cases/types.js';
import type {} from 'vitest';
import { HarnessError } from '../errors.js';
import type { ResolvedPersona } from '../personas/setup.js';
import type { AuthzCaseSpec } from './authz/generate.js';
import type { Suite, SuiteEndpoint } from './types.js';

export interface PlannedCase {
  id: string;
  expect: Expectation;
  /** Set when the suite skips the case: the reason shown in every report. */
  skipReason?: string;
  /** The persona whose tokens the case sends (endpoints with an access rule); unset = the test user. */
  persona?: string;
  /** An authorization case generated from the endpoint's access rule (issue 11), not a catalogue case. */
  authz?: AuthzCaseSpec;
}

export interface RunPlan {
  suite: Suite;
  targetUrl: string;
  clerk: { apiUrl: string; secretKey: string; testUserId?: string; testUserEmail: string };
  mode: 'clerk' | 'emulator';
  template?: string;
  publicKeyPem?: string;
  cases: PlannedCase[];
  failOn: Exclude<Severity, 'info'>;
  /** The suite's personas as they exist in the instance (set when the suite has personas). */
  personas?: ResolvedPersona[];
  /** Per endpoint name: the catalogue's cases as its principal persona, then its authorization cases. */
  endpointCases?: Record<string, PlannedCase[]>;
}

/** The cases one endpoint runs: the catalogue's (as the endpoint's persona, if any) and its authorization cases. */
export function casesOf(plan: RunPlan, endpoint: SuiteEndpoint): PlannedCase[] {
  return plan.endpointCases?.[endpoint.name] ?? plan.cases;
}

declare module 'vitest' {
  export interface ProvidedContext {
    harnessPlan: RunPlan;
  }
}

function matches(selector: string, c: CaseDef): boolean {
  return selector.startsWith('tag:') ? c.tags.includes(selector.slice(4)) : selector === c.id;
}

/** Select and order cases: suite include/exclude/skip/expect, unknown ids named with the fix. */
export function planCases(catalogue: CaseDef[], suite: Suite, extraSkips: Record<string, string> = {}): PlannedCase[] {
  const ids = new Set(catalogue.map((c) => c.id));
  const tags = new Set(catalogue.flatMap((c) => c.tags));
  const check = (field: string, selector: string) => {
    const ok = selector.startsWith('tag:') ? tags.has(selector.slice(4)) : ids.has(selector);
    if (!ok) {
      throw new HarnessError('SUITE_INVALID', `${suite.file}: ${field} names unknown case "${selector}"`, {
        hint: `known cases: ${[...ids].join(', ')}; tags: ${[...tags].map((t) => `tag:${t}`).join(', ')}`,
      });
    }
  };
  suite.cases.include?.forEach((s) => check('cases.include', s));
  suite.cases.exclude.forEach((s) => check('cases.exclude', s));
  Object.keys(suite.cases.skip).forEach((s) => check('cases.skip', s));
  Object.keys(suite.cases.expect).forEach((s) => check('cases.expect', s));

  const chosen = catalogue.filter(
    (c) => (!suite.cases.include || suite.cases.include.some((s) => matches(s, c))) && !suite.cases.exclude.some((s) => matches(s, c)),
  );
  // Cases that may wait for a genuine token to expire run last, so the wait overlaps the others.
  const waits = (c: CaseDef) => Number(c.needs.includes('expired-real-token') || (c.needsAnyOf ?? []).includes('expired-real-token'));
  chosen.sort((a, b) => waits(a) - waits(b));
  return chosen.map((c) => ({
    id: c.id,
    expect: suite.cases.expect[c.id] ?? c.expect,
    skipReason: suite.cases.skip[c.id] ?? extraSkips[c.id],
  }));
}
