/** Cases about identity claims: who the token is for and who issued it. */
import { freshTimes, randomClerkId, tamperClaims, withoutClaims } from '../tokens/forge.js';
import { defineCase, genuine, sendToken, signTrusted, skip } from './define.js';
import type { CaseDef } from './types.js';

/** An issuer that is Clerk-shaped but belongs to no instance the target trusts. */
export const FOREIGN_ISSUER = 'https://evil-instance-66.clerk.accounts.dev';

const NO_AZP_POLICY = 'the suite names no authorized_party, so the target is not expected to check azp (set authorized_party: https://your.app when it passes authorizedParties)';

export const claimCases: CaseDef[] = [
  defineCase({
    id: 'azp-foreign',
    title: 'azp of another origin',
    expect: 'rejected',
    // Hardening: made here with the trusted key (policy.ts).
    severity: 'medium',
    why: 'Clerk puts the origin that requested a session token in `azp`; a backend that lists its origins (authorizedParties) must refuse a token requested from another origin, or a token leaked from any site using the instance works against it.',
    hint: 'Pass your origins to the verifier: @clerk/express clerkMiddleware({ authorizedParties: ["https://your.app"] }), @clerk/backend authenticateRequest/verifyToken authorizedParties; PyJWT: compare payload["azp"] with your list.',
    needs: ['trusted-signer'],
    tags: ['claims', 'azp'],
    async make(ctx) {
      if (!ctx.authorizedParty) return skip(NO_AZP_POLICY);
      const g = await genuine(ctx);
      const token = await signTrusted(ctx, g.header, { ...g.claims, ...freshTimes(ctx.nowSeconds()), azp: 'https://evil.example' });
      return sendToken(token, 'genuine session claims with azp = https://evil.example, signed by the trusted key');
    },
  }),
  defineCase({
    id: 'azp-missing',
    title: 'No azp where the target requires one',
    expect: 'rejected',
    severity: 'medium',
    why: 'A backend that enforces authorized parties and lets a token without `azp` through has no origin check at all for such tokens (@clerk/backend refuses them: "Invalid JWT Authorized party claim (azp) undefined").',
    hint: 'Refuse tokens whose azp is missing or not in your list (@clerk/backend does with authorizedParties set); PyJWT: require "azp" and compare it.',
    needs: ['trusted-signer'],
    tags: ['claims', 'azp'],
    async make(ctx) {
      if (!ctx.authorizedParty) return skip(NO_AZP_POLICY);
      const g = await genuine(ctx);
      const token = await signTrusted(ctx, g.header, { ...withoutClaims(g.claims, 'azp'), ...freshTimes(ctx.nowSeconds()) });
      return sendToken(token, 'genuine session claims without azp, signed by the trusted key');
    },
  }),
  defineCase({
    id: 'missing-sub',
    title: 'Token without sub',
    expect: 'rejected',
    // Hardening: only the instance's private key can make such a token (policy.ts).
    severity: 'medium',
    why: 'Without `sub` the request cannot be attributed to a user: the audit trail loses its "who", and code that reads `sub` later may crash or fall back to a default user.',
    hint: 'Require `sub` (PyJWT `options={"require": ["sub", ...]}`; @clerk/backend requires it) and take the audit user_id from it.',
    needs: ['trusted-signer'],
    tags: ['claims', 'audit'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = await signTrusted(ctx, g.header, { ...withoutClaims(g.claims, 'sub'), ...freshTimes(ctx.nowSeconds()) });
      return sendToken(token, 'genuine session claims with `sub` removed, signed by the trusted key');
    },
  }),
  defineCase({
    id: 'wrong-issuer',
    title: 'Wrong issuer (iss of another instance)',
    expect: 'rejected',
    // Hardening advice: only the instance's key can sign it, and @clerk/backend skips iss by default (policy.ts).
    severity: 'low',
    why: 'A key shared across instances (or a verifier trusting several) lets tokens of one instance in at another; checking `iss` (RFC 8725 §3.8) stops it. @clerk/backend checks `iss` only when `issuer` is given.',
    hint: 'Pass the expected issuer (CLERK_ISSUER = your Frontend API URL, no trailing slash): PyJWT `issuer=`, @clerk/backend verifyToken `issuer`, jose `issuer`.',
    needs: ['trusted-signer'],
    tags: ['claims'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = await signTrusted(ctx, g.header, { ...g.claims, ...freshTimes(ctx.nowSeconds()), iss: FOREIGN_ISSUER });
      return sendToken(token, `genuine session claims with iss = ${FOREIGN_ISSUER}, signed by the trusted key`);
    },
  }),
  defineCase({
    id: 'payload-tampered',
    title: 'Payload tampered under the original signature (sub changed)',
    expect: 'rejected',
    severity: 'critical',
    why: 'Changing `sub` to another user id while keeping the signature is the simplest impersonation; only a verifier that checks the signature over the payload refuses it (OWASP WSTG-SESS-10).',
    hint: 'Use verify, not decode: PyJWT jwt.decode(token, key, algorithms=["RS256"]) (never verify_signature=False), jose jwtVerify, @clerk/backend verifyToken; read claims only from the verified result.',
    needs: [],
    tags: ['signature', 'critical-path'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(tamperClaims(g.token, { sub: randomClerkId('user') }), 'genuine session token with `sub` replaced by another user id, original signature kept');
    },
  }),
];
