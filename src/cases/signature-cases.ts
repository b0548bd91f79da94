/** Cases about the signature and the algorithm: forged, stripped, unsigned and key-confused tokens. */
import { attackerKey } from '../tokens/forge-keys.js';
import {
  ALG_NONE_SPELLINGS,
  algNoneToken,
  alterSignature,
  freshTimes,
  randomClerkId,
  signHs256,
  signWithKey,
  stripSignature,
  type AlgNoneSpelling,
} from '../tokens/forge.js';
import { defineCase, genuine, sendToken } from './define.js';
import type { CaseDef } from './types.js';

const VERIFY_HINT =
  'Verify the signature with the instance key on every request: PyJWT jwt.decode(token, key, algorithms=["RS256"]), @clerk/backend verifyToken, jose jwtVerify with the JWKS; never decode without verifying.';
const ALG_HINT =
  'Pin the algorithm: PyJWT algorithms=["RS256"], jose algorithms: ["RS256"]; never take alg from the token, and never pass "none" or an HMAC alg next to an RSA key.';

const ALG_NONE_IDS: Record<AlgNoneSpelling, string> = {
  none: 'alg-none',
  None: 'alg-none-capitalized',
  NONE: 'alg-none-uppercase',
  nOnE: 'alg-none-mixed-case',
};

const algNoneCases: CaseDef[] = ALG_NONE_SPELLINGS.map((spelling) =>
  defineCase({
    id: ALG_NONE_IDS[spelling],
    title: `alg "${spelling}" with no signature`,
    expect: 'rejected',
    severity: 'critical',
    why: 'An unsecured JWT (alg none, empty signature) lets anyone write any claims (CVE-2015-2951); case variants slip past case-sensitive blocklists.',
    hint: ALG_HINT,
    needs: [],
    tags: ['algorithm', 'signature', 'alg-none'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = algNoneToken(g.header, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, spelling);
      return sendToken(token, `genuine session claims, header alg="${spelling}", empty signature (header.payload.)`);
    },
  }),
);

export const signatureCases: CaseDef[] = [
  defineCase({
    id: 'signature-altered',
    title: 'Signature altered',
    expect: 'rejected',
    severity: 'critical',
    why: 'A genuine token whose signature bytes were changed must fail verification; acceptance means the signature is never checked (decode() instead of verify()).',
    hint: VERIFY_HINT,
    needs: [],
    tags: ['signature', 'critical-path'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(alterSignature(g.token), 'genuine session token with 4 signature bytes inverted');
    },
  }),
  defineCase({
    id: 'null-signature',
    title: 'Signature removed (alg kept, empty signature)',
    expect: 'rejected',
    severity: 'critical',
    why: 'Some verifiers treat an empty signature as valid (CVE-2020-28042, jwt_tool "null signature").',
    hint: VERIFY_HINT,
    needs: [],
    tags: ['signature'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(stripSignature(g.token), 'genuine session token with its signature removed (header.payload.)');
    },
  }),
  defineCase({
    id: 'foreign-key-same-kid',
    title: 'Signed by a foreign key under the trusted kid',
    expect: 'rejected',
    severity: 'critical',
    why: 'An attacker signs genuine-looking claims with their own key and copies the real `kid`; only the signature check against the instance key refuses it.',
    hint: `${VERIFY_HINT} If you cache keys by kid, never accept a key you did not fetch from your own instance.`,
    needs: [],
    tags: ['signature', 'kid'],
    async make(ctx) {
      const [g, attacker] = await Promise.all([genuine(ctx), attackerKey()]);
      const token = await signWithKey(g.header, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, attacker.privateKey);
      return sendToken(token, `genuine session claims signed by an attacker RSA key, kid copied from the genuine token`);
    },
  }),
  defineCase({
    id: 'unknown-kid',
    title: 'Signed by a foreign key with an unknown kid',
    expect: 'rejected',
    severity: 'critical',
    why: 'A token whose `kid` is not in the instance JWKS must be refused, not verified with "any key that works" or a key fetched from elsewhere.',
    hint: 'Look keys up only in your instance JWKS (@clerk/backend: jwk-kid-mismatch; PyJWKClient: "Unable to find a signing key"); fail closed when the kid is unknown.',
    needs: [],
    tags: ['signature', 'kid'],
    async make(ctx) {
      const [g, attacker] = await Promise.all([genuine(ctx), attackerKey()]);
      const kid = randomClerkId('ins');
      const token = await signWithKey({ ...g.header, kid }, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, attacker.privateKey);
      return sendToken(token, `genuine session claims signed by an attacker RSA key, kid=${kid} (unknown)`);
    },
  }),
  ...algNoneCases,
  defineCase({
    id: 'hs256-public-key-confusion',
    title: 'HS256 signed with the public key (key confusion)',
    expect: 'rejected',
    severity: 'critical',
    why: 'The public key is public. A verifier that lets the token choose HS256 uses the PEM text as the HMAC secret, so anyone can sign (CVE-2016-10555).',
    hint: ALG_HINT,
    needs: ['public-key'],
    tags: ['algorithm', 'signature'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = await signHs256(g.header, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, ctx.publicKeyPem!);
      return sendToken(token, 'genuine session claims, alg=HS256 keyed with the text of the trusted public key PEM');
    },
  }),
  defineCase({
    id: 'hs256-blank-secret',
    title: 'HS256 signed with an empty secret',
    expect: 'rejected',
    severity: 'critical',
    why: 'A verifier whose HMAC secret is empty or undefined (a missing env var) accepts tokens signed with nothing (CVE-2019-20933, jwt_tool "blank password").',
    hint: `${ALG_HINT} Fail at startup when the key variable is missing instead of verifying with an empty key.`,
    needs: [],
    tags: ['algorithm', 'signature'],
    async make(ctx) {
      const g = await genuine(ctx);
      const token = await signHs256(g.header, { ...g.claims, ...freshTimes(ctx.nowSeconds()) }, '');
      return sendToken(token, 'genuine session claims, alg=HS256 with an empty HMAC key');
    },
  }),
];
