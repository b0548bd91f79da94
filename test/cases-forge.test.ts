import { createHmac } from 'node:crypto';
import { CompactSign, EmbeddedJWK, base64url, compactVerify, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackerJkuUrl, startAttackerJwks, type AttackerJwks } from '../src/cases/attacker-jwks.js';
import { getCase } from '../src/cases/catalogue.js';
import { attackerKey } from '../src/tokens/forge-keys.js';
import {
  ALG_NONE_SPELLINGS,
  algNoneToken,
  alterSignature,
  decodeSegment,
  decodeToken,
  encodeSegment,
  randomClerkId,
  signHs256,
  stripSignature,
  tamperClaims,
  truncateToken,
} from '../src/tokens/forge.js';
import { createLocalInstance, localContext, type LocalInstance } from './cases-fixtures.js';

let inst: LocalInstance;
let genuine: string;
beforeAll(async () => {
  inst = await createLocalInstance();
  genuine = (await inst.mint()).token;
});

async function verifiesWithInstanceKey(token: string): Promise<boolean> {
  const { importSPKI } = await import('jose');
  try {
    await compactVerify(token, await importSPKI(inst.publicPem, 'RS256'));
    return true;
  } catch {
    return false;
  }
}

describe('segment encoding', () => {
  it('round-trips JSON as unpadded base64url', () => {
    const seg = encodeSegment({ alg: 'none', x: 'ü?>' });
    expect(seg).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSegment(seg)).toEqual({ alg: 'none', x: 'ü?>' });
    expect(() => decodeToken('a.b')).toThrow(/2 part/);
  });

  it('makes Clerk-shaped ids', () => {
    expect(randomClerkId('ins')).toMatch(/^ins_[0-9A-Za-z]{27}$/);
    expect(randomClerkId('user')).not.toBe(randomClerkId('user'));
  });
});

describe('mutations of a genuine token', () => {
  it('genuine tokens verify (control)', async () => {
    expect(await verifiesWithInstanceKey(genuine)).toBe(true);
  });

  it('alterSignature keeps header, payload and length but breaks the signature', async () => {
    const altered = alterSignature(genuine);
    const [h, p, s] = altered.split('.');
    const [gh, gp, gs] = genuine.split('.');
    expect([h, p]).toEqual([gh, gp]);
    expect(s).not.toBe(gs);
    expect(s!.length).toBe(gs!.length);
    expect(await verifiesWithInstanceKey(altered)).toBe(false);
  });

  it('stripSignature and truncateToken cut the signature', async () => {
    expect(stripSignature(genuine)).toBe(genuine.split('.').slice(0, 2).join('.') + '.');
    expect(truncateToken(genuine, 8)).toBe(genuine.slice(0, -8));
    expect(await verifiesWithInstanceKey(truncateToken(genuine, 8))).toBe(false);
  });

  it('tamperClaims changes the payload under the original signature', async () => {
    const other = randomClerkId('user');
    const tampered = tamperClaims(genuine, { sub: other });
    expect(decodeToken(tampered).claims.sub).toBe(other);
    expect(tampered.split('.')[2]).toBe(genuine.split('.')[2]);
    expect(await verifiesWithInstanceKey(tampered)).toBe(false);
  });

  it('algNoneToken writes each spelling verbatim with an empty signature', () => {
    const { header, claims } = decodeToken(genuine);
    for (const alg of ALG_NONE_SPELLINGS) {
      const t = algNoneToken(header, claims, alg);
      expect(t.endsWith('.')).toBe(true);
      expect(t.split('.')).toHaveLength(3);
      expect(decodeProtectedHeader(t).alg).toBe(alg);
      expect(decodeToken(t).claims.sub).toBe(claims.sub);
    }
  });
});

