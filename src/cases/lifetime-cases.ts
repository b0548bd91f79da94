/** Cases about the token's lifetime claims (exp, nbf, iat) outside any reasonable leeway. */
import { withoutClaims } from '../tokens/forge.js';
import { defineCase, genuine, sendToken, signTrusted, skip } from './define.js';
import { hasNeed } from './needs.js';
import { BEYOND_LEEWAY_SECONDS, EXPIRED_REAL_TOKEN_MIN_AGE_SECONDS } from './timing.js';
import type { CaseDef } from './types.js';

const B = BEYOND_LEEWAY_SECONDS;

export const lifetimeCases: CaseDef[] = [
  defineCase({
    id: 'expired-token',
    title: `Expired token (exp ${B} s ago, beyond skew and leeway)`,
    expect: 'rejected',
    severity: 'critical',
    why: 'A stolen or leaked token must stop working when it expires (Clerk session tokens live 60 s); a verifier that ignores `exp` accepts it forever.',
    hint: 'Verify `exp` (PyJWT does when present; @clerk/backend always) and keep leeway small (≤ 10 s). Look for verify_exp=False, ignoreExpiration, or a huge clockSkewInMs/leeway.',
    needs: [],
    needsAnyOf: ['trusted-signer', 'expired-real-token'],
    tags: ['lifetime', 'critical-path'],
    async make(ctx) {
      const now = ctx.nowSeconds();
      if (hasNeed(ctx, 'trusted-signer')) {
        const g = await genuine(ctx);
        const exp = now - B;
        const token = await signTrusted(ctx, g.header, { ...g.claims, iat: exp - 60, nbf: exp - 70, exp });
        return sendToken(token, `genuine session claims with exp = now-${B}s, signed by the trusted key`);
      }
      const old = await ctx.expiredToken!();
      if (!old) return skip('no expired genuine token is available yet (the run mints one early and uses it once it has expired)');
      const exp = typeof old.claims.exp === 'number' ? old.claims.exp : undefined;
      if (exp === undefined || now - exp < EXPIRED_REAL_TOKEN_MIN_AGE_SECONDS) {
        return skip(
          `the early genuine token has not been expired long enough (needs exp at least ${EXPIRED_REAL_TOKEN_MIN_AGE_SECONDS} s in the past, beyond skew and leeway)`,
        );
      }
      return sendToken(old.token, `genuine session token minted earlier, expired ${now - exp}s ago (unmodified)`);
    },
  }),
  defineCase({
    id: 'nbf-in-future',
    title: `nbf ${B} s in the future`,
    expect: 'rejected',
    severity: 'medium',
    why: 'A token that is not valid yet (`nbf` ahead beyond any skew) must be refused; accepting it means `nbf` is ignored and pre-issued tokens work early.',
    hint: 'Verify `nbf` with a small leeway (PyJWT does when present; @clerk/backend always). If genuine tokens fail with "not yet valid (nbf)", the server clock is behind: sync it.',
    needs: ['trusted-signer'],
    tags: ['lifetime', 'clock'],
    async make(ctx) {
      const g = await genuine(ctx);
      const now = ctx.nowSeconds();
      const token = await signTrusted(ctx, g.header, { ...g.claims, iat: now, nbf: now + B, exp: now + B + 60 });
      return sendToken(token, `genuine session claims with nbf = now+${B}s, signed by the trusted key`);
    },
  }),
  defineCase({
    id: 'iat-in-future',
    title: `iat ${B} s in the future`,
    expect: 'rejected',
    severity: 'low',
    why: 'A token claiming to be issued minutes from now was not issued by a synchronised Clerk; @clerk/backend and PyJWT ≥ 2.6 refuse it, python-jose and jose do not check.',
    hint: 'Reject `iat` beyond a small leeway (@clerk/backend does; PyJWT ≥ 2.6 does; with jose add a check of your own).',
    needs: ['trusted-signer'],
    tags: ['lifetime', 'clock'],
    async make(ctx) {
      const g = await genuine(ctx);
      const now = ctx.nowSeconds();
      const token = await signTrusted(ctx, g.header, { ...g.claims, iat: now + B, nbf: now - 10, exp: now + B + 60 });
      return sendToken(token, `genuine session claims with iat = now+${B}s, signed by the trusted key`);
    },
  }),
  defineCase({
    id: 'missing-exp',
    title: 'Token without exp',
    expect: 'rejected',
    // Hardening: only the instance's private key can make such a token (policy.ts).
    severity: 'medium',
    why: 'A token without `exp` never expires. PyJWT, python-jose and jose accept it unless told to require `exp` (PyJWT\'s default); making one needs the instance\'s private key, so this is hardening, not a hole anyone can use.',
    hint: 'Require exp: PyJWT `options={"require": ["exp", "iat", "nbf"]}`, jose `requiredClaims: ["exp"]`; @clerk/backend requires it already.',
    needs: ['trusted-signer'],
    tags: ['lifetime', 'claims', 'critical-path'],
    async make(ctx) {
      const g = await genuine(ctx);
      const now = ctx.nowSeconds();
      const token = await signTrusted(ctx, g.header, { ...withoutClaims(g.claims, 'exp'), iat: now, nbf: now - 10 });
      return sendToken(token, 'genuine session claims with `exp` removed, signed by the trusted key');
    },
  }),
];
