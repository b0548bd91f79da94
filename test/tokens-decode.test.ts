/**
 * The token decoders on the per-case path: decodeBase64url must accept and refuse exactly what
 * jose's base64url decoder does (it only takes a native shortcut for plain segments), and
 * toMintedToken must turn anything that is not a JWT with JSON-object header and payload into a
 * TOKEN_INVALID user error.
 */
import * as base64url from 'jose/base64url';
import { describe, expect, it } from 'vitest';
import { toMintedToken } from '../src/tokens/decode.js';
import { decodeBase64url, encodeSegment } from '../src/tokens/forge.js';

const outcome = (f: () => Uint8Array) => {
  try {
    return { ok: true, bytes: Buffer.from(f()).toString('hex') };
  } catch {
    return { ok: false };
  }
};

describe('decodeBase64url', () => {
  it('agrees with jose on 20,000 seeded segments, plain and hostile', () => {
    let seed = 20261203;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const plain = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const hostile = `${plain}+/= .\n\t%\u00e9`;
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const alphabet = rnd() < 0.7 ? plain : hostile;
      const s = Array.from({ length: Math.floor(rnd() * 24) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const mine = outcome(() => decodeBase64url(s));
      expect(mine, JSON.stringify(s)).toEqual(outcome(() => base64url.decode(s)));
      if (mine.ok) accepted++;
    }
    // Both kinds occurred: the comparison covered the shortcut and the refusals.
    expect(accepted).toBeGreaterThan(5_000);
    expect(accepted).toBeLessThan(20_000);
  });
});

describe('toMintedToken', () => {
  const seg = (v: unknown) => encodeSegment(v);
  it('decodes header and claims of a compact JWT', () => {
    const t = toMintedToken(`${seg({ alg: 'RS256', kid: 'ins_1' })}.${seg({ sub: 'user_1', iat: 1 })}.c2ln`, 5);
    expect(t).toEqual({ token: expect.any(String), header: { alg: 'RS256', kid: 'ins_1' }, claims: { sub: 'user_1', iat: 1 }, receivedAt: 5 });
  });

  it.each([
    ['two parts', `${seg({ alg: 'RS256' })}.${seg({})}`],
    ['a payload that is not JSON', `${seg({ alg: 'RS256' })}.bm90IGpzb24.c2ln`],
    ['an array payload', `${seg({ alg: 'RS256' })}.${seg([1])}.c2ln`],
    ['a string header', `${seg('RS256')}.${seg({})}.c2ln`],
    ['a null payload', `${seg({ alg: 'RS256' })}.${seg(null)}.c2ln`],
    ['a segment that is not base64url', `${seg({ alg: 'RS256' })}.a+b/.c2ln`],
  ])('%s is a TOKEN_INVALID error', (_what, token) => {
    expect(() => toMintedToken(token)).toThrow(expect.objectContaining({ code: 'TOKEN_INVALID', message: expect.stringMatching(/^not a decodable JWT/) }));
  });
});