describe('HS256 with chosen key bytes', () => {
  it('signs with the PEM text so an HMAC verifier keyed with the same text accepts it (key confusion)', async () => {
    const t = await signHs256({ kid: 'k' }, { sub: 'user_x' }, inst.publicPem);
    expect(decodeProtectedHeader(t)).toMatchObject({ alg: 'HS256', kid: 'k' });
    const { payload } = await compactVerify(t, new TextEncoder().encode(inst.publicPem));
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: 'user_x' });
  });

  it('signs with an empty key (jose refuses that, so it is signed with node:crypto)', async () => {
    await expect(new CompactSign(new Uint8Array([1])).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(0))).rejects.toThrow();
    const t = await signHs256({ kid: '../../dev/null' }, { sub: 'u' }, '');
    const [h, p, s] = t.split('.');
    const expected = base64url.encode(createHmac('sha256', Buffer.alloc(0)).update(`${h}.${p}`).digest());
    expect(s).toBe(expected);
  });
});

describe('attacker key and JWKS server', () => {
  let jwks: AttackerJwks;
  beforeAll(async () => {
    jwks = await startAttackerJwks();
  });
  afterAll(async () => {
    await jwks.stop();
  });

  it('caches one RSA-2048 attacker key per process and exposes only public members', async () => {
    const [a, b] = await Promise.all([attackerKey(), attackerKey()]);
    expect(a).toBe(b);
    expect(a.kid).toMatch(/^ins_[0-9A-Za-z]{27}$/);
    expect(a.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: a.kid, e: 'AQAB' });
    expect(a.publicJwk).not.toHaveProperty('d');
    expect(base64url.decode(a.publicJwk.n!).length).toBe(256);
  });

  it('the embedded-jwk token verifies against its own embedded key (what a vulnerable verifier does)', async () => {
    const auth = await getCase('embedded-jwk').build(localContext(inst));
    if (auth.kind !== 'request') throw new Error(auth.reason);
    const token = auth.authorization!.slice('Bearer '.length);
    const { protectedHeader } = await jwtVerify(token, EmbeddedJWK);
    expect(protectedHeader.jwk).toMatchObject({ kid: (await attackerKey()).kid });
    expect(await verifiesWithInstanceKey(token)).toBe(false);
  });

  it('serves its own key and counts fetches; the jku token verifies against the JWKS its header names', async () => {
    const before = jwks.fetchCount();
    const own = (await (await fetch(jwks.url)).json()) as { keys: Array<{ kid: string }> };
    expect(own.keys[0]!.kid).toBe(jwks.jwk.kid);

    const auth = await getCase('jku-attacker-jwks').build(localContext(inst, { attackerJwksUrl: jwks.url }));
    if (auth.kind !== 'request') throw new Error(auth.reason);
    const token = auth.authorization!.slice('Bearer '.length);
    const header = decodeProtectedHeader(token);
    // The URL names the attacker key plus a nonce that makes it this request's own.
    const nonce = String(header.jku).split('/').at(-2)!;
    expect(header.jku).toBe(attackerJkuUrl(jwks.url, jwks.jwk, nonce));
    expect(auth.keyUrlMatch).toBe(new URL(String(header.jku)).pathname.replace(/jwks\.json$/, ''));
    expect(jwks.fetchCount()).toBe(before + 1); // building the case fetched nothing
    expect(jwks.fetchCount(auth.keyUrlMatch)).toBe(0);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(String(header.jku))));
    expect(payload.sub).toBe(inst.userId);
    expect(jwks.fetchCount()).toBe(before + 2);
    expect(jwks.fetchCount(auth.keyUrlMatch)).toBe(1);
    expect(jwks.fetches().at(-1)!.path).toMatch(/^\/keys\/[A-Za-z0-9_-]+\/[0-9a-f]{12}\/jwks\.json$/);
  });

  it('publishes only RSA public members from a key path', async () => {
    const segment = new URL(attackerJkuUrl(jwks.url, { kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'secret' })).pathname.split('/')[2]!;
    expect(decodeSegment(segment)).not.toHaveProperty('d');
    const evil = new URL(`/keys/${base64url.encode(JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'secret' }))}/jwks.json`, jwks.url);
    const body = (await (await fetch(evil)).json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys[0]).not.toHaveProperty('d');
    const junk = (await (await fetch(new URL('/keys/not-json/jwks.json', jwks.url))).json()) as { keys: Array<{ kid: string }> };
    expect(junk.keys[0]!.kid).toBe(jwks.jwk.kid);
  });
});
