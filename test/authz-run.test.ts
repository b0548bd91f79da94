/**
 * Authorization cases (issue 11) judged in-process with the real runner (runPlan), the real
 * emulator minting persona tokens with organizations, and a small loopback backend that verifies
 * with @clerk/backend's verifyToken: an owner-only GET /jobs/{id} (another user: 404) and an
 * org-admin-only DELETE /jobs/{id} (member, no active organization, admin of another
 * organization: 403), correct and with each fault. Expected findings are written from what each
 * fault does, before the runner was asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import type { RunReport } from '../src/report/summary.js';
import { judge as judgeWith, type Fault } from './authz-backend-helper.js';

let emulator: Emulator;
const judge = (faults: Fault[]) => judgeWith(emulator, faults);
beforeAll(async () => {
  emulator = await startEmulator({});
});
afterAll(async () => {
  await emulator?.stop();
});

const findings = (r: RunReport) => r.results.filter((x) => x.verdict === 'finding').map((x) => `${x.endpoint}/${x.caseId}:${x.severity}`).sort();
const explain = (r: RunReport) => r.results.map((x) => `${x.endpoint} > ${x.persona ?? '-'} > ${x.caseId}: ${x.verdict} ${x.message}`).join('\n');

// What each backend must produce, from what it does.
const EXPECTED: Record<string, string[]> = {
  correct: [],
  // Every other user reads alice's job; an admin of globex deletes it.
  'skip-ownership-check': ['read job/bola-read-other-user:critical', 'delete job/bola-delete-other-user:critical'],
  // bob, a member of alice's organization, deletes; the organization check still stops the others.
  'skip-role-check': ['delete job/member-calls-admin-route:critical'],
  // GET hides nothing (403 where 404 is the contract); DELETE answers 401 for a missing role.
  'wrong-refusal-status': ['read job/bola-read-other-user:medium', 'delete job/member-calls-admin-route:medium', 'delete job/denied:carol:medium', 'delete job/no-active-org-admin-route:medium'],
};

describe.concurrent('authorization cases against a loopback backend', () => {
  it.each(Object.keys(EXPECTED).map((k) => [k]))('%s', async (name) => {
    const report = await judge(name === 'correct' ? [] : [name as Fault]);
    expect(findings(report), explain(report)).toEqual([...EXPECTED[name]!].sort());
    expect(report.results.filter((r) => r.verdict === 'error'), explain(report)).toEqual([]);
    expect(report.blockers).toEqual([]);
    // Every generated case ran (none skipped but the BOLA duplicates), each carrying its persona.
    const authz = report.results.filter((r) => r.authz);
    expect(authz.map((r) => `${r.endpoint}/${r.persona}/${r.caseId}`).sort()).toEqual(
      [
        'read job/alice/allowed:alice',
        'read job/bob/bola-read-other-user',
        'read job/mallory/denied:mallory',
        'read job/carol/denied:carol',
        'delete job/alice/allowed:alice',
        'delete job/mallory/bola-delete-other-user',
        'delete job/bob/member-calls-admin-route',
        'delete job/carol/denied:carol',
        'delete job/alice/no-active-org-admin-route',
        'delete job/bob/role-claim-tampered',
      ].sort(),
    );
    expect(authz.filter((r) => r.verdict === 'skip').map((r) => `${r.endpoint}/${r.caseId}`).sort()).toEqual(['read job/denied:carol', 'read job/denied:mallory']);
    // The catalogue's cases ran as the endpoint's principal persona, on alice's job.
    const valid = report.results.filter((r) => r.caseId === 'valid-session-token');
    expect(valid.map((r) => `${r.endpoint}:${r.persona}:${r.verdict}`).sort()).toEqual(['delete job:alice:pass', 'read job:alice:pass']);
    expect(report.status).toBe(EXPECTED[name]!.length ? 'failed' : 'passed');
  }, 60_000);
});
