import { beforeAll, describe, expect, it } from 'vitest';
import { CASE_IDS, CATALOGUE, getCase } from '../src/cases/catalogue.js';
import { NEED_REASONS, missingNeedReason } from '../src/cases/needs.js';
import { SEVERITIES, type CaseAuth, type CaseDef } from '../src/cases/types.js';
import { FLAWS, TARGET_FLAWS } from '../src/target/flaws.js';
import { severityAtLeast } from '../src/suite/policy.js';
import { isHarnessError } from '../src/errors.js';
import { decodeToken } from '../src/tokens/forge.js';
import { createLocalInstance, localContext, type LocalInstance } from './cases-fixtures.js';

const ISSUE_CASES = [
  'valid-session-token', 'valid-without-email', 'valid-without-aud', 'iat-ahead-within-leeway', 'exp-just-passed-within-leeway', 'template-token',
  'no-authorization-header', 'empty-bearer', 'wrong-scheme-basic', 'wrong-scheme-token', 'malformed-not-three-parts', 'truncated-token',
  'expired-token', 'nbf-in-future', 'iat-in-future', 'missing-exp', 'missing-sub', 'wrong-issuer', 'signature-altered',
  'foreign-key-same-kid', 'unknown-kid', 'alg-none', 'alg-none-capitalized', 'alg-none-uppercase', 'alg-none-mixed-case',
  'hs256-public-key-confusion', 'payload-tampered', 'embedded-jwk', 'jku-attacker-jwks', 'kid-path-traversal', 'oversized-token',
];

function request(auth: CaseAuth): Extract<CaseAuth, { kind: 'request' }> {
  if (auth.kind !== 'request') throw new Error(`expected a request, got skip: ${auth.reason}`);
  return auth;
}

describe('catalogue integrity', () => {
  it('has unique kebab-case ids and every case the issue names', () => {
    expect(new Set(CASE_IDS).size).toBe(CASE_IDS.length);
    for (const id of CASE_IDS) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(CASE_IDS).toEqual(expect.arrayContaining(ISSUE_CASES));
  });

  it('gives every case a title, why, hint, severity and tags', () => {
    for (const c of CATALOGUE) {
      expect(c.title.length, c.id).toBeGreaterThan(5);
      expect(c.why.length, c.id).toBeGreaterThan(40);
      expect(c.hint.length, c.id).toBeGreaterThan(30);
      expect(SEVERITIES, c.id).toContain(c.severity);
      expect(c.tags.length, c.id).toBeGreaterThan(0);
      expect(['accepted', 'rejected'], c.id).toContain(c.expect);
    }
  });

  it('rates cases by the severity policy: forgeable critical, hardening (needs the instance\'s key) at most medium', () => {
    // src/suite/policy.ts: a token anyone can make without the instance's private key (or replay) → critical;
    // clock/size/contract tolerances → low; a weakness that needs the instance's own key → medium at most
    const TOLERANCE = ['wrong-scheme-basic', 'wrong-scheme-token', 'oversized-token'];
    const rejected = CATALOGUE.filter((c) => c.expect === 'rejected');
    const keyless = rejected.filter((c) => !c.needs.includes('trusted-signer') && !c.needsAnyOf);
    expect(keyless.length).toBeGreaterThan(10);
    for (const c of keyless) expect(c.severity, c.id).toBe(TOLERANCE.includes(c.id) ? 'low' : 'critical');
    for (const id of ['signature-altered', 'payload-tampered', 'foreign-key-same-kid', 'unknown-kid', 'alg-none', 'alg-none-mixed-case', 'hs256-public-key-confusion', 'embedded-jwk', 'jku-attacker-jwks', 'no-authorization-header']) {
      expect(keyless.map((c) => c.id), id).toContain(id);
    }
    const signerOnly = CATALOGUE.filter((c) => c.needs.includes('trusted-signer') && !c.needsAnyOf);
    expect(signerOnly.map((c) => c.id)).toEqual(expect.arrayContaining(['missing-exp', 'missing-sub', 'nbf-in-future', 'wrong-issuer']));
    for (const c of signerOnly) expect(severityAtLeast(c.severity, 'high'), `${c.id} is ${c.severity}`).toBe(false);
    expect(getCase('missing-exp').severity).toBe('medium'); // hardening, not critical: exploiting it needs the private key
    expect(getCase('missing-sub').severity).toBe('medium');
    expect(getCase('expired-token').severity).toBe('critical'); // replay of a genuine token anyone captured
    expect(getCase('exp-just-passed-within-leeway').informational).toBe(true);
    expect(CATALOGUE.filter((c) => c.informational).every((c) => c.severity === 'info')).toBe(true);
  });

  it('names, for every deliberate flaw of the reference target, cases that exist and expect the opposite of the flaw', () => {
    expect(TARGET_FLAWS.length).toBe(13);
    for (const flaw of TARGET_FLAWS) {
      const info = FLAWS[flaw];
      expect(info.caughtBy.length, flaw).toBeGreaterThan(0);
      for (const id of info.caughtBy) {
        const c = getCase(id);
        if (info.symptom === 'accepts') expect(c.expect, `${flaw} → ${id}`).toBe('rejected');
        if (info.symptom === 'rejects' || info.symptom === 'audit') expect(c.expect, `${flaw} → ${id}`).toBe('accepted');
      }
    }
  });

  it('rejects unknown ids with a USAGE error listing valid ones', () => {
    try {
      getCase('alg-nope');
      expect.unreachable();
    } catch (err) {
      expect(isHarnessError(err) && err.code).toBe('USAGE');
      expect((err as Error & { hint: string }).hint).toContain('alg-none');
    }
  });
});

