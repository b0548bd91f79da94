/**
 * The reference target's authorization routes (GET/DELETE /jobs/{job_id}, src/target/authz.ts):
 * real server on port 0, real v2 session tokens carrying `o`, signed by a local RSA key the target
 * trusts (networkless jwtKey). Each AUTHZ_FLAWS entry changes exactly the scenarios its caughtBy names.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeOrganization } from '../src/target/authz.js';
import { AUTHZ_CASE_IDS, AUTHZ_FLAWS, AUTHZ_FLAW_NAMES, TARGET_FLAWS, parseFlaws } from '../src/target/flaws.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { AuthzFlaw, ReferenceTarget, ReferenceTargetOptions } from '../src/target/types.js';
import {
  EXPECTED_STATUSES,
  changed,
  classify,
  makePersonas,
  mintFor,
  runScenarios,
  statuses,
  type AuthzSigner,
  type Personas,
  type ScenarioId,
  type ScenarioResult,
} from './authz-helpers.js';
import { createLocalInstance, type LocalInstance } from './cases-fixtures.js';
import { auditLines } from './target-helpers.js';

let inst: LocalInstance;
let signer: AuthzSigner;
let tmp: string;
let n = 0;
const running: ReferenceTarget[] = [];

beforeAll(async () => {
  inst = await createLocalInstance();
  signer = { issuer: inst.issuer, sign: inst.sign };
  tmp = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-target-authz-'));
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
  await rm(tmp, { recursive: true, force: true });
});

async function start(options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  const t = await startReferenceTarget({ jwtKey: inst.publicPem, issuer: inst.issuer, auditDir: path.join(tmp, `audit-${n++}`), ...options });
  running.push(t);
  return t;
}

const scenarios = (t: ReferenceTarget, cast: Personas) => runScenarios({ url: t.url, readAudit: () => auditLines(t) }, signer, cast);

describe('the correct reference target', () => {
  let target: ReferenceTarget;
  let cast: Personas;
  let r: Record<ScenarioId, ScenarioResult>;
  beforeAll(async () => {
    target = await start();
    cast = makePersonas();
    r = await scenarios(target, cast);
  });

  it('lets the owner read and the org admin delete, refuses everyone else with the documented status', () => {
    expect(statuses(r)).toEqual(EXPECTED_STATUSES);
  });

  it('answers the owner the job as POST /jobs did, and names the missing role in 403 bodies', () => {
    expect(JSON.parse(r['owner-reads'].body)).toEqual({ job_id: r['owner-reads'].jobId, status: 'pending', user_id: cast.owner.sub });
    expect(r['admin-deletes'].body).toBe('');
    // Another user's job and an unknown id look the same.
    expect(JSON.parse(r['bola-read-other-user'].body)).toEqual({ detail: 'Job not found' });
    expect(JSON.parse(r['unknown-id-read'].body)).toEqual({ detail: 'Job not found' });
    expect(JSON.parse(r['member-calls-admin-route'].body)).toEqual({ detail: 'requires role org:admin' });
    expect(JSON.parse(r['no-active-org-admin-route'].body).detail).toMatch(/^requires role org:admin \(no active organization/);
    expect(JSON.parse(r['admin-of-other-org'].body).detail).toBe("requires role org:admin in the job's organization");
  });

  it('writes one job.read / job.deleted line per accepted request, and none for refusals', () => {
    for (const [sid, event, status] of [['owner-reads', 'job.read', 200], ['admin-deletes', 'job.deleted', 204], ['v1-admin-deletes', 'job.deleted', 204]] as const) {
      const { gained, actor, jobId } = r[sid];
      expect(gained, sid).toHaveLength(1);
      expect(gained[0], sid).toMatchObject({
        event,
        outcome: 'success',
        user_id: actor.claims.sub,
        token_iat: actor.claims.iat,
        session_id: actor.claims.sid,
        method: sid === 'owner-reads' ? 'GET' : 'DELETE',
        path: `/jobs/${jobId}`,
        status,
        resource_id: jobId,
        alcoa_attributable: true,
      });
      expect(classify(gained[0]!), sid).toBe('success');
    }
    for (const sid of ['bola-read-other-user', 'bola-delete-other-user', 'member-calls-admin-route', 'admin-of-other-org', 'no-active-org-admin-route', 'role-claim-tampered', 'unknown-id-read'] as const) {
      expect(r[sid].gained, sid).toEqual([]);
    }
  });

  it('a deleted job is gone; POST /jobs, GET /jobs and other methods behave as before', async () => {
    const owner = await mintFor(signer, cast.owner);
    const gone = await fetch(`${target.url}/jobs/${r['admin-deletes'].jobId}`, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(gone.status).toBe(404);
    expect((await fetch(`${target.url}/jobs`)).status).toBe(405);
    const put = await fetch(`${target.url}/jobs/${r['owner-reads'].jobId}`, { method: 'PUT', headers: { authorization: `Bearer ${owner.token}` } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, DELETE');
    expect((await fetch(`${target.url}/jobs/a/b`)).status).toBe(404);
    const anon = await fetch(`${target.url}/jobs/${r['owner-reads'].jobId}`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('logFailures', () => {
  it('writes one attributed access.denied failure line per authorization refusal, auth.rejected for a bad token', async () => {
    const target = await start({ logFailures: true });
    const r = await scenarios(target, makePersonas());
    expect(statuses(r)).toEqual(EXPECTED_STATUSES);
    for (const sid of ['bola-read-other-user', 'member-calls-admin-route', 'admin-of-other-org', 'no-active-org-admin-route', 'unknown-id-read'] as const) {
      const { gained, actor, jobId } = r[sid];
      expect(gained, sid).toHaveLength(1);
      expect(gained[0], sid).toMatchObject({ event: 'access.denied', outcome: 'failure', user_id: actor.claims.sub, token_iat: actor.claims.iat, status: EXPECTED_STATUSES[sid], resource_id: jobId });
      expect(classify(gained[0]!), sid).toBe('failure');
    }
    expect(r['member-calls-admin-route'].gained[0]!.reason).toBe('missing-role');
    expect(r['bola-read-other-user'].gained[0]!.reason).toBe('not-owner');
    expect(r['role-claim-tampered'].gained).toMatchObject([{ event: 'auth.rejected', user_id: null, status: 401, reason: 'token-invalid-signature', method: 'DELETE' }]);
  });
});

describe('authorization flaws', () => {
  const results = new Map<AuthzFlaw, Record<ScenarioId, ScenarioResult>>();
  beforeAll(async () => {
    await Promise.all(
      AUTHZ_FLAW_NAMES.map(async (flaw) => {
        const target = await start({ flaws: [flaw] });
        results.set(flaw, await scenarios(target, makePersonas()));
      }),
    );
  });

  it.each(AUTHZ_FLAW_NAMES.map((f) => [f]))('%s changes exactly the outcomes its caughtBy names', (flaw) => {
    const r = results.get(flaw)!;
    expect(changed(r)).toEqual([...AUTHZ_FLAWS[flaw].caughtBy].sort());
    for (const sid of AUTHZ_FLAWS[flaw].caughtBy) {
      if (AUTHZ_FLAWS[flaw].symptom === 'status') {
        expect(r[sid].status, sid).toBe(401);
        expect(r[sid].gained, sid).toEqual([]);
      } else {
        // Let through, and audited as the intruder's success.
        expect(r[sid].status, sid).toBe(SCENARIO_METHOD_OK[sid]);
        expect(r[sid].gained, sid).toMatchObject([{ outcome: 'success', user_id: r[sid].actor.claims.sub }]);
      }
    }
  });

  it('flaw ids are all known case ids, and none catches role-claim-tampered (the signature does)', () => {
    for (const info of Object.values(AUTHZ_FLAWS)) for (const id of info.caughtBy) expect(AUTHZ_CASE_IDS).toContain(id);
    expect(Object.values(AUTHZ_FLAWS).some((i) => (i.caughtBy as string[]).includes('role-claim-tampered'))).toBe(false);
  });

  it('parseFlaws accepts authorization flaws next to the others; TARGET_FLAWS is unchanged', () => {
    expect(parseFlaws(['accept-expired,skip-role-check', 'wrong-refusal-status'])).toEqual(['accept-expired', 'skip-role-check', 'wrong-refusal-status']);
    expect(() => parseFlaws(['skip-everything'])).toThrow(/unknown flaw "skip-everything"/);
    expect(TARGET_FLAWS).not.toContain('skip-role-check');
  });
});

const SCENARIO_METHOD_OK: Partial<Record<ScenarioId, number>> = {
  'bola-read-other-user': 200,
  'bola-delete-other-user': 204,
  'member-calls-admin-route': 204,
  'admin-of-other-org': 204,
  'no-active-org-admin-route': 204,
};

describe('activeOrganization', () => {
  it('reads v2 o (prefixing rol), v1 org_id/org_role, and picks the parser on v like @clerk/backend', () => {
    expect(activeOrganization({ v: 2, o: { id: 'org_1', slg: 'a', rol: 'admin' } })).toEqual({ id: 'org_1', role: 'org:admin' });
    expect(activeOrganization({ v: 2, o: { id: 'org_1', rol: 'org:billing' } })).toEqual({ id: 'org_1', role: 'org:billing' });
    expect(activeOrganization({ v: 2, o: { id: 'org_1' } })).toEqual({ id: 'org_1', role: undefined });
    expect(activeOrganization({ org_id: 'org_2', org_role: 'org:admin' })).toEqual({ id: 'org_2', role: 'org:admin' });
    expect(activeOrganization({ v: 2, org_id: 'org_2', org_role: 'org:admin' })).toBeUndefined();
    expect(activeOrganization({ o: { id: 'org_1', rol: 'admin' } })).toBeUndefined();
    expect(activeOrganization({ v: 2 })).toBeUndefined();
    expect(activeOrganization({ v: 2, o: 'org_1' })).toBeUndefined();
  });
});
