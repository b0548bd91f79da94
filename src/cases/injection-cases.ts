/** Cases that smuggle key material or hostile values through the JWT header, and an oversized token. */
import { randomBytes } from 'node:crypto';
import { attackerJkuUrl } from './attacker-jwks.js';
import { attackerKey } from '../tokens/forge-keys.js';
import { freshTimes, signHs256, signWithKey, tamperClaims } from '../tokens/forge.js';
import { defineCase, genuine, sendToken, signTrusted, skip } from './define.js';
import { hasNeed } from './needs.js';
import { OVERSIZED_CLAIM_BYTES } from './timing.js';
import type { CaseAuth, CaseDef } from './types.js';

/** The one case that needs the runner's attacker JWKS server (src/suite/worker-deps.ts starts it only for plans with it). */
export const JKU_CASE_ID = 'jku-attacker-jwks';

const KEY_SOURCE_HINT =
  'Take verification keys only from your own instance (CLERK_JWT_KEY or the instance JWKS); ignore `jwk`, `jku`, `x5u` and `x5c` headers (RFC 8725 §3.10). Standard verifiers do; hand-written key lookups often do not.';
const KID_HINT =
  'Treat `kid` as an opaque lookup key into your instance JWKS: never a file path, SQL fragment or shell argument; unknown kid → 401. Pin algorithms=["RS256"] so an HMAC key can never be chosen.';

export const PATH_TRAVERSAL_KID = '../../../../../../dev/null';
export const SQL_INJECTION_KID = "x' UNION SELECT '1';--";

export const injectionCases: CaseDef[] = [
  defineCase({
    id: 'embedded-jwk',
    title: 'Attacker key embedded in the jwk header',
    expect: 'rejected',
    severity: 'critical',
    why: 'A verifier that trusts a public key carried inside the token verifies the attacker\u2019s signature with the attacker\u2019s key (CVE-2018-0114).',
    hint: KEY_SOURCE_HINT,
    needs: [],
    tags: ['key-injection', 'signature'],
    async make(ctx) {
      const [g, attacker] = await Promise.all([genuine(ctx), attackerKey()]);
      const header = { ...g.header, kid: attacker.kid, jwk: attacker.publicJwk };
      const token = await signWithKey(header, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, attacker.privateKey);
      return sendToken(token, `genuine session claims signed by an attacker key that the jwk header carries (kid=${attacker.kid})`);
    },
  }),
  defineCase({
    id: JKU_CASE_ID,
    title: 'jku header pointing at an attacker JWKS',
    expect: 'rejected',
    severity: 'critical',
    why: 'A verifier that fetches keys from the URL named in the token trusts whoever runs that URL, and can be made to request internal URLs (SSRF). The harness serves the attacker JWKS on loopback and counts fetches.',
    hint: KEY_SOURCE_HINT,
    needs: [],
    tags: ['key-injection', 'signature', 'ssrf'],
    async make(ctx) {
      if (!ctx.attackerJwksUrl) return skip('no attacker JWKS server is running (the runner starts one on loopback for this case)');
      const [g, attacker] = await Promise.all([genuine(ctx), attackerKey()]);
      const jku = attackerJkuUrl(ctx.attackerJwksUrl, attacker.publicJwk, randomBytes(6).toString('hex'));
      const header = { ...g.header, kid: attacker.kid, jku };
      const token = await signWithKey(header, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, attacker.privateKey);
      return { ...sendToken(token, `genuine session claims signed by an attacker key published at the jku URL (${new URL(jku).origin}/keys/…)`), keyUrl: `${new URL(jku).origin}/keys/…`, keyUrlMatch: new URL(jku).pathname.replace(/jwks\.json$/, '') } as CaseAuth;
    },
  }),
  defineCase({
    id: 'kid-path-traversal',
    title: 'kid path traversal (/dev/null as an empty HMAC key)',
    expect: 'rejected',
    severity: 'critical',
    why: 'A verifier that reads the key file named by `kid` reads /dev/null, gets an empty key, and accepts an HS256 token signed with nothing (jwt_tool "kid path traversal").',
    hint: KID_HINT,
    needs: [],
    tags: ['kid', 'algorithm'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = await signHs256({ ...g.header, kid: PATH_TRAVERSAL_KID }, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, '');
      return sendToken(token, `genuine session claims, alg=HS256 with an empty key, kid=${JSON.stringify(PATH_TRAVERSAL_KID)}`);
    },
  }),
  defineCase({
    id: 'kid-sql-injection',
    title: 'kid SQL injection (attacker-chosen HMAC key)',
    expect: 'rejected',
    severity: 'critical',
    why: 'A verifier that builds a key query from `kid` lets the token choose its own key: `UNION SELECT \'1\'` makes "1" the HMAC secret (jwt_tool "kid SQL injection").',
    hint: KID_HINT,
    needs: [],
    tags: ['kid', 'algorithm'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = await signHs256({ ...g.header, kid: SQL_INJECTION_KID }, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, '1');
      return sendToken(token, `genuine session claims, alg=HS256 keyed with "1", kid=${JSON.stringify(SQL_INJECTION_KID)}`);
    },
  }),
  defineCase({
    id: 'oversized-token',
    title: `Oversized token (${OVERSIZED_CLAIM_BYTES / 1024} KiB claim)`,
    expect: 'rejected',
    severity: 'low',
    rejectStatuses: [400, 413, 431],
    why: 'Tokens are parsed before they are trusted; an unbounded header lets a client spend the server\u2019s memory and CPU. Servers should refuse it early (Node and uvicorn answer 431 above 16 KiB of headers) and never crash.',
    hint: 'Keep the server\u2019s request-header limit (Node --max-http-header-size 16 KiB default, uvicorn h11 limit) and reject oversized Authorization headers with 4xx before decoding.',
    needs: [],
    tags: ['robustness', 'header'],
    async make(ctx) {
      const g = await genuine(ctx);
      const pad = 'A'.repeat(OVERSIZED_CLAIM_BYTES);
      // The report gets the claims with the padding summarised, not 16 KiB of 'A'.
      const summary = (claims: Record<string, unknown>) => ({ header: g.header, claims: { ...claims, pad: `[${pad.length} bytes]` } });
      if (hasNeed(ctx, 'trusted-signer')) {
        const claims = { ...g.claims, ...freshTimes(ctx.nowSeconds()) };
        const token = await signTrusted(ctx, g.header, { ...claims, pad });
        return { ...sendToken(token, `genuine session claims plus a ${pad.length}-byte claim, signed by the trusted key`), token: summary(claims) };
      }
      const token = tamperClaims(g.token, { pad });
      return { ...sendToken(token, `genuine session token plus a ${pad.length}-byte claim (original signature, so also tampered)`), token: summary(g.claims) };
    },
  }),
];
