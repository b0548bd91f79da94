import { describe, expect, it } from 'vitest';
import { loadDiagnostics } from '../src/doctor/data.js';
import { planNext, scopeOf, type Decided, type PlanInput } from '../src/doctor/planner.js';
import { buildTree } from '../src/doctor/tree.js';
import type { NeedId, Tree } from '../src/doctor/types.js';

const { tree } = loadDiagnostics();
const NO_NEEDS = {
  'env-file': { means: '' },
  'clerk-network': { means: '' },
  target: { means: '' },
  'local-process': { means: '' },
};

function input(decided: Record<string, Decided | string>, unavailable: Partial<Record<NeedId, string>> = {}, only?: string[]): PlanInput {
  const map = new Map<string, Decided>();
  for (const [id, d] of Object.entries(decided)) {
    if (typeof d !== 'string') {
      map.set(id, d);
      continue;
    }
    const outcome = d;
    const status = tree.byId.get(id)?.verdicts[outcome]?.status ?? 'pass';
    map.set(id, { status, outcome });
  }
  return { decided: map, unavailable, only };
}

/** Every check id of a branch. */
const branch = (name: string) => tree.checks.filter((c) => c.branch === name).map((c) => c.id);

describe('planNext on the real tree (diagnostics/checks.yaml)', () => {
  // Each row: what is known → what must run next, and what must (not) be skipped.
  const table: Array<{
    name: string;
    known: Record<string, string>;
    unavailable?: Partial<Record<NeedId, string>>;
    /** Must run now. */
    runs: string[];
    /** Must not run yet (waiting, or skipped). */
    waits?: string[];
    /** runs is the complete list. */
    exact?: boolean;
    skips?: Array<{ id: string; shown: boolean; reason?: RegExp }>;
  }> = [
    {
      name: 'at the start the roots run in parallel; the audit checks wait for the fresh-token request',
      known: {},
      runs: ['env.file', 'clerk.config', 'target.reachable'],
      waits: ['audit.dir'],
      exact: true,
    },
    {
      name: 'no target URL: target.reachable is skipped and shown with the reason',
      known: {},
      unavailable: { target: 'no target URL' },
      runs: ['env.file', 'clerk.config'],
      exact: true,
      skips: [
        { id: 'target.reachable', shown: true, reason: /needs target: no target URL/ },
        { id: 'target.no-token', shown: true, reason: /needs target/ },
        { id: 'target.clock', shown: true },
      ],
    },
    {
      name: 'env file found: the env branch fans out; keys.jwks waits for clerk.api, env.audience and env.required-keys for the target\'s answers',
      known: { 'env.file': 'found', 'clerk.config': 'ready', 'target.reachable': 'ok' },
      runs: ['env.placeholders', 'env.formats', 'env.key-mode', 'env.git', 'keys.pem', 'clerk.api', 'target.clock', 'target.no-token'],
      waits: ['keys.jwks', 'audit.dir', 'target.fresh-token', 'env.audience', 'env.required-keys'],
      exact: true,
    },
    {
      name: 'env file missing: its dependents are skipped for the env-file need, shown',
      known: { 'env.file': 'missing', 'clerk.config': 'ready', 'target.reachable': 'ok' },
      unavailable: { 'env-file': '.env.local not found' },
      runs: ['clerk.api', 'target.clock', 'target.no-token'],
      exact: true,
      skips: [
        { id: 'env.formats', shown: true, reason: /needs env-file: \.env\.local not found/ },
        { id: 'keys.pem', shown: true },
      ],
    },
    {
      name: 'harness without a secret key: every Clerk check is skipped with that reason',
      known: { 'env.file': 'found', 'clerk.config': 'no-secret-key', 'target.reachable': 'ok' },
      unavailable: { 'clerk-network': 'the harness has no CLERK_SECRET_KEY' },
      runs: ['env.placeholders', 'env.formats', 'env.key-mode', 'env.git', 'keys.pem', 'keys.jwks', 'target.clock', 'target.no-token'],
      exact: true,
      skips: [
        { id: 'clerk.api', shown: true, reason: /needs clerk-network: the harness has no CLERK_SECRET_KEY/ },
        { id: 'clerk.mint', shown: true },
      ],
    },
    {
      name: 'a failed requirement whose outcome routes here still counts (one-line PEM: its key is compared); one that routes nowhere does not',
      known: { 'env.file': 'found', 'clerk.config': 'ready', 'target.reachable': 'ok', 'keys.pem': 'one-line', 'keys.jwks': 'fetched', 'clerk.api': 'accepted' },
      runs: ['keys.pem-matches-jwks'],
    },
    {
      name: 'an unparsable PEM (no route) skips the comparison with the reason',
      known: { 'env.file': 'found', 'clerk.config': 'ready', 'target.reachable': 'ok', 'keys.pem': 'unparsable', 'keys.jwks': 'fetched', 'clerk.api': 'accepted' },
      runs: [],
      waits: ['keys.pem-matches-jwks'],
      skips: [{ id: 'keys.pem-matches-jwks', shown: false, reason: /needs keys\.pem to pass \(it was unparsable\)/ }],
    },
  ];

  it('a one-line PEM is a failure that still routes to the key comparison', () => {
    expect(tree.byId.get('keys.pem')!.verdicts['one-line'].status).toBe('fail');
    expect(tree.byId.get('keys.pem')!.next['one-line']).toEqual(['keys.pem-matches-jwks', 'keys.token-kid']);
  });

  for (const row of table) {
    it(row.name, () => {
      const plan = planNext(tree, input(row.known, row.unavailable));
      if (row.exact) expect([...plan.run].sort()).toEqual([...row.runs].sort());
      else expect(plan.run).toEqual(expect.arrayContaining(row.runs));
      for (const id of row.waits ?? []) expect(plan.run, `${id} must not run yet`).not.toContain(id);
      for (const s of row.skips ?? []) {
        const got = plan.skip.find((k) => k.id === s.id);
        expect(got, `${s.id} skipped`).toBeDefined();
        expect(got!.shown).toBe(s.shown);
        if (s.reason) expect(got!.reason).toMatch(s.reason);
      }
    });
  }

  /** Play the whole tree: scripted outcomes, else each check's first passing verdict. */
  function walk(script: Record<string, string>, unavailable: Partial<Record<NeedId, string>> = {}, sets: Record<string, Partial<Record<NeedId, string>>> = {}) {
    const decided = new Map<string, Decided>();
    const ran: string[] = [];
    const skipped = new Map<string, { reason: string; shown: boolean }>();
    const down = { ...unavailable };
    for (let step = 0; step < 50; step++) {
      const plan = planNext(tree, { decided, unavailable: down });
      for (const sk of plan.skip) {
        decided.set(sk.id, { status: 'skip' });
        skipped.set(sk.id, sk);
      }
      for (const id of plan.run) {
        const verdicts = tree.byId.get(id)!.verdicts;
        const outcome = script[id] ?? Object.keys(verdicts).find((o) => verdicts[o].status === 'pass') ?? Object.keys(verdicts)[0];
        decided.set(id, { status: verdicts[outcome].status, outcome });
        ran.push(id);
        Object.assign(down, sets[id] ?? {});
      }
      if (plan.done) break;
    }
    return { ran, skipped };
  }

  const walks: Array<{ name: string; script: Record<string, string>; unavailable?: Partial<Record<NeedId, string>>; sets?: Record<string, Partial<Record<NeedId, string>>>; ran: string[]; notRan: string[]; shownSkips?: Array<[string, RegExp]> }> = [
    {
      name: 'all well: no server or auth branch',
      script: {},
      ran: ['env.file', 'keys.pem-matches-jwks', 'keys.token-kid', 'target.fresh-token', 'audit.entries'],
      notRan: ['server.env-loaded', 'server.restart', 'auth.cause'],
    },
    {
      name: '500 without a token: the server branch, and no fresh-token request',
      script: { 'target.no-token': 'not-configured', 'server.env-loaded': 'env-has-key' },
      ran: ['server.env-loaded', 'server.restart'],
      notRan: ['target.fresh-token', 'auth.cause'],
    },
    {
      name: '500 with a remote target: server.restart skipped with the reason',
      script: { 'target.no-token': 'not-configured', 'server.env-loaded': 'env-has-key' },
      unavailable: { 'local-process': 'the target (api.example.com) does not run on this machine' },
      ran: ['server.env-loaded'],
      notRan: ['server.restart'],
      shownSkips: [['server.restart', /does not run on this machine/]],
    },
    {
      name: '401 on a fresh token: auth.cause after the key checks and the server process check (its rules read both)',
      script: { 'target.fresh-token': 'rejected', 'auth.cause': 'pem-stale', 'keys.pem-matches-jwks': 'stale' },
      ran: ['keys.pem-matches-jwks', 'server.restart', 'auth.cause'],
      notRan: ['server.env-loaded'],
    },
    {
      name: '401 with a remote target: server.restart skipped with the reason, auth.cause still runs',
      script: { 'target.fresh-token': 'rejected' },
      unavailable: { 'local-process': 'the target (api.example.com) does not run on this machine' },
      ran: ['auth.cause'],
      notRan: ['server.restart', 'server.env-loaded'],
      shownSkips: [['server.restart', /does not run on this machine/]],
    },
    {
      name: 'Clerk unreachable: everything needing a token is skipped with that reason',
      script: { 'clerk.api': 'unreachable' },
      sets: { 'clerk.api': { 'clerk-network': 'cannot reach http://127.0.0.1:9 (ECONNREFUSED)' } },
      ran: ['clerk.api', 'target.no-token', 'keys.jwks'],
      notRan: ['clerk.mint', 'target.fresh-token', 'keys.token-kid'],
      shownSkips: [['target.fresh-token', /needs clerk-network: cannot reach/], ['clerk.mint', /cannot reach/], ['keys.token-kid', /cannot reach/]],
    },
    {
      name: 'env file missing: env and key checks skipped once, shown with the reason',
      script: { 'env.file': 'missing' },
      sets: { 'env.file': { 'env-file': '.env.local not found' } },
      ran: ['clerk.mint', 'target.fresh-token'],
      notRan: ['env.formats', 'keys.pem', 'keys.jwks'],
      shownSkips: [['env.formats', /needs env-file: \.env\.local not found/], ['keys.jwks', /not found/]],
    },
  ];

  for (const w of walks) {
    it(`walk: ${w.name}`, () => {
      const { ran, skipped } = walk(w.script, w.unavailable, w.sets);
      expect(ran).toEqual(expect.arrayContaining(w.ran));
      for (const id of w.notRan) expect(ran, `${id} must not run`).not.toContain(id);
      for (const [id, reason] of w.shownSkips ?? []) {
        expect(skipped.get(id)?.shown, `${id} shown`).toBe(true);
        expect(skipped.get(id)?.reason).toMatch(reason);
      }
      if (ran.includes('auth.cause')) expect(ran.indexOf('auth.cause')).toBeGreaterThan(ran.indexOf('keys.pem-matches-jwks'));
      if (ran.includes('auth.cause') && ran.includes('server.restart')) expect(ran.indexOf('auth.cause')).toBeGreaterThan(ran.indexOf('server.restart'));
    });
  }

  it('walks to the end: every check is decided exactly once whatever the outcomes', () => {
    // Play the tree with every check taking its first verdict, and with every check failing.
    for (const pick of [(o: string[]) => o[0], (o: string[]) => o[o.length - 1]]) {
      const decided = new Map<string, Decided>();
      for (let step = 0; step < 50; step++) {
        const plan = planNext(tree, { decided, unavailable: {} });
        for (const s of plan.skip) {
          expect(decided.has(s.id)).toBe(false);
          decided.set(s.id, { status: 'skip' });
        }
        for (const id of plan.run) {
          const outcome = pick(Object.keys(tree.byId.get(id)!.verdicts));
          decided.set(id, { status: tree.byId.get(id)!.verdicts[outcome].status, outcome });
        }
        if (plan.done) break;
      }
      expect([...decided.keys()].sort()).toEqual([...tree.order].sort());
    }
  });

  it('--only runs the selected check with its prerequisites, shows only the selected one', () => {
    const scope = scopeOf(tree, ['keys.pem-matches-jwks']);
    expect([...scope]).toEqual(expect.arrayContaining(['keys.pem-matches-jwks', 'keys.pem', 'keys.jwks', 'env.file', 'clerk.api', 'clerk.config']));
    expect(scope.has('target.no-token')).toBe(false);
    const first = planNext(tree, input({}, {}, ['keys.pem-matches-jwks']));
    expect(first.run.sort()).toEqual(['clerk.config', 'env.file']);
    const blocked = planNext(tree, input({ 'env.file': 'found', 'clerk.config': 'ready', 'clerk.api': 'accepted', 'keys.pem': 'absent', 'keys.jwks': 'fetched' }, {}, ['keys.pem-matches-jwks']));
    expect(blocked.skip).toEqual([{ id: 'keys.pem-matches-jwks', reason: expect.stringMatching(/keys\.pem/), shown: true }]);
  });

  it('a required check that only warned without routing here (JWKS unreachable) blocks the check', () => {
    const known = { 'env.file': 'found', 'clerk.config': 'ready', 'clerk.api': 'accepted', 'keys.pem': 'parsed', 'keys.jwks': 'unreachable' };
    const plan = planNext(tree, input(known, {}, ['keys.pem-matches-jwks']));
    expect(plan.run).not.toContain('keys.pem-matches-jwks');
    expect(plan.skip).toEqual([{ id: 'keys.pem-matches-jwks', reason: 'needs keys.jwks to pass (it was unreachable)', shown: true }]);
    // A warning that routes here still lets it run (PEM usable only after expanding \n escapes).
    const escaped = planNext(tree, input({ ...known, 'keys.pem': 'escaped-only', 'keys.jwks': 'fetched' }, {}, ['keys.pem-matches-jwks']));
    expect(escaped.run).toEqual(['keys.pem-matches-jwks']);
  });

  it('--only a branch name selects the whole branch', () => {
    const scope = scopeOf(tree, ['audit']);
    for (const id of branch('audit')) expect(scope.has(id)).toBe(true);
    expect(scope.has('env.git')).toBe(false);
  });

  it('after_if_run orders without pulling in: --only env sends nothing to the target; a full run waits for it', () => {
    const scope = scopeOf(tree, ['env']);
    expect(scope.has('clerk.config')).toBe(true); // plain `after`: pulled in
    for (const id of ['target.fresh-token', 'target.reachable', 'clerk.mint']) expect(scope.has(id), id).toBe(false);
    const known = { 'env.file': 'found', 'clerk.config': 'ready' };
    expect(planNext(tree, input(known, {}, ['env'])).run).toContain('env.audience');
    expect(planNext(tree, input({ ...known, 'target.reachable': 'ok' })).run).not.toContain('env.audience');
  });
});

