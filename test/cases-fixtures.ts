/**
 * Test fixtures for the case catalogue and the reference target: a local "instance" (RSA-2048
 * key, issuer) that mints Clerk-shaped session tokens and acts as the trusted signer, so cases can
 * be exercised without the emulator. Tests that need the real Backend API flow use the emulator.
 */
import { exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import type { CaseAuth, CaseContext, CaseDef } from '../src/cases/types.js';
import { decodeToken, freshTimes, randomClerkId, signWithKey } from '../src/tokens/forge.js';
import type { MintedToken, TokenSource } from '../src/tokens/types.js';

export interface LocalInstance {
  kid: string;
  issuer: string;
  privateKey: CryptoKey;
  publicPem: string;
  userId: string;
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
  mint(options?: { template?: string; expiresInSeconds?: number; now?: number; extraClaims?: Record<string, unknown> }): Promise<MintedToken>;
}

export async function createLocalInstance(): Promise<LocalInstance> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const kid = randomClerkId('ins');
  const issuer = 'https://local-test-11.clerk.accounts.dev';
  const userId = randomClerkId('user');
  const sign = (header: Record<string, unknown>, payload: Record<string, unknown>) => signWithKey({ kid, ...header }, payload, privateKey);
  return {
    kid,
    issuer,
    privateKey,
    publicPem: await exportSPKI(publicKey),
    userId,
    sign,
    async mint(options = {}) {
      const now = options.now ?? Math.floor(Date.now() / 1000);
      const template = options.template !== undefined;
      const header = { alg: 'RS256', cat: template ? 'cl_B7d4PD222AAA' : 'cl_B7d4PD111AAA', kid, typ: 'JWT' };
      const claims: Record<string, unknown> = template
        ? { ...freshTimes(now, options.expiresInSeconds ?? 60), nbf: now - 5, iss: issuer, jti: 'a1b2c3d4e5f6a7b8c9d0', sub: userId, aud: 'server', ...options.extraClaims }
        : { ...freshTimes(now, options.expiresInSeconds ?? 60), fva: [0, -1], iss: issuer, sid: randomClerkId('sess'), sts: 'active', sub: userId, v: 2, ...options.extraClaims };
      const token = await sign(header, claims);
      const decoded = decodeToken(token);
      return { token, header: decoded.header as MintedToken['header'], claims: decoded.claims as MintedToken['claims'], receivedAt: Date.now() };
    },
  };
}

export function localSource(instance: LocalInstance): TokenSource {
  return {
    mode: 'emulator',
    apiUrl: 'http://127.0.0.1:9',
    userId: async () => instance.userId,
    session: async () => ({ id: 'sess_local', userId: instance.userId }),
    mint: (o) => instance.mint(o),
    listTemplates: async () => [],
    trustedSigner: instance.sign,
  };
}

/** A full-capability context over the local instance; override fields to remove capabilities. */
export function localContext(instance: LocalInstance, overrides: Partial<CaseContext> = {}): CaseContext {
  return {
    source: localSource(instance),
    mint: (o) => instance.mint(o),
    trustedSigner: instance.sign,
    publicKeyPem: instance.publicPem,
    template: 'server-token',
    nowSeconds: () => Math.floor(Date.now() / 1000),
    ...overrides,
  };
}

export interface Observed {
  status: number;
  body: string;
  headers: Headers;
}

/** Send one case's request to `url` (POST /jobs with a JSON body), as the runner will. */
export async function sendCase(url: string, auth: Extract<CaseAuth, { kind: 'request' }>): Promise<Observed> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (auth.authorization !== undefined) headers.authorization = auth.authorization;
  const res = await fetch(`${url}/jobs`, { method: 'POST', headers, body: JSON.stringify({ title: 'case test' }) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Does the observed status mean what the case expects (201 accepted; 401 or a case-specific status rejected)? */
export function outcomeOf(def: CaseDef, status: number): 'accepted' | 'rejected' | 'other' {
  if (status === 201) return 'accepted';
  if (status === 401 || (def.rejectStatuses ?? []).includes(status)) return 'rejected';
  return 'other';
}
