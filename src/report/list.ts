/**
 * `run --list`: the endpoint × case tests a run would make, with each skip and its reason, decided
 * without sending a request anywhere. Each case's own build() is asked with a context whose token
 * source and signer refuse to be used: a case that returns a skip says why; one that reaches for a
 * token would run.
 */
import { CATALOGUE } from '../cases/catalogue.js';
import type { CaseContext, CaseDef } from '../cases/types.js';
import { planSuite } from '../suite/plan.js';
import { authzCaseHeader, caseHeader } from '../suite/result.js';
import type { Suite } from '../suite/types.js';
import { paint } from '../cli/output.js';

export interface ListedTest {
  endpoint: string;
  request: string;
  caseId: string;
  title: string;
  expect: 'accepted' | 'rejected';
  expectedStatus: number[];
  severity: string;
  /** Whose tokens it sends (suites with personas). */
  persona?: string;
  /** Why it would be skipped; undefined = it runs. */
  skipReason?: string;
}

export interface ListInput {
  suite: Suite;
  mode: 'emulator' | 'clerk';
  template?: string;
  /** Whether the PEM public key the target trusts is known (emulator, or CLERK_JWT_KEY). */
  publicKey: boolean;
  /** vitest's -t pattern. */
  filter?: string;
}

class WouldSend extends Error {}
const refuse = (): never => {
  throw new WouldSend('a real run would make a token here');
};

function probeContext(input: ListInput): CaseContext {
  const source = new Proxy({}, { get: refuse }) as CaseContext['source'];
  return {
    source,
    mint: async () => refuse(),
    trustedSigner: input.mode === 'emulator' ? async () => refuse() : undefined,
    publicKeyPem: input.publicKey ? '-----BEGIN PUBLIC KEY-----\n(known at run time)\n-----END PUBLIC KEY-----' : undefined,
    template: input.template,
    authorizedParty: input.suite.authorizedParty,
    attackerJwksUrl: 'http://127.0.0.1:0/.well-known/jwks.json',
    expiredToken: input.mode === 'clerk' ? async () => refuse() : undefined,
    nowSeconds: () => Math.floor(Date.now() / 1000),
  };
}

async function skipReasonOf(def: CaseDef, ctx: CaseContext): Promise<string | undefined> {
  try {
    const auth = await def.build(ctx);
    return auth.kind === 'skip' ? auth.reason : undefined;
  } catch {
    return undefined; // it reached for a token (or the network): it would run
  }
}

export async function listTests(input: ListInput): Promise<ListedTest[]> {
  const { cases, endpointCases } = planSuite([...CATALOGUE], input.suite);
  const byId = new Map(CATALOGUE.map((c) => [c.id, c]));
  const ctx = probeContext(input);
  const reasons = new Map<string, string | undefined>();
  for (const p of cases) reasons.set(p.id, p.skipReason ?? (await skipReasonOf(byId.get(p.id)!, ctx)));
  const re = input.filter ? new RegExp(input.filter) : undefined;
  return input.suite.endpoints.flatMap((e) =>
    (endpointCases?.[e.name] ?? cases)
      .filter((p) => !re || re.test(`${e.name} ${p.id}`))
      .map((p): ListedTest => {
        if (p.authz) {
          const { endpoint, request, caseId, title, expect, expectedStatus, severity, persona } = authzCaseHeader(e, { ...p, authz: p.authz });
          return { endpoint, request, caseId, title, expect, expectedStatus, severity, persona, ...(p.skipReason ? { skipReason: p.skipReason } : {}) };
        }
        const def = byId.get(p.id)!;
        const skipReason = p.skipReason ?? reasons.get(p.id);
        return {
          ...caseHeader(e, def, p.expect),
          severity: def.severity,
          ...(p.persona ? { persona: p.persona } : {}),
          ...(skipReason ? { skipReason } : {}),
        };
      }),
  );
}

export function renderList(tests: ListedTest[], header: { suite: string; suiteFile: string; target: string; mode: string }, color: boolean): string {
  const p = paint(color);
  const out = [p.bold(`clerk-harness run --list: ${header.suite} (${header.suiteFile})`), `target: ${header.target} · tokens: ${header.mode} · nothing is sent`];
  const skipped = tests.filter((t) => t.skipReason).length;
  const endpoints = [...new Set(tests.map((t) => t.endpoint))];
  out.push(`${tests.length} test${tests.length === 1 ? '' : 's'} on ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}: ${tests.length - skipped} would run, ${skipped} skipped`);
  const idWidth = Math.max(4, ...tests.map((t) => t.caseId.length));
  const expectOf = (t: ListedTest) => `${t.expect} ${t.expectedStatus.join('/')}`;
  const expectWidth = Math.max(16, ...tests.map((t) => expectOf(t).length));
  for (const e of endpoints) {
    const rows = tests.filter((t) => t.endpoint === e);
    out.push('', p.bold(`${e}${rows[0]!.request !== e ? ` — ${rows[0]!.request}` : ''}`));
    for (const t of rows) {
      const expect = expectOf(t).padEnd(expectWidth);
      const line = `  ${t.caseId.padEnd(idWidth)}  ${expect}  ${t.severity.padEnd(8)}  ${t.persona ? `as ${t.persona}: ` : ''}${t.title}`;
      out.push(t.skipReason ? p.dim(`${line}\n  ${' '.repeat(idWidth)}  skipped: ${t.skipReason}`) : line);
    }
  }
  out.push('', `test names are "<endpoint> <case id>": narrow a run with -t, e.g. -t "${tests[0] ? `${tests[0].endpoint} ${tests[0].caseId}` : 'alg-none'}"`);
  return out.join('\n') + '\n';
}
