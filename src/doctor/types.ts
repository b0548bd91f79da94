/**
 * Shapes of doctor: the tree as loaded from diagnostics/*.yaml, the facts checks share, what a
 * check module returns, and the result doctor prints (and emits as --json).
 */
import type { JWK } from 'jose';
import type { AuditCheckpoint } from '../audit/index.js';
import type { HarnessConfig } from '../config/load.js';
import type { MintedToken, TokenSource } from '../tokens/types.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type NeedId = 'env-file' | 'clerk-network' | 'target' | 'local-process';
export const NEED_IDS: NeedId[] = ['env-file', 'clerk-network', 'target', 'local-process'];

// ---- the tree (diagnostics/checks.yaml) -------------------------------------------------------

export interface Verdict {
  status: CheckStatus;
  /** The line printed for this outcome; {name} is filled from the check's vars. */
  says: string;
  cause?: string;
  fix?: string;
}

export interface CheckSpec {
  id: string;
  branch: string;
  title: string;
  needs: NeedId[];
  looksAt: string;
  verdicts: Record<string, Verdict>;
  next: Record<string, string[]>;
  requires: string[];
  after: string[];
  /** Waited for when it runs anyway; --only does not pull it in. */
  afterIfRun: string[];
  /** Named facts the check reads (checks.yaml `reads:`); a check it waits for must write each. */
  reads: string[];
  /** Named facts the check writes (checks.yaml `writes:`). */
  writes: string[];
  /** Any other keys of the check in the YAML (e.g. `styles:` of env.required-keys). */
  params: Record<string, unknown>;
}

export interface Tree {
  version: number;
  needs: Record<NeedId, { establishedBy?: string; means: string }>;
  branches: Record<string, string>;
  checks: CheckSpec[];
  byId: ReadonlyMap<string, CheckSpec>;
  /** Check ids in an order where every check comes after everything it waits for. */
  order: string[];
  /** Checks naming each check in `next` (any outcome). */
  parents: ReadonlyMap<string, string[]>;
}

export interface Cause {
  id: string;
  title: string;
  fix: string;
  weight: number;
}

// ---- facts shared between checks ----------------------------------------------------------------

export interface EnvEntry {
  value: string;
  /** 1-based line of the assignment in the env file. */
  line: number;
}

export interface HttpExchange {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Local clock (ms) just before the request left and when the answer arrived. */
  sentAt: number;
  receivedAt: number;
}

export interface Facts {
  /** Needs found unavailable, with the reason shown on every check skipped for it. */
  unavailable: Partial<Record<NeedId, string>>;
  env?: {
    path: string;
    /** Path as the user should read it (relative to cwd when inside it). */
    display: string;
    values: Record<string, EnvEntry>;
    mtimeMs: number;
  };
  harness?: { config: HarnessConfig; apiUrl: string };
  /** Clerk Date header minus the local clock (ms), from clerk.api. */
  clerkOffsetMs?: number;
  /** The harness instance's JWKS (from clerk.api). */
  harnessJwks?: JWK[];
  /** The JWKS the backend's env file leads to (from keys.jwks). */
  backendJwks?: { keys: JWK[]; sources: string[] };
  /** Every PEM variable of the env file that parses (CLERK_JWT_KEY and CLERK_PEM_PUBLIC_KEY), in PEM_KEYS order. */
  pems?: Array<{ key: string; jwk: JWK }>;
  /**
   * keys.pem-matches-jwks: matched is true only when EVERY PEM variable is a live key; `stale`
   * names the variables that are not, `fix` is the pem-stale fix with the live key to paste.
   */
  pemMatch?: { matched: boolean; kid?: string; stale?: string[]; fix?: string };
  /** Where the audit files ended just before doctor's authenticated request (target.fresh-token). */
  auditCheckpoint?: AuditCheckpoint;
  token?: MintedToken;
  /** keys.token-kid: the fresh token's signing key is among the backend's keys (its JWKS or its PEMs). */
  tokenKidInBackendJwks?: boolean;
  /** server.restart: the process listening on the target port, against the env file's mtime. */
  serverProcess?: { pid: number; startedAtMs: number; startedBeforeEnvChange: boolean };
  target?: {
    url: string;
    /** Target Date header minus the local clock (ms). */
    offsetMs?: number;
    /** What the probe (--probe, default /health) answered. */
    probe?: { status: number };
    noToken?: HttpExchange;
    fresh?: HttpExchange & { token: MintedToken };
    /**
     * target.fresh-token: the answer shows the fresh token passed authentication and was refused
     * by authorization - a 403 naming what it requires, or a 404 of an object on a protected route.
     */
    freshSignedIn?: boolean;
    /** The exchange that answered 500 (without or with a token). */
    failed500?: HttpExchange;
  };
}

