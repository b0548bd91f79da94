/**
 * Contract of the bundled Clerk emulator (implementation in src/emulator/*). Other modules import
 * only these types and `startEmulator` from src/emulator/index.ts.
 */
import type { JWK } from 'jose';

export interface EmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) asks the OS for a free one. */
  port?: number;
  host?: string; // default 127.0.0.1
  /** Secret key the emulator accepts; default: a random sk_test_… generated at start. */
  secretKey?: string;
  /**
   * File holding the signing key (PKCS#8 PEM + metadata as JSON). If it exists the key is loaded,
   * else a new RSA-2048 key is generated and written there (mode 0600), so restarts keep the key.
   */
  keyFile?: string;
  /** Origin to put in `azp`. Default: none (BAPI-minted tokens carry no azp). */
  authorizedParty?: string;
  /** Pre-created JWT templates. */
  templates?: Array<{ name: string; claims?: Record<string, unknown>; lifetime?: number; allowed_clock_skew?: number }>;
  /** Shift the emulator's clock (seconds added to Date.now()) to reproduce clock skew. */
  clockOffsetSeconds?: number;
  /** Called after every key rotation (programmatic or through the admin route). */
  onKeyRotated?: (key: SigningKey) => void | Promise<void>;
  /**
   * Where request lines go (default: nowhere, silent in-process; the CLI passes stderr). One line
   * a request while traffic is light; under load at most 20 lines per 250 ms plus one summary
   * line of the rest (errors and 5xx always get their own line).
   */
  log?: (line: string) => void;
}

export interface SigningKey {
  /** `ins_` + 27 base62 characters derived from the key's JWK thumbprint. */
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK; // {kty,n,e,kid,alg:'RS256',use:'sig'}
  /** SPKI PEM, usable as CLERK_JWT_KEY / CLERK_PEM_PUBLIC_KEY. */
  publicPem: string;
}

export interface FaultInjection {
  /** HTTP status to answer with, e.g. 429, 500, 503. */
  status: number;
  /** How many matching requests fail before normal service resumes. */
  count: number;
  /** Retry-After header value in seconds (429 usually). */
  retryAfterSeconds?: number;
  /** Only requests whose path matches (e.g. /^\/v1\/sessions/). Default: every /v1 request. */
  pathPattern?: string;
}

export interface Emulator {
  /** http://127.0.0.1:PORT — the value for CLERK_API_URL. */
  readonly url: string;
  readonly port: number;
  readonly secretKey: string;
  /** pk_test_ + base64("127.0.0.1:PORT$") — host contains a dot, as @clerk/backend requires. */
  readonly publishableKey: string;
  /** Frontend API URL used as `iss`: http://127.0.0.1:PORT (so `${iss}/.well-known/jwks.json` resolves). */
  readonly issuer: string;
  /** `${issuer}/.well-known/jwks.json` (public, no auth). */
  readonly jwksUrl: string;
  /** The key tokens are signed with now. */
  currentKey(): SigningKey;
  /** Generate a new key; the old one is dropped from the JWKS (and the key file updated). */
  rotateKey(): Promise<SigningKey>;
  /** Sign any header/payload with the current key (the harness's "trusted signer" for negative cases). */
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
  /** The env lines a backend needs to trust this emulator (see envLines in the issue). */
  env(): Record<string, string>;
  injectFault(fault: FaultInjection): void;
  stop(): Promise<void>;
}

/**
 * Admin routes (not part of Clerk's API; all require `Authorization: Bearer <secretKey>`):
 *   GET  /__emulator/info    -> {object:'emulator', issuer, kid, publishable_key, jwks_url}
 *   POST /__emulator/sign    {header, payload} -> {jwt}   (signed with the current key, header.kid
 *                             defaulting to the current kid; used by the runner in another process)
 *   POST /__emulator/rotate  -> {kid, public_pem}
 *   POST /__emulator/faults  {status, count, retry_after_seconds?, path_pattern?} -> {ok:true}
 */
export const EMULATOR_ADMIN_PREFIX = '/__emulator';
