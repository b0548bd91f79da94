import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAttackerJwks, type AttackerJwks } from '../src/cases/attacker-jwks.js';
import { CATALOGUE } from '../src/cases/catalogue.js';
import type { CaseContext } from '../src/cases/types.js';
import { TARGET_FLAWS } from '../src/target/flaws.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget, ReferenceTargetOptions, TargetFlaw } from '../src/target/types.js';
import { createLocalInstance, localContext, outcomeOf, type LocalInstance } from './cases-fixtures.js';
import { assertFlawCaught, auditLines, runCase } from './target-helpers.js';

let inst: LocalInstance;
let jwks: AttackerJwks;
let ctx: CaseContext;
let tmp: string;
let n = 0;

beforeAll(async () => {
  [inst, jwks] = await Promise.all([createLocalInstance(), startAttackerJwks()]);
  ctx = localContext(inst, { attackerJwksUrl: jwks.url });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-target-'));
});
afterAll(async () => {
  await jwks.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function withTarget<T>(options: ReferenceTargetOptions, fn: (t: ReferenceTarget) => Promise<T>): Promise<T> {
  const target = await startReferenceTarget({ jwtKey: inst.publicPem, issuer: inst.issuer, auditDir: path.join(tmp, `audit-${n++}`), ...options });
  try {
    return await fn(target);
  } finally {
    await target.stop();
  }
}

const run = (target: ReferenceTarget, id: string, context = ctx) => runCase(target, id, context);
const assertCaught = (flaw: TargetFlaw, target: ReferenceTarget) => assertFlawCaught(flaw, target, ctx);

describe('the correct reference target', () => {
  it('gives every case its expected outcome, audits exactly the accepted ones, and never fetches jku', async () => {
    await withTarget({}, async (target) => {
      const wrong: string[] = [];
      // The azp cases run only for suites naming an authorized_party; the reference target checks none.
      for (const c of CATALOGUE.filter((x) => !x.tags.includes('azp'))) {
        const before = (await auditLines(target)).length;
        const r = await run(target, c.id);
        const outcome = outcomeOf(c, r.status);
        if (outcome !== c.expect) wrong.push(`${c.id}: expected ${c.expect}, got ${r.status} ${r.body.slice(0, 120)}`);
        const gained = (await auditLines(target)).slice(before);
        if (c.expect === 'accepted') {
          expect(gained, c.id).toHaveLength(1);
          expect(gained[0], c.id).toMatchObject({ user_id: r.sent!.sub, token_iat: r.sent!.iat, status: 201, event: 'job.created' });
        } else {
          expect(gained, c.id).toHaveLength(0);
        }
      }
      expect(wrong).toEqual([]);
      expect(jwks.fetchCount()).toBe(0);
    });
  });

  it('writes the agreed audit line shape', async () => {
    await withTarget({}, async (target) => {
      const minted = await inst.mint({ extraClaims: { email: 'ada@example.com' } });
      const res = await fetch(`${target.url}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${minted.token}`, 'content-type': 'application/json' }, body: '{"title":"x"}' });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({ job_id: expect.stringMatching(/^job_[0-9A-Za-z]{27}$/), status: 'pending', user_id: minted.claims.sub });
      const [line, ...rest] = await auditLines(target);
      expect(rest).toEqual([]);
      expect(Object.keys(line!)).toEqual([
        'event_id', 'event', 'outcome', 'timestamp', 'user_id', 'user_email', 'session_id', 'token_iat', 'method', 'path', 'status', 'resource_id',
        'alcoa_attributable', 'alcoa_legible', 'alcoa_contemporaneous', 'alcoa_original', 'alcoa_accurate',
      ]);
      expect(line).toMatchObject({
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        event: 'job.created',
        outcome: 'success',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        user_id: minted.claims.sub,
        user_email: 'ada@example.com',
        session_id: minted.claims.sid,
        token_iat: minted.claims.iat,
        method: 'POST',
        path: '/jobs',
        status: 201,
        resource_id: body.job_id,
        alcoa_accurate: true,
      });
      expect(Math.abs(Date.parse(String(line!.timestamp)) - Date.now())).toBeLessThan(60_000);
    });
  });

  it('names the reason of a refusal in the body and in x-clerk-auth-* headers', async () => {
    await withTarget({}, async (target) => {
      const expired = await run(target, 'expired-token');
      expect(expired.status).toBe(401);
      expect(JSON.parse(expired.body).detail).toMatch(/^JWT is expired\. Expiry date: /);
      expect(expired.headers.get('x-clerk-auth-reason')).toBe('token-expired');
      expect(expired.headers.get('x-clerk-auth-message')).toMatch(/^JWT is expired/);

      const none = await run(target, 'no-authorization-header');
      expect(none.status).toBe(401);
      expect(JSON.parse(none.body)).toEqual({ detail: 'Not authenticated' });
      expect(none.headers.get('www-authenticate')).toBe('Bearer');

      const alg = await run(target, 'alg-none-mixed-case');
      expect(alg.headers.get('x-clerk-auth-reason')).toBe('token-invalid-algorithm');
      const hs = await run(target, 'hs256-public-key-confusion');
      expect(JSON.parse(hs.body).detail).toBe('Invalid JWT algorithm "HS256". Supported: RS256,RS384,RS512.');
    });
  });

  it('serves /health, 404, 405, and refuses a non-JSON body only after authentication', async () => {
    await withTarget({}, async (target) => {
      expect(await (await fetch(`${target.url}/health`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${target.url}/nope`)).status).toBe(404);
      expect((await fetch(`${target.url}/jobs`)).status).toBe(405);
      const bad = await fetch(`${target.url}/jobs`, { method: 'POST', body: 'not json' });
      expect(bad.status).toBe(401);
      const token = (await inst.mint()).token;
      const bad2 = await fetch(`${target.url}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'not json' });
      expect(bad2.status).toBe(400);
      expect(await auditLines(target)).toEqual([]);
    });
  });

  it('keeps lines whole under concurrent requests', async () => {
    await withTarget({}, async (target) => {
      const tokens = await Promise.all(Array.from({ length: 20 }, () => inst.mint()));
      const statuses = await Promise.all(
        tokens.map(async (t) => (await fetch(`${target.url}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: '{}' })).status),
      );
      expect(statuses.every((s) => s === 201)).toBe(true);
      const lines = await auditLines(target);
      expect(lines).toHaveLength(20);
      expect(new Set(lines.map((l) => l.session_id))).toEqual(new Set(tokens.map((t) => t.claims.sid)));
    });
  });

  it('logs refusals when logFailures is on', async () => {
    await withTarget({ logFailures: true }, async (target) => {
      await run(target, 'expired-token');
      const [line] = await auditLines(target);
      expect(line).toMatchObject({ event: 'auth.rejected', outcome: 'failure', user_id: null, token_iat: null, status: 401, reason: 'token-expired', method: 'POST', path: '/jobs' });
    });
  });
});

describe('clock offset', () => {
  it.each([
    [-120, 'token-not-active-yet'],
    [120, 'token-expired'],
  ])('a server clock off by %i s refuses a fresh token (%s) and shows its clock in Date', async (offset, reason) => {
    await withTarget({ clockOffsetSeconds: offset }, async (target) => {
      const r = await run(target, 'valid-session-token');
      expect(r.status).toBe(401);
      expect(r.headers.get('x-clerk-auth-reason')).toBe(reason);
      const skew = (Date.parse(r.headers.get('date')!) - Date.now()) / 1000;
      expect(skew).toBeGreaterThan(offset - 5);
      expect(skew).toBeLessThan(offset + 5);
    });
  });

  it('still accepts fresh tokens and verifies everything else with a small offset', async () => {
    await withTarget({ clockOffsetSeconds: 2 }, async (target) => {
      expect((await run(target, 'valid-session-token')).status).toBe(201);
      expect((await run(target, 'expired-token')).status).toBe(401);
      expect((await run(target, 'signature-altered')).status).toBe(401);
      expect((await run(target, 'missing-exp')).status).toBe(401);
    });
  });
});

describe('without keys', () => {
  it('answers 500 "not configured" like a backend whose env was not loaded; /health stays up', async () => {
    const target = await startReferenceTarget({ auditDir: path.join(tmp, 'nokeys') });
    try {
      const r = await run(target, 'valid-session-token');
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ detail: 'CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)' });
      expect((await fetch(`${target.url}/health`)).status).toBe(200);
    } finally {
      await target.stop();
    }
  });
});

describe('deliberate flaws', () => {
  it.each(TARGET_FLAWS.map((f) => [f]))('%s is caught by the case meant for it, and only changes what it should', async (flaw) => {
    await withTarget({ flaws: [flaw] }, async (target) => {
      await assertCaught(flaw, target);
      if (flaw !== 'env-not-loaded') {
        const control = await run(target, 'valid-session-token');
        // Local session tokens carry neither aud nor email, so those two flaws refuse every genuine token.
        expect(control.status, `${flaw}: valid token`).toBe(flaw === 'require-email' || flaw === 'require-aud' ? 401 : 201);
      }
      if (flaw !== 'accept-expired' && flaw !== 'env-not-loaded') expect((await run(target, 'expired-token')).status).toBe(401);
      if (flaw !== 'skip-signature' && flaw !== 'env-not-loaded') expect((await run(target, 'signature-altered')).status).toBe(401);
    });
  });

  it('accept-expired still honours nbf and the signature; accept-no-exp still needs a valid signature', async () => {
    await withTarget({ flaws: ['accept-expired'] }, async (target) => {
      expect((await run(target, 'nbf-in-future')).status).toBe(401);
      expect((await run(target, 'foreign-key-same-kid')).status).toBe(401);
    });
    await withTarget({ flaws: ['accept-no-exp'] }, async (target) => {
      const forged = await inst.mint();
      const { signWithKey } = await import('../src/tokens/forge.js');
      const { attackerKey } = await import('../src/tokens/forge-keys.js');
      const { exp: _exp, ...noExp } = forged.claims;
      const token = await signWithKey({ ...forged.header }, noExp, (await attackerKey()).privateKey);
      const res = await fetch(`${target.url}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-clerk-auth-reason')).toBe('token-invalid-signature');
    });
  });
});
