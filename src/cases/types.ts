/**
 * Contract of the case catalogue (src/cases/catalogue.ts holds the data, src/tokens/forge.ts
 * the named token mutations). The suite runner (src/suite/*) consumes it; doctor uses `hint`.
 */
import type { MintedToken, TokenSource } from '../tokens/types.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** What a correct server does with the request. */
export type Expectation = 'accepted' | 'rejected';

/** Capabilities a case may need; when one is missing the case is skipped with `reason`. */
export type Need =
  | 'trusted-signer' // a key the target trusts (emulator mode only)
  | 'template' // a JWT template name (CLERK_JWT_TEMPLATE / suite `template`)
  | 'public-key' // the PEM public key the target trusts (for HS256 key confusion)
  | 'expired-real-token'; // a genuine token minted early and used after expiry (real Clerk)

export interface CaseDef {
  id: string; // kebab-case, stable: used in suite files, reports and doctor
  title: string;
  expect: Expectation;
  /** Severity of the finding when the target does not do what `expect` says. */
  severity: Severity;
  /** Why the case matters (one or two sentences, shown in reports). */
  why: string;
  /** What to fix / what doctor checks when the case fails. */
  hint: string;
  needs: Need[];
  /** Tags for selection in suites (e.g. 'signature', 'claims', 'header', 'lifetime'). */
  tags: string[];
  /** Informational: the outcome is reported but never fails the run (e.g. expired-within-leeway). */
  informational?: boolean;
  /**
   * Alternatives: any ONE of these capabilities suffices (e.g. expired-token: 'trusted-signer' or
   * 'expired-real-token'). Checked in addition to `needs` (all of which are required). build()
   * itself returns the skip with its reason, so a runner need not evaluate needs at all.
   */
  needsAnyOf?: Need[];
  /**
   * Statuses that also count as a correct rejection for this case, besides the suite's rejected
   * status (e.g. 431/413/400 for an oversized header, which servers refuse before auth runs).
   */
  rejectStatuses?: number[];
  /** Make the Authorization header for this case, at the moment the test runs. */
  build(ctx: CaseContext): Promise<CaseAuth>;
}

export interface CaseContext {
  source: TokenSource;
  /** Fresh genuine token from the source (session token unless options say otherwise). */
  mint(options?: { template?: string; expiresInSeconds?: number }): Promise<MintedToken>;
  /** Sign with the key the target trusts; undefined against real Clerk. */
  trustedSigner?: (header: Record<string, unknown>, payload: Record<string, unknown>) => Promise<string>;
  /** SPKI PEM the target trusts, when known (emulator mode, or CLERK_JWT_KEY). */
  publicKeyPem?: string;
  /** JWT template name, when configured. */
  template?: string;
  /** The origin the target accepts in `azp` (suite `authorized_party`), when it enforces one. */
  authorizedParty?: string;
  /** URL of a JWKS the harness serves on loopback for the `jku` case (attacker-controlled). */
  attackerJwksUrl?: string;
  /** An expired genuine token minted earlier in the run (real Clerk), when available. */
  expiredToken?: () => Promise<MintedToken | undefined>;
  /** Current time in seconds (injectable so tests control the clock). */
  nowSeconds(): number;
}

export type CaseAuth =
  | {
      kind: 'request';
      /** Value of the Authorization header; undefined = send no header. */
      authorization?: string;
      /** The genuine token behind the request, when there is one (for audit correlation). */
      token?: { header: Record<string, unknown>; claims: Record<string, unknown> };
      /** Human description of the token sent, never the token itself (e.g. "alg=nOnE, no signature"). */
      describe: string;
      /** A key URL the token names (jku/x5u) on the harness's attacker server: any fetch is a finding. */
      keyUrl?: string;
      /** The path prefix that is this request's own on the attacker server (fetches are counted by it). */
      keyUrlMatch?: string;
    }
  | { kind: 'skip'; reason: string };
