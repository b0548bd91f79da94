/**
 * The whole catalogue end to end, as `npm start` runs it: tokens minted through @clerk/backend
 * from the in-process emulator (createTokenSource), the emulator as trusted signer, and the
 * reference target trusting the emulator through its JWKS (secretKey + apiUrl) or its PEM (jwtKey).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAttackerJwks, type AttackerJwks } from '../src/cases/attacker-jwks.js';
import { CATALOGUE } from '../src/cases/catalogue.js';
import type { CaseContext } from '../src/cases/types.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { TARGET_FLAWS } from '../src/target/flaws.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget, ReferenceTargetOptions } from '../src/target/types.js';
import { createTokenSource } from '../src/tokens/clerk-source.js';
import { outcomeOf } from './cases-fixtures.js';
import { assertFlawCaught, auditLines, runCase } from './target-helpers.js';

let emu: Emulator;
let jwks: AttackerJwks;
let ctx: CaseContext;
let tmp: string;
let n = 0;

beforeAll(async () => {
  [emu, jwks] = await Promise.all([startEmulator({ templates: [{ name: 'server-token', claims: { aud: 'jobs-api' } }] }), startAttackerJwks()]);
  const source = await createTokenSource({ apiUrl: emu.url, secretKey: emu.secretKey, testUserEmail: 'harness+clerk_test@example.com' });
  ctx = {
    source,
    mint: (o) => source.mint(o),
    trustedSigner: source.trustedSigner,
    publicKeyPem: emu.currentKey().publicPem,
    template: 'server-token',
    attackerJwksUrl: jwks.url,
    nowSeconds: () => Math.floor(Date.now() / 1000),
  };
  tmp = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-target-emu-'));
});
afterAll(async () => {
  await Promise.all([emu?.stop(), jwks?.stop()]);
  await rm(tmp, { recursive: true, force: true });
});

async function withTarget<T>(options: ReferenceTargetOptions, fn: (t: ReferenceTarget) => Promise<T>): Promise<T> {
  const target = await startReferenceTarget({ issuer: emu.issuer, auditDir: path.join(tmp, `audit-${n++}`), ...options });
  try {
    return await fn(target);
  } finally {
    await target.stop();
  }
}

const MODES: Array<[string, () => ReferenceTargetOptions]> = [
  ['the instance JWKS (secretKey + apiUrl)', () => ({ secretKey: emu.secretKey, apiUrl: emu.url })],
  ['the PEM (jwtKey, networkless)', () => ({ jwtKey: emu.currentKey().publicPem })],
];

describe('every case against the correct reference target trusting the emulator', () => {
  it.each(MODES)('gives the expected outcome when verifying with %s', async (_label, keys) => {
    await withTarget(keys(), async (target) => {
      expect(ctx.source.mode).toBe('emulator');
      const wrong: string[] = [];
      let accepted = 0;
      // The azp cases run only for suites naming an authorized_party; the reference target checks none.
      for (const c of CATALOGUE.filter((x) => !x.tags.includes('azp'))) {
        const before = (await auditLines(target)).length;
        const r = await runCase(target, c.id, ctx);
        if (outcomeOf(c, r.status) !== c.expect) wrong.push(`${c.id}: expected ${c.expect}, got ${r.status} ${r.body.slice(0, 160)}`);
        const gained = (await auditLines(target)).slice(before);
        expect(gained.length, c.id).toBe(c.expect === 'accepted' ? 1 : 0);
        if (c.expect === 'accepted') {
          accepted++;
          expect(gained[0], c.id).toMatchObject({ user_id: r.sent!.sub, token_iat: r.sent!.iat });
        }
      }
      expect(wrong).toEqual([]);
      expect(accepted).toBe(CATALOGUE.filter((c) => c.expect === 'accepted' && !c.tags.includes('azp')).length);
      expect(jwks.fetchCount()).toBe(0);
    });
  });
});

describe('each deliberate flaw, with emulator-minted tokens', () => {
  it('is caught by the case meant for it', async () => {
    for (const flaw of TARGET_FLAWS) {
      await withTarget({ secretKey: emu.secretKey, apiUrl: emu.url, flaws: [flaw] }, (target) => assertFlawCaught(flaw, target, ctx));
    }
  });
});
