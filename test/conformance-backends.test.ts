/**
 * Smoke test of the conformance backends (test/conformance/): each starts on 127.0.0.1, accepts a
 * fresh emulator-minted session token with one correct audit line, refuses a missing header, and a
 * few FAULTS switches change behaviour the way the real library / framework does.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { createTokenSource } from '../src/tokens/clerk-source.js';
import type { TokenSource } from '../src/tokens/types.js';
import { pythonAvailable, readAuditLines, startExpressBackend, startFastapiBackend, type RunningBackend } from './conformance/backends.js';

let emu: Emulator;
let source: TokenSource;
const running: RunningBackend[] = [];

beforeAll(async () => {
  emu = await startEmulator();
  source = await createTokenSource({ apiUrl: emu.url, secretKey: emu.secretKey, testUserEmail: 'conformance@example.com' });
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((b) => b.stop()));
  await emu?.stop();
});

async function track(p: Promise<RunningBackend>): Promise<RunningBackend> {
  const b = await p;
  running.push(b);
  return b;
}

async function postJob(b: RunningBackend, token?: string) {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${b.url}/jobs`, { method: 'POST', headers, body: JSON.stringify({ name: 'smoke' }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A valid fresh token: 201, and exactly one job_created line attributing it to sub with iat. */
async function expectAcceptedAndAudited(b: RunningBackend): Promise<void> {
  const minted = await source.mint();
  const before = (await readAuditLines(b.auditDir)).length;
  const r = await postJob(b, minted.token);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body).toMatchObject({ status: 'pending', job_id: expect.any(String) });
  const gained = (await readAuditLines(b.auditDir)).slice(before);
  expect(gained).toHaveLength(1);
  expect(gained[0]).toMatchObject({
    event: 'job_created',
    job_id: r.body.job_id,
    user_id: minted.claims.sub,
    token_iat: minted.claims.iat,
    alcoa_attributable: true,
  });
  expect(Date.parse(String(gained[0]!.timestamp))).not.toBeNaN();
}

const python = pythonAvailable();
if (!python.ok) console.warn(`[conformance] FastAPI backend tests skipped: ${python.reason}`);

describe.skipIf(!python.ok)(`FastAPI + PyJWT backend${python.ok ? '' : ` (skipped: ${python.reason})`}`, () => {
  let correct: RunningBackend;
  let envNotLoaded: RunningBackend;
  let forbid: RunningBackend;
  beforeAll(async () => {
    [correct, envNotLoaded, forbid] = await Promise.all([
      track(startFastapiBackend({ env: emu.env() })),
      track(startFastapiBackend({ env: emu.env(), faults: ['env-not-loaded'] })),
      track(startFastapiBackend({ env: emu.env(), faults: ['forbid-missing-header'] })),
    ]);
  });

  it('accepts a fresh session token with one attributable audit line', async () => {
    await expectAcceptedAndAudited(correct);
  });

  it('answers 401 Not authenticated + WWW-Authenticate: Bearer without a header, and audits the refusal', async () => {
    const before = (await readAuditLines(correct.auditDir)).length;
    const r = await postJob(correct);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ detail: 'Not authenticated' });
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    const gained = (await readAuditLines(correct.auditDir)).slice(before);
    expect(gained).toMatchObject([{ event: 'auth_failed', reason: 'Not authenticated', user_id: null, alcoa_attributable: false }]);
  });

  it('answers /health unauthenticated', async () => {
    const res = await fetch(`${correct.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('env-not-loaded: the PEM is read before .env.local is loaded → 500 CRITICAL', async () => {
    const r = await postJob(envNotLoaded, (await source.mint()).token);
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ detail: 'CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)' });
  });

  it('a backend whose app fails at import never gets to LISTENING: the start fails with its stderr', async () => {
    // faults.py refuses unknown names at import (SystemExit): the app is imported fresh per backend.
    await expect(startFastapiBackend({ env: emu.env(), faults: ['no-such-fault'] })).rejects.toThrow(
      /FastAPI backend exited \(1\) before listening; stderr:\n[\s\S]*unknown FAULTS: no-such-fault \(known: /,
    );
  });

  it('each backend is its own process, in its own working directory', () => {
    expect(new Set([correct.pid, envNotLoaded.pid, forbid.pid, process.pid]).size).toBe(4);
    for (const b of [correct, envNotLoaded, forbid]) expect(realpathSync(`/proc/${b.pid}/cwd`)).toBe(realpathSync(path.dirname(b.envFile!)));
  });

  it('stop() ends the backend through its own pid and removes its folder', async () => {
    const b = await startFastapiBackend({ env: emu.env() });
    expect((await fetch(`${b.url}/health`)).status).toBe(200);
    await b.stop();
    // Gone, or a zombie its parent is about to reap: not running either way.
    const state = (() => {
      try {
        return readFileSync(`/proc/${b.pid}/stat`, 'utf8').split(') ')[1]![0];
      } catch {
        return 'gone';
      }
    })();
    expect(['gone', 'Z']).toContain(state);
    expect(existsSync(b.envFile!)).toBe(false);
    await expect(fetch(`${b.url}/health`)).rejects.toThrow();
  });

  it('forbid-missing-header: HTTPBearer() of FastAPI 0.92 answers 403 and the app never sees the request', async () => {
    const r = await postJob(forbid);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ detail: 'Not authenticated' });
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect(await readAuditLines(forbid.auditDir)).toEqual([]);
  });
});

describe('Express + @clerk/express backend', () => {
  let correct: RunningBackend;
  let parties: RunningBackend;
  beforeAll(async () => {
    [correct, parties] = await Promise.all([
      track(startExpressBackend({ env: emu.env() })),
      track(startExpressBackend({ env: emu.env(), faults: ['authorized-parties'] })),
    ]);
  });

  it('accepts a fresh session token with one attributable audit line', async () => {
    await expectAcceptedAndAudited(correct);
  });

  it('answers 401 JSON without a header; Clerk says signed-out in x-clerk-auth-status', async () => {
    const r = await postJob(correct);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'Unauthorized' });
    expect(r.headers.get('x-clerk-auth-status')).toBe('signed-out');
    // pk_test_ (development instance) and no token at all: the SDK reports the missing dev-browser cookie.
    expect(r.headers.get('x-clerk-auth-reason')).toBe('dev-browser-missing');
  });

  it('authorized-parties: a BAPI-minted token has no azp → 401 token-invalid-authorized-parties', async () => {
    const r = await postJob(parties, (await source.mint()).token);
    expect(r.status).toBe(401);
    expect(r.headers.get('x-clerk-auth-reason')).toBe('token-invalid-authorized-parties');
    expect(r.headers.get('x-clerk-auth-message')).toContain('Invalid JWT Authorized party claim (azp) undefined. Expected "https://app.example.com".');
    expect(await readAuditLines(parties.auditDir)).toMatchObject([{ event: 'auth_failed', reason: 'token-invalid-authorized-parties' }]);
  });
});
