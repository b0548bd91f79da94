/**
 * The run plan: everything a vitest worker needs to run a suite, serialisable (it crosses into the
 * worker through vitest's `provide`/`inject`). Built once in the CLI process.
 */
import type { SessionRef } from '../tokens/types.js';
import type { CaseDef, Expectation, Severity } from '../cases/types.js';
import type {} from 'vitest';
import { HarnessError } from '../errors.js';
import type { ResolvedPersona } from '../personas/setup.js';
import { generateAuthzCases, principalOf, type AuthzCaseSpec, type GeneratedCase } from './authz/generate.js';
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
  clerk: {
    apiUrl: string;
    secretKey: string;
    testUserId?: string;
    testUserEmail: string;
    /** The test user's session, created while the plan was built, so the worker's first mint needs no session call. */
    session?: SessionRef;
  };
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
    /** Where the worker gets the plan when vitest started before it was built (plan-channel.ts). */
    harnessPlanChannel: import('./plan-channel.js').PlanAddress;
  }
}

/** What a `cases` selector can name: a case id, or `tag:<tag>`. */
type Selectable = Pick<CaseDef, 'id' | 'tags'>;

function matches(selector: string, c: Selectable): boolean {
  return selector.startsWith('tag:') ? c.tags.includes(selector.slice(4)) : selector === c.id;
}

/** An authorization case as the `cases` selectors see it: its id, tagged `authz` and its kind (`tag:bola`). */
const selectable = (g: GeneratedCase): Selectable => ({ id: g.id, tags: ['authz', g.authz.kind] });

/**
 * Select and order cases: suite include/exclude/skip/expect, unknown ids named with the fix.
 * `authz` holds every endpoint's generated authorization cases, so selectors may name them too.
 */
export function planCases(catalogue: CaseDef[], suite: Suite, extraSkips: Record<string, string> = {}, authz: GeneratedCase[] = []): PlannedCase[] {
  const known: Selectable[] = [...catalogue, ...authz.map(selectable)];
  const ids = new Set(known.map((c) => c.id));
  const tags = new Set(known.flatMap((c) => c.tags));
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

  const chosen = catalogue.filter((c) => chosenBy(suite, c));
  // Cases that may wait for a genuine token to expire run last, so the wait overlaps the others.
  const waits = (c: CaseDef) => Number(c.needs.includes('expired-real-token') || (c.needsAnyOf ?? []).includes('expired-real-token'));
  chosen.sort((a, b) => waits(a) - waits(b));
  return chosen.map((c) => ({
    id: c.id,
    expect: suite.cases.expect[c.id] ?? c.expect,
    skipReason: suite.cases.skip[c.id] ?? extraSkips[c.id],
  }));
}

function chosenBy(suite: Suite, c: Selectable): boolean {
  return (!suite.cases.include || suite.cases.include.some((s) => matches(s, c))) && !suite.cases.exclude.some((s) => matches(s, c));
}

/**
 * One endpoint's authorization cases through the suite's selectors (checked by planCases). An
 * `expect` that turns a refusal into an acceptance (or back) moves the expected status with it.
 */
export function planAuthzCases(generated: GeneratedCase[], suite: Suite, endpoint: SuiteEndpoint): PlannedCase[] {
  return generated.filter((g) => chosenBy(suite, selectable(g))).map((g) => {
    const expect = suite.cases.expect[g.id] ?? g.expect;
    const expectedStatus = expect === g.expect ? g.authz.expectedStatus : expect === 'accepted' ? endpoint.acceptedStatus : [endpoint.access?.refusedStatus ?? 403];
    const skipReason = suite.cases.skip[g.id] ?? g.skipReason;
    return { id: g.id, expect, persona: g.persona, authz: { ...g.authz, expectedStatus }, ...(skipReason ? { skipReason } : {}) };
  });
}

/**
 * Every test of the suite, decided without the network: the catalogue's cases, and per endpoint
 * with an access rule the catalogue run as its principal persona plus its authorization cases.
 */
export function planSuite(catalogue: CaseDef[], suite: Suite, extraSkips: Record<string, string> = {}): Pick<RunPlan, 'cases' | 'endpointCases'> {
  const generated = new Map(suite.personas ? suite.endpoints.map((e) => [e.name, generateAuthzCases(suite, e)]) : []);
  const cases = planCases(catalogue, suite, extraSkips, [...generated.values()].flat());
  if (!suite.personas) return { cases };
  const endpointCases: Record<string, PlannedCase[]> = {};
  const templateCases = new Set(catalogue.filter((c) => c.needs.includes('template')).map((c) => c.id));
  for (const endpoint of suite.endpoints) {
    if (!endpoint.access) continue;
    const principal = principalOf(suite, endpoint);
    const catalogueCases = cases.map((c): PlannedCase => {
      if (!principal) return { ...c, skipReason: c.skipReason ?? 'no persona is allowed on this endpoint by its access rule, so no valid token can be tried' };
      const skipReason = c.skipReason ?? (templateCases.has(c.id) && onlyOrgRules(endpoint) ? ORG_ONLY_TEMPLATE_SKIP : undefined);
      return { ...c, persona: principal, ...(skipReason ? { skipReason } : {}) };
    });
    endpointCases[endpoint.name] = [...catalogueCases, ...planAuthzCases(generated.get(endpoint.name) ?? [], suite, endpoint)];
  }
  return { cases, endpointCases };
}

/** A JWT template token carries the template's claims and no `o`: a route that admits by role or permission alone refuses it. */
const ORG_ONLY_TEMPLATE_SKIP = "a JWT template's claims carry no active organization, role or permission, so this route (access by role or permission only) refuses template tokens by design";

/** The endpoint admits only by organization role or permission (no signed-in, owner or named-persona rule). */
const onlyOrgRules = (endpoint: SuiteEndpoint) => !!endpoint.access && endpoint.access.allow.every((r) => r.kind === 'role' || r.kind === 'permission');
