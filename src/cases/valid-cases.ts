/** Cases a correct server accepts: genuine tokens, including the shapes verifiers often trip over. */
import { withoutClaims } from '../tokens/forge.js';
import { defineCase, describeHeader, genuine, sendToken, signTrusted, skip } from './define.js';
import { NEED_REASONS, hasNeed } from './needs.js';
import { EXP_PASSED_WITHIN_LEEWAY_SECONDS, IAT_AHEAD_WITHIN_LEEWAY_SECONDS } from './timing.js';
import type { CaseDef } from './types.js';

export const validCases: CaseDef[] = [
  defineCase({
    id: 'valid-session-token',
    title: 'Valid session token',
    expect: 'accepted',
    severity: 'high',
    why: 'A fresh, genuine session token must be accepted and the request attributed to its user; if it is not, nothing else the API does can be trusted or tested.',
    hint: 'Check that the verifier trusts the right instance (CLERK_SECRET_KEY / CLERK_JWT_KEY of the same instance that minted the token), that the env file is loaded before the auth module is imported, and that the server was restarted after the env file changed. Run `clerk-harness doctor`.',
    needs: [],
    tags: ['valid', 'audit'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(g.token, `genuine session token (${describeHeader(g.header)})`);
    },
  }),
  defineCase({
    id: 'valid-without-email',
    title: 'Valid session token without an email claim',
    expect: 'accepted',
    severity: 'high',
    why: 'Clerk session tokens carry no `email` claim unless the session token is customised; a verifier that requires it locks every user out.',
    hint: 'Do not require `email` in the token: read it from Clerk (users.getUser(sub)) when needed and log `user_email: null` otherwise; `sub` alone attributes the request.',
    needs: [],
    tags: ['valid', 'claims'],
    async make(ctx) {
      const g = await genuine(ctx);
      if (!('email' in g.claims)) return sendToken(g.token, 'genuine session token (it carries no email claim)');
      if (!hasNeed(ctx, 'trusted-signer')) {
        return skip(`the session token of this instance carries an email claim; removing it ${NEED_REASONS['trusted-signer']}`);
      }
      const token = await signTrusted(ctx, g.header, withoutClaims(g.claims, 'email'));
      return sendToken(token, 'genuine session claims with `email` removed, signed by the trusted key');
    },
  }),
  defineCase({
    id: 'valid-without-aud',
    title: 'Valid session token without an aud claim',
    expect: 'accepted',
    severity: 'high',
    why: 'Clerk session tokens carry `azp`, not `aud`. A verifier configured with an audience (PyJWT `audience=`, CLERK_JWT_AUDIENCE) rejects every session token with `Token is missing the "aud" claim`.',
    hint: 'Unset CLERK_JWT_AUDIENCE for session tokens (PyJWT: `options={"verify_aud": False}` or no `audience=`); check `azp` against your origins instead, or use a JWT template that adds `aud`.',
    needs: [],
    tags: ['valid', 'claims'],
    async make(ctx) {
      const g = await genuine(ctx);
      if (!('aud' in g.claims)) return sendToken(g.token, 'genuine session token (it carries no aud claim)');
      if (!hasNeed(ctx, 'trusted-signer')) {
        return skip(`the session token of this instance carries an aud claim; removing it ${NEED_REASONS['trusted-signer']}`);
      }
      const token = await signTrusted(ctx, g.header, withoutClaims(g.claims, 'aud'));
      return sendToken(token, 'genuine session claims with `aud` removed, signed by the trusted key');
    },
  }),
  defineCase({
    id: 'iat-ahead-within-leeway',
    title: `iat ${IAT_AHEAD_WITHIN_LEEWAY_SECONDS} s in the future (within clock skew)`,
    expect: 'accepted',
    severity: 'medium',
    why: 'Clocks drift: a server a few seconds behind Clerk sees `iat` slightly in the future. PyJWT ≥ 2.6 with leeway 0 rejects such tokens at random ("The token is not yet valid (iat)").',
    hint: 'Allow a few seconds of clock skew (PyJWT `leeway=10`, @clerk/backend `clockSkewInMs` default 5000) and keep the server clock in sync (NTP; `sudo hwclock -s` on WSL after sleep).',
    needs: ['trusted-signer'],
    tags: ['lifetime', 'clock'],
    async make(ctx) {
      const g = await genuine(ctx);
      const now = ctx.nowSeconds();
      const iat = now + IAT_AHEAD_WITHIN_LEEWAY_SECONDS;
      const token = await signTrusted(ctx, g.header, { ...g.claims, iat, nbf: now - 10, exp: iat + 60 });
      return sendToken(token, `genuine session claims with iat = now+${IAT_AHEAD_WITHIN_LEEWAY_SECONDS}s, signed by the trusted key`);
    },
  }),
  defineCase({
    id: 'exp-just-passed-within-leeway',
    title: `exp ${EXP_PASSED_WITHIN_LEEWAY_SECONDS} s ago (within clock skew)`,
    expect: 'accepted',
    severity: 'info',
    informational: true,
    why: 'Shows how much clock skew the verifier tolerates on `exp`. @clerk/backend allows 5 s; a verifier with no leeway rejects it. Either is defensible, so this never fails the run.',
    hint: 'If this is rejected and clients report sporadic "token expired", allow a few seconds of leeway and check the server clock.',
    needs: ['trusted-signer'],
    tags: ['lifetime', 'clock'],
    async make(ctx) {
      const g = await genuine(ctx);
      const now = ctx.nowSeconds();
      const exp = now - EXP_PASSED_WITHIN_LEEWAY_SECONDS;
      const token = await signTrusted(ctx, g.header, { ...g.claims, iat: exp - 60, nbf: exp - 70, exp });
      return sendToken(token, `genuine session claims with exp = now-${EXP_PASSED_WITHIN_LEEWAY_SECONDS}s, signed by the trusted key`);
    },
  }),
  defineCase({
    id: 'template-token',
    title: 'Token from a JWT template',
    expect: 'accepted',
    severity: 'medium',
    why: 'Backends that call the API from a server often use a JWT template token (e.g. `server-token`); it carries the template claims and no `sid`.',
    hint: 'Verify template tokens with verifyToken (or `acceptsToken` including them). Note: authenticateRequest/@clerk/express reject template tokens on session routes (token-type-mismatch since @clerk/backend 3.16.9); if your API must reject them, set this case to `rejected` in the suite.',
    needs: ['template'],
    tags: ['valid', 'template'],
    async make(ctx) {
      const minted = await ctx.mint({ template: ctx.template });
      const now = ctx.nowSeconds();
      if (typeof minted.claims.exp === 'number' && minted.claims.exp <= now) {
        return skip(`template "${ctx.template}" produced a token that is already expired (exp ${minted.claims.exp}, now ${now})`);
      }
      return sendToken(minted.token, `genuine token from JWT template "${ctx.template}" (${describeHeader({ ...minted.header })})`);
    },
  }),
];