describe('planner semantics on a small tree', () => {
  const causes = new Set(['c']);
  const small = (checks: unknown[]): Tree => buildTree({ needs: NO_NEEDS, checks }, causes);
  const v = { ok: { status: 'pass', says: 'ok' }, bad: { status: 'fail', says: 'bad', cause: 'c' } };

  it('a check with two parents runs when either routes to it (OR), after both finished', () => {
    const t = small([
      { id: 'a.one', verdicts: v, next: { bad: ['a.three'] } },
      { id: 'a.two', verdicts: v, next: { bad: ['a.three'] } },
      { id: 'a.three', verdicts: v },
    ]);
    const d = (o: Record<string, string>) => ({ decided: new Map(Object.entries(o).map(([k, x]) => [k, { status: x === 'ok' ? 'pass' : 'fail', outcome: x } as Decided])), unavailable: {} });
    expect(planNext(t, d({ 'a.one': 'bad' })).run).toEqual(['a.two']);
    expect(planNext(t, d({ 'a.one': 'bad', 'a.two': 'ok' })).run).toEqual(['a.three']);
    expect(planNext(t, d({ 'a.one': 'ok', 'a.two': 'ok' })).skip.map((s) => s.id)).toEqual(['a.three']);
  });

  it('skips cascade within one planning step', () => {
    const t = small([
      { id: 'a.one', verdicts: v, next: { ok: ['a.two'] } },
      { id: 'a.two', verdicts: v, next: { ok: ['a.three'] } },
      { id: 'a.three', verdicts: v },
    ]);
    const plan = planNext(t, { decided: new Map([['a.one', { status: 'fail', outcome: 'bad' }]]), unavailable: {} });
    expect(plan.skip.map((s) => s.id)).toEqual(['a.two', 'a.three']);
    expect(plan.done).toBe(true);
  });

  it('rejects a tree with a cycle, an unknown check or an unknown cause', () => {
    expect(() => small([{ id: 'a.one', verdicts: v, next: { ok: ['a.two'] } }, { id: 'a.two', verdicts: v, next: { ok: ['a.one'] } }])).toThrow(/cycle/);
    expect(() => small([{ id: 'a.one', verdicts: v, next: { ok: ['a.nope'] } }])).toThrow(/unknown check "a.nope"/);
    expect(() => small([{ id: 'a.one', verdicts: { x: { status: 'fail', says: 'x', cause: 'nope' } } }])).toThrow(/unknown cause "nope"/);
    expect(() => small([{ id: 'a.one', verdicts: v, next: { maybe: [] } }])).toThrow(/outcome "maybe" has no verdict/);
  });
});