// ---- check modules ------------------------------------------------------------------------------

export interface DoctorOptions {
  envFile: string;
  target?: string;
  probe: string;
  endpoint: { method: string; path: string; body?: string; contentType?: string };
  auditDir: string;
  /**
   * The suite's audit settings (doctor --suite), judged exactly as `run` judges them; undefined =
   * the documents' layout under auditDir with the bundled schema; false = the suite has no audit log.
   */
  audit?: { baseDir: string; pattern: string; schemaFile?: string; classifier: import('../audit/classify.js').AuditClassifierSpec } | false;
  timeoutMs: number;
  only?: string[];
}

export interface CheckContext {
  /** The loaded diagnostics data (tree, causes, verifier message catalogue). */
  diagnostics: import('./data.js').Diagnostics;
  cwd: string;
  options: DoctorOptions;
  /** The harness's own environment (its config is read from here and cwd's env files). */
  env: NodeJS.ProcessEnv;
  now(): number;
  /** The harness's token source, created on first use from its own config. */
  tokenSource(): Promise<TokenSource>;
  spec: CheckSpec;
}

export type Vars = Record<string, string | number | undefined>;

export interface CheckOutput {
  outcome: string;
  vars?: Vars;
  /** Lines shown under a warning or failure. */
  evidence?: string[];
  /** Lines shown under a pass with --verbose. */
  details?: string[];
  facts?: Partial<Facts>;
  /** Overrides the verdict's and the cause's fix. */
  fix?: string;
  /** The root cause, for verdicts that name none themselves (a verifier message decides). */
  cause?: string;
}

export interface CheckModule {
  id: string;
  run(ctx: CheckContext, facts: Readonly<Facts>): Promise<CheckOutput>;
}

// ---- results ------------------------------------------------------------------------------------

export interface CheckResult {
  id: string;
  branch: string;
  title: string;
  status: CheckStatus;
  /** The verdict the check reached; absent when skipped. */
  outcome?: string;
  /** The printed line: the verdict's `says` filled in, or the title with the skip reason. */
  says: string;
  evidence: string[];
  details: string[];
  fix?: string;
  cause?: string;
  vars: Vars;
  /** Why it was skipped: the tree's reason (a need, routing), or the line of a skip verdict. Set on every skip. */
  skipReason?: string;
  /** false for checks not reached by the tree (shown only with --verbose). */
  shown: boolean;
  durationMs: number;
}

export interface RootCause {
  id: string;
  title: string;
  fix: string;
  /** Ranking score (cause weight, adjusted by status and support). */
  score: number;
  /** Checks pointing at it, most specific first. */
  checks: string[];
  evidence: string[];
}

/**
 * pass/warn/fail/skip count the checks with `shown: true` (the ones printed without --verbose).
 * notReached counts the checks the tree did not reach or --only did not ask for and that did not
 * run (status skip, shown false): they are in `checks` for completeness, printed with --verbose,
 * and never a problem.
 */
export type DoctorSummary = Record<CheckStatus, number> & { notReached: number };

export interface DoctorReport {
  schema: 'clerk-harness/doctor@1';
  ok: boolean;
  inputs: { envFile: string; target?: string; probe: string; endpoint: string; auditDir: string; tokenSource?: string };
  summary: DoctorSummary;
  rootCauses: RootCause[];
  checks: CheckResult[];
}
