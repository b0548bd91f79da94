/**
 * Authorization scenarios shared by test/target-authz.test.ts and test/authz-backends.test.ts:
 * personas as v2 session tokens carrying `o` (signed by a key the backend trusts), and one
 * request per scenario after the owner created a job. Scenario ids are the AUTHZ_CASE_IDS of
 * src/target/flaws.ts plus controls, so a test can check that each fault changes exactly the
 * outcomes its caughtBy names.
 */
import { randomBytes } from 'node:crypto';
import { createClassifier } from '../src/audit/classify.js';
import type { AuthzCaseId } from '../src/target/flaws.js';

export interface AuthzSigner {
  issuer: string;
  /** Sign header + payload with the trusted key (kid filled in by the signer). */
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
}

export interface Persona {
  sub: string;
  /** The active organization's `o` claim; absent = no active organization. */
  org?: { id: string; slg: string; rol: string };
  /** v1 token (no `v`; flat org_id / org_role "org:<rol>") instead of v2. */
  v1?: boolean;
}

const base62 = (n: number) => [...randomBytes(n)].map((b) => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[b % 62]).join('');
const id = (prefix: string) => `${prefix}_${base62(27)}`;

/** A fresh cast: the owner and a peer are members of org X, admin is its admin, rival is admin of org Y. */
export function makePersonas() {
  const orgX = { id: id('org'), slg: 'acme' };
  const orgY = { id: id('org'), slg: 'globex' };
  return {
    orgX: orgX.id,
    orgY: orgY.id,
    owner: { sub: id('user'), org: { ...orgX, rol: 'member' } },
    peer: { sub: id('user'), org: { ...orgX, rol: 'member' } },
    admin: { sub: id('user'), org: { ...orgX, rol: 'admin' } },
    rival: { sub: id('user'), org: { ...orgY, rol: 'admin' } },
    loner: { sub: id('user') },
    v1Admin: { sub: id('user'), org: { ...orgX, rol: 'admin' }, v1: true },
  } satisfies Record<string, Persona | string>;
}
export type Personas = ReturnType<typeof makePersonas>;

export interface Minted {
  token: string;
  claims: Record<string, unknown>;
}

/** A session token as Clerk issues it (v2 unless persona.v1), with `o`/`fea` for an active org. */
export async function mintFor(signer: AuthzSigner, p: Persona): Promise<Minted> {
  const iat = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { exp: iat + 60, fva: [0, -1], iat, iss: signer.issuer, jti: base62(20), nbf: iat - 10, sid: id('sess'), sts: 'active', sub: p.sub };
  if (p.v1) {
    delete claims.sts;
    if (p.org) Object.assign(claims, { org_id: p.org.id, org_slug: p.org.slg, org_role: `org:${p.org.rol}`, org_permissions: [] });
  } else {
    claims.v = 2;
    if (p.org) Object.assign(claims, { fea: 'o:jobs', o: { ...p.org, per: 'read,manage', fpm: p.org.rol === 'admin' ? '3' : '1' } });
  }
  const token = await signer.sign({ alg: 'RS256', cat: 'cl_B7d4PD111AAA', typ: 'JWT' }, claims);
  return { token, claims };
}

/** The same token with o.rol replaced, signature untouched (a forged promotion). */
export function tamperRole(token: string, rol: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  payload.o = { ...(payload.o as Record<string, unknown>), rol };
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

export interface Answer {
  status: number;
  body: string;
}

async function call(url: string, method: string, token: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.text() };
}

export const CONTROL_IDS = ['owner-reads', 'admin-deletes', 'unknown-id-read', 'unknown-id-delete', 'v1-admin-deletes'] as const;
export type ScenarioId = AuthzCaseId | (typeof CONTROL_IDS)[number];

/** Who acts, how, and what a correct backend answers (after the owner created a job). */
export const SCENARIOS: Record<ScenarioId, { method: 'GET' | 'DELETE'; as: keyof Omit<Personas, 'orgX' | 'orgY'>; unknownId?: boolean; tamper?: boolean; expect: number }> = {
  'owner-reads': { method: 'GET', as: 'owner', expect: 200 },
  'admin-deletes': { method: 'DELETE', as: 'admin', expect: 204 },
  'unknown-id-read': { method: 'GET', as: 'owner', unknownId: true, expect: 404 },
  'unknown-id-delete': { method: 'DELETE', as: 'admin', unknownId: true, expect: 404 },
  'v1-admin-deletes': { method: 'DELETE', as: 'v1Admin', expect: 204 },
  'bola-read-other-user': { method: 'GET', as: 'rival', expect: 404 },
  'bola-delete-other-user': { method: 'DELETE', as: 'rival', expect: 403 },
  'member-calls-admin-route': { method: 'DELETE', as: 'peer', expect: 403 },
  'admin-of-other-org': { method: 'DELETE', as: 'rival', expect: 403 },
  'no-active-org-admin-route': { method: 'DELETE', as: 'loner', expect: 403 },
  'role-claim-tampered': { method: 'DELETE', as: 'peer', tamper: true, expect: 401 },
};
export const SCENARIO_IDS = Object.keys(SCENARIOS) as ScenarioId[];

export interface ScenarioResult extends Answer {
  jobId: string;
  actor: Minted;
  /** Audit lines the action (not the job's creation) added. */
  gained: Array<Record<string, unknown>>;
}

export interface Backend {
  url: string;
  readAudit(): Promise<Array<Record<string, unknown>>>;
}

/** Run every scenario one at a time (so audit lines can be attributed); each gets its own job. */
export async function runScenarios(backend: Backend, signer: AuthzSigner, cast: Personas): Promise<Record<ScenarioId, ScenarioResult>> {
  const out = {} as Record<ScenarioId, ScenarioResult>;
  for (const sid of SCENARIO_IDS) {
    const sc = SCENARIOS[sid];
    const created = await call(`${backend.url}/jobs`, 'POST', (await mintFor(signer, cast.owner)).token, { name: `authz ${sid}` });
    if (created.status !== 201) throw new Error(`${sid}: POST /jobs as the owner answered ${created.status} ${created.body}`);
    const jobId = sc.unknownId ? 'job_doesnotexist0000000000000000' : String((JSON.parse(created.body) as { job_id: string }).job_id);
    const actor = await mintFor(signer, cast[sc.as]);
    const token = sc.tamper ? tamperRole(actor.token, 'admin') : actor.token;
    const before = (await backend.readAudit()).length;
    const answer = await call(`${backend.url}/jobs/${jobId}`, sc.method, token);
    out[sid] = { ...answer, jobId, actor, gained: (await backend.readAudit()).slice(before) };
  }
  return out;
}

export const statuses = (r: Record<ScenarioId, ScenarioResult>) => Object.fromEntries(SCENARIO_IDS.map((k) => [k, r[k].status])) as Record<ScenarioId, number>;

export const EXPECTED_STATUSES = Object.fromEntries(SCENARIO_IDS.map((k) => [k, SCENARIOS[k].expect])) as Record<ScenarioId, number>;

/** Scenario ids whose status differs from the correct backend's. */
export function changed(r: Record<ScenarioId, ScenarioResult>): ScenarioId[] {
  return SCENARIO_IDS.filter((k) => r[k].status !== SCENARIOS[k].expect).sort();
}

/** How the harness's audit checks classify a line (the default matcher). */
export const classify = createClassifier();
