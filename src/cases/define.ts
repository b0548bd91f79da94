/**
 * Building blocks of the catalogue entries: `defineCase` turns declarative data plus a `make`
 * function into a CaseDef whose build() checks the needs first (so a missing capability is always
 * a skip with a reason, never a half-built token), and a few helpers for what cases send.
 */
import type { MintedToken } from '../tokens/types.js';
import { decodeToken, type JwtClaims, type JwtHeader } from '../tokens/forge.js';
import { missingNeedReason } from './needs.js';
import type { CaseAuth, CaseContext, CaseDef } from './types.js';

export interface CaseSpec extends Omit<CaseDef, 'build'> {
  /** Make the request for this case; only called when every need is met. */
  make(ctx: CaseContext): Promise<CaseAuth>;
}

export function defineCase(spec: CaseSpec): CaseDef {
  const { make, ...data } = spec;
  return {
    ...data,
    async build(ctx: CaseContext): Promise<CaseAuth> {
      const reason = missingNeedReason(data, ctx);
      if (reason) return { kind: 'skip', reason };
      return make(ctx);
    },
  };
}

export function skip(reason: string): CaseAuth {
  return { kind: 'skip', reason };
}

/** A request with `Authorization: <scheme> <token>`; header/claims are decoded for audit correlation when possible. */
export function sendToken(token: string, describe: string, scheme = 'Bearer'): CaseAuth {
  return { kind: 'request', authorization: `${scheme} ${token}`, token: tryDecode(token), describe };
}

/** A request with a literal Authorization value (or none), carrying no token worth correlating. */
export function sendHeader(authorization: string | undefined, describe: string): CaseAuth {
  return { kind: 'request', authorization, describe };
}

function tryDecode(token: string): { header: JwtHeader; claims: JwtClaims } | undefined {
  try {
    const { header, claims } = decodeToken(token);
    return { header, claims };
  } catch {
    return undefined;
  }
}

/** A fresh genuine session token, with its header and claims as plain records. */
export async function genuine(ctx: CaseContext): Promise<{ token: string; header: JwtHeader; claims: JwtClaims; minted: MintedToken }> {
  const minted = await ctx.mint();
  // A target that enforces authorized parties needs the origin in azp; BAPI-minted tokens carry
  // none, so where the harness holds the trusted key it mints with the suite's origin (like a
  // browser session from that origin would be).
  if (ctx.authorizedParty && minted.claims.azp !== ctx.authorizedParty && ctx.trustedSigner) {
    const claims = { ...minted.claims, azp: ctx.authorizedParty };
    const token = await ctx.trustedSigner({ ...minted.header }, claims);
    return { token, header: { ...minted.header }, claims, minted: { ...minted, token, claims } };
  }
  return { token: minted.token, header: { ...minted.header }, claims: { ...minted.claims }, minted };
}

/** Sign with the key the target trusts; callers have checked the 'trusted-signer' need. */
export async function signTrusted(ctx: CaseContext, header: JwtHeader, claims: JwtClaims): Promise<string> {
  if (!ctx.trustedSigner) throw new Error('signTrusted called without a trusted signer (needs check missing)');
  return ctx.trustedSigner(header, claims);
}

/** "alg=RS256 kid=ins_…" — enough to tell tokens apart in a report, nothing secret. */
export function describeHeader(header: JwtHeader): string {
  const parts = [`alg=${String(header.alg)}`];
  if (header.kid !== undefined) parts.push(`kid=${JSON.stringify(header.kid)}`);
  return parts.join(' ');
}
