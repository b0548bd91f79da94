/**
 * The attacker's key: an RSA-2048 key pair the target must never trust. RSA generation takes
 * 50–300 ms, so one key is made per process and shared by every case and the attacker JWKS server.
 */
import { exportJWK, exportSPKI } from 'jose/key/export';
import { generateKeyPair } from 'jose/key/generate/keypair';
import type { CryptoKey, JWK } from 'jose';
import { randomClerkId } from './forge.js';

export interface AttackerKey {
  /** A kid the target has never seen (`ins_…`, shaped like a Clerk instance id). */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public JWK with kid, alg RS256 and use sig: what the `jwk` header and the attacker JWKS carry. */
  publicJwk: JWK;
  publicPem: string;
}

let cached: Promise<AttackerKey> | undefined;

/** Generate a fresh attacker key pair (slow; prefer attackerKey()). */
export async function generateAttackerKey(): Promise<AttackerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomClerkId('ins');
  const jwk = await exportJWK(publicKey);
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
    publicPem: await exportSPKI(publicKey),
  };
}

/** The process-wide attacker key, generated on first use. */
export function attackerKey(): Promise<AttackerKey> {
  cached ??= generateAttackerKey().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
