/**
 * The loopback backend of the authorization tests (test/authz-run.test.ts, test/reports-authz-matrix.test.ts):
 * @clerk/backend's verifyToken against the emulator, an owner-only GET /jobs/{id} (another user:
 * 404) and an org-admin-only DELETE /jobs/{id} (403), correct or with faults; the suite with
 * personas alice/bob/mallory/carol; and one run of it with runPlan.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verifyToken } from '@clerk/backend';
import type { Emulator } from '../src/emulator/types.js';
import type { RunReport } from '../src/report/summary.js';
import { buildPlan } from '../src/suite/build-plan.js';
import { loadSuite } from '../src/suite/load.js';
import { runPlan } from '../src/suite/run-suite.js';

export type Fault = 'skip-ownership-check' | 'skip-role-check' | 'wrong-refusal-status';

/** The backend under test: jobs belong to the user who created them and to that session's active organization. */
export async function startBackend(emulator: Emulator, faults: Fault[]): Promise<{ url: string; stop(): Promise<void> }> {
  const jobs = new Map<string, { user: string; org?: string }>();
  let n = 0;
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      for await (const _ of req) void _;
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token) return answer(401, { detail: 'Not authenticated' });
      let claims: Record<string, any>;
      try {
        claims = (await verifyToken(token, { secretKey: emulator.secretKey, apiUrl: emulator.url })) as Record<string, any>;
      } catch {
        return answer(401, { detail: 'Invalid token' });
      }
      const o = claims.o as { id: string; rol: string } | undefined;
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/jobs' && req.method === 'POST') {
        const id = `job_${++n}`;
        jobs.set(id, { user: claims.sub, org: o?.id });
        return answer(201, { job_id: id });
      }
      const m = /^\/jobs\/([^/]+)$/.exec(url.pathname);
      if (!m) return answer(404, { detail: 'Not Found' });
      const job = jobs.get(decodeURIComponent(m[1]!));
      if (req.method === 'GET') {
        if (!job) return answer(404, { detail: 'Job not found' });
        if (job.user !== claims.sub && !faults.includes('skip-ownership-check')) return answer(faults.includes('wrong-refusal-status') ? 403 : 404, { detail: 'Job not found' });
        return answer(200, { job_id: m[1], user_id: job.user });
      }
      if (req.method === 'DELETE') {
        if (!faults.includes('skip-role-check') && o?.rol !== 'admin') return answer(faults.includes('wrong-refusal-status') ? 401 : 403, { detail: 'Admin role required' });
        if (!job) return answer(404, { detail: 'Job not found' });
        if (!faults.includes('skip-ownership-check') && job.org !== o?.id) return answer(403, { detail: 'Not your organization' });
        jobs.delete(m[1]!);
        return answer(204, {});
      }
      return answer(405, { detail: 'Method Not Allowed' });
    })().catch(() => answer(500, { detail: 'Internal Server Error' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const body = new URL('../fixtures/job.json', import.meta.url).pathname;
const stamp = Date.now().toString(36);
export function suiteText(tag: string, extraCases: string[] = []): string {
  return `name: authz ${tag}
audit: false
cases:
  include: [valid-session-token, no-authorization-header, payload-tampered, ${extraCases.map((c) => `${c}, `).join('')}"tag:authz"]
personas:
  alice: { email: alice-${tag}-${stamp}@example.com, organization: acme-${tag}-${stamp}, role: "org:admin" }
  bob: { email: bob-${tag}-${stamp}@example.com, organization: acme-${tag}-${stamp}, role: "org:member" }
  mallory: { email: mallory-${tag}-${stamp}@example.com, organization: globex-${tag}-${stamp}, role: "org:admin" }
  carol: { email: carol-${tag}-${stamp}@example.com }
endpoints:
  - name: read job
    method: GET
    path: /jobs/{job_id}
    resource: &job
      create: { method: POST, path: /jobs, body: ${body}, id: job_id }
      owner: alice
    access: { allow: owner, refused_status: 404 }
  - name: delete job
    method: DELETE
    path: /jobs/{job_id}
    accepted_status: 204
    resource: *job
    access: { allow: "role:org:admin" }
`;
}

export async function judge(emulator: Emulator, faults: Fault[]): Promise<RunReport> {
  const backend = await startBackend(emulator, faults);
  try {
    return await judgeAt(emulator, backend.url, faults.join('-') || 'correct');
  } finally {
    await backend.stop();
  }
}

/** The persona suite above, run by the real runner against any backend at `url` that trusts `emulator`. */
export async function judgeAt(emulator: Emulator, url: string, tag: string, extraCases: string[] = []): Promise<RunReport> {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-run-'));
  const file = path.join(dir, 'suite.yaml');
  writeFileSync(file, suiteText(tag, extraCases));
  const suite = loadSuite(file, { cwd: dir });
  const plan = await buildPlan({
    suite,
    targetUrl: url,
    clerk: { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: `authz-${tag}-${stamp}@example.com` },
    publicKeyPem: emulator.currentKey().publicPem,
    failOn: 'low',
  });
  return await runPlan(plan);
}
