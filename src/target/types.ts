/** Contract of the reference target (src/target/*): the embedded default system under test. */

/** Deliberate flaws, each caught by the case (or doctor check) meant for it. */
export type TargetFlaw =
  | 'accept-expired' // ignores exp
  | 'skip-signature' // decodes without verifying the signature
  | 'allow-alg-none' // accepts alg:none tokens
  | 'require-aud' // PyJWT-style: rejects tokens without aud (401 'Token is missing the "aud" claim')
  | 'require-email' // rejects tokens without an email claim
  | 'forbid-missing-header' // 403 {"detail":"Not authenticated"} for a missing header (FastAPI < 0.122)
  | 'env-not-loaded' // 500 {"detail":"CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)"}
  | 'accept-no-exp' // accepts tokens without exp (PyJWT default)
  | 'audit-omit-iat' // audit line without token_iat
  | 'audit-wrong-user' // audit line with a user_id that is not sub
  | 'audit-none' // writes no audit line
  | 'audit-double' // writes two lines per request
  | 'crash-on-malformed'; // 500 on tokens that do not decode

/**
 * Deliberate authorization flaws of GET/DELETE /jobs/{job_id} (src/target/authz.ts); kept apart
 * from TargetFlaw because the authentication catalogue (FLAWS, TARGET_FLAWS) cannot catch them.
 */
export type AuthzFlaw =
  | 'skip-ownership-check' // GET serves any user's job; DELETE lets an admin of any organization delete
  | 'skip-role-check' // DELETE needs only a signed-in user (no role, no organization check)
  | 'wrong-refusal-status'; // authorization refusals answer 401 instead of 403 / 404

/** Every flaw the reference target accepts. */
export type ReferenceFlaw = TargetFlaw | AuthzFlaw;

export interface ReferenceTargetOptions {
  port?: number; // 0 = OS-chosen
  /** Clerk settings, as a backend would read them from its env file. */
  apiUrl?: string; // CLERK_API_URL
  secretKey?: string; // CLERK_SECRET_KEY
  jwtKey?: string; // CLERK_JWT_KEY / CLERK_PEM_PUBLIC_KEY: networkless verification when set
  issuer?: string; // CLERK_ISSUER: checked when set
  audience?: string; // CLERK_JWT_AUDIENCE: PyJWT-like "required" when the require-aud flaw is on
  /** Root of the audit log; lines go to <auditDir>/jobs/audit_YYYYMMDD.jsonl (UTC date). */
  auditDir?: string; // default logs/audit
  flaws?: ReferenceFlaw[];
  /** Seconds added to the verifier's clock (negative = server clock behind). */
  clockOffsetSeconds?: number;
  /** Also write a failure line for each refused request: `auth.rejected` (401) or `access.denied` (403/404) (default false). */
  logFailures?: boolean;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
}

export interface ReferenceTarget {
  readonly url: string;
  readonly port: number;
  /** Absolute audit root in use (lines go to <auditDir>/jobs/audit_YYYYMMDD.jsonl). */
  readonly auditDir: string;
  stop(): Promise<void>;
}