describe('building cases', () => {
  let inst: LocalInstance;
  beforeAll(async () => {
    inst = await createLocalInstance();
  });

  it('builds every case with full capabilities and never puts a token in its description', async () => {
    const ctx = localContext(inst, { attackerJwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json', authorizedParty: 'https://app.example.com' });
    for (const c of CATALOGUE) {
      const auth = request(await c.build(ctx));
      expect(auth.describe.length, c.id).toBeGreaterThan(5);
      expect(auth.describe, c.id).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
      if (auth.authorization) expect(auth.authorization.length, c.id).toBeLessThan(30_000);
    }
  });

  it('skips with a reason the user can act on when a capability is missing (never fakes)', async () => {
    const ctx = localContext(inst, { trustedSigner: undefined, publicKeyPem: undefined, template: undefined, attackerJwksUrl: undefined });
    const skipped: Record<string, string> = {};
    for (const c of CATALOGUE) {
      const auth = await c.build(ctx);
      if (auth.kind === 'skip') skipped[c.id] = auth.reason;
    }
    expect(Object.keys(skipped).sort()).toEqual(
      ['azp-foreign', 'azp-missing', 'expired-token', 'hs256-public-key-confusion', 'iat-ahead-within-leeway', 'exp-just-passed-within-leeway', 'iat-in-future', 'jku-attacker-jwks', 'missing-exp', 'missing-sub', 'nbf-in-future', 'template-token', 'wrong-issuer'].sort(),
    );
    expect(skipped['missing-exp']).toBe(NEED_REASONS['trusted-signer']);
    expect(skipped['missing-exp']).toContain('run against the emulator');
    expect(skipped['template-token']).toContain('CLERK_JWT_TEMPLATE');
    expect(skipped['expired-token']).toContain('expired');
  });

  it('makes the expired case from a genuine early token when there is no trusted signer, and only once it is expired long enough', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await inst.mint({ now: now - 100, expiresInSeconds: 60 }); // exp = now - 40
    const ctx = localContext(inst, { trustedSigner: undefined, expiredToken: async () => old });
    const auth = request(await getCase('expired-token').build(ctx));
    expect(auth.authorization).toBe(`Bearer ${old.token}`);
    expect(auth.describe).toMatch(/expired \d+s ago \(unmodified\)/);

    const recent = await inst.mint({ now: now - 70, expiresInSeconds: 60 }); // exp = now - 10: within skew + leeway
    const tooRecent = await getCase('expired-token').build(localContext(inst, { trustedSigner: undefined, expiredToken: async () => recent }));
    expect(tooRecent.kind).toBe('skip');
    const none = await getCase('expired-token').build(localContext(inst, { trustedSigner: undefined, expiredToken: async () => undefined }));
    expect(none).toMatchObject({ kind: 'skip', reason: expect.stringContaining('no expired genuine token') });
  });

  it('dates lifetime cases from ctx.nowSeconds()', async () => {
    const fixedNow = 2_000_000_000;
    const ctx = localContext(inst, { nowSeconds: () => fixedNow });
    const claims = (id: string) => async () => decodeToken(request(await getCase(id).build(ctx)).authorization!.slice(7)).claims;
    expect(await claims('expired-token')()).toMatchObject({ exp: fixedNow - 120 });
    expect(await claims('nbf-in-future')()).toMatchObject({ nbf: fixedNow + 120 });
    expect(await claims('iat-in-future')()).toMatchObject({ iat: fixedNow + 120 });
    expect(await claims('iat-ahead-within-leeway')()).toMatchObject({ iat: fixedNow + 3 });
    expect(await claims('exp-just-passed-within-leeway')()).toMatchObject({ exp: fixedNow - 2 });
    expect(await claims('missing-exp')()).not.toHaveProperty('exp');
    expect(await claims('missing-sub')()).not.toHaveProperty('sub');
  });

  it('strips email/aud by re-signing only when the genuine token has them', async () => {
    const withBoth: LocalInstance = { ...inst, mint: (o) => inst.mint({ ...o, extraClaims: { email: 'a@example.com', aud: 'x' } }) };
    const ctx = localContext(withBoth, { mint: (o) => withBoth.mint(o) });
    const noEmail = request(await getCase('valid-without-email').build(ctx));
    expect(decodeToken(noEmail.authorization!.slice(7)).claims).not.toHaveProperty('email');
    const noAud = request(await getCase('valid-without-aud').build(ctx));
    expect(decodeToken(noAud.authorization!.slice(7)).claims).not.toHaveProperty('aud');
    const cannot = await getCase('valid-without-email').build(localContext(withBoth, { mint: (o) => withBoth.mint(o), trustedSigner: undefined }));
    expect(cannot).toMatchObject({ kind: 'skip', reason: expect.stringContaining('carries an email claim') });
  });

  it('reports needs consistently with build()', () => {
    const bare = localContext(inst, { trustedSigner: undefined, publicKeyPem: undefined, template: undefined });
    const expired = getCase('expired-token') as CaseDef;
    expect(expired.needsAnyOf).toEqual(['trusted-signer', 'expired-real-token']);
    expect(missingNeedReason(expired, bare)).toContain(NEED_REASONS['trusted-signer']);
    expect(missingNeedReason(expired, { ...bare, expiredToken: async () => undefined })).toBeUndefined();
    expect(missingNeedReason(getCase('hs256-public-key-confusion'), bare)).toBe(NEED_REASONS['public-key']);
  });
});
