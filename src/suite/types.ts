/** A suite after loading and validation: what the runner needs, with paths made absolute. */
import type { AuditClassifierSpec } from '../audit/classify.js';
import type { Severity } from '../cases/types.js';

export interface SuiteEndpoint {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Absolute path of the body fixture, if any. */
  bodyFile?: string;
  contentType: string;
  acceptedStatus: number[];
  rejectedStatus: number[];
  /** Whether a success on this endpoint must add an audit entry. */
  audited: boolean;
  /** Who may call it (issue 11): the authorization cases are generated from this. */
  access?: SuiteAccess;
  /** The object the path addresses (`{id}` in the path), created by its owner persona before the run. */
  resource?: SuiteResource;
}

/** A named identity of the suite: a user, optionally a member of one organization with a role. */
export interface SuitePersona {
  name: string;
  email: string;
  /** Organization slug; found or created at the start of the run. */
  organization?: string;
  /** Membership role key (`org:admin`, `org:member`, a custom `org:<key>`); default org:member. */
  role?: string;
  /** Permission keys (`org:<feature>:<action>`) the role must grant; created and assigned if missing. */
  permissions: string[];
  publicMetadata?: Record<string, unknown>;
}

/** One entry of `access.allow`. */
export type AccessRule =
  | { kind: 'signed-in' }
  | { kind: 'owner' }
  | { kind: 'role'; role: string }
  | { kind: 'permission'; permission: string }
  | { kind: 'persona'; persona: string };

export interface SuiteAccess {
  /** Any one rule admits a persona. */
  allow: AccessRule[];
  /** What a refused persona must get: 403, or 404 where the API hides that the object exists. */
  refusedStatus: number;
}

export interface SuiteResource {
  /** The placeholder in the endpoint path, e.g. `job_id` for /jobs/{job_id}. */
  param: string;
  create: {
    method: string;
    path: string;
    bodyFile?: string;
    contentType: string;
    /** Field of the JSON answer holding the id (dot path, e.g. `job_id` or `data.id`). */
    id: string;
  };
  /** Persona that creates (owns) the object. */
  owner: string;
}

export interface SuiteAudit {
  /** Absolute directory the path pattern is relative to. */
  baseDir: string;
  pathPattern: string;
  /** Absolute path of the schema; undefined = bundled default. */
  schemaFile?: string;
  waitMs: number;
  timestampToleranceMs: number;
  logFailures: boolean;
  /** Which lines record successes and which refusals (src/audit/classify.ts; defaults when unset). */
  classifier: AuditClassifierSpec;
}

export interface Suite {
  name: string;
  file: string;
  description?: string;
  baseUrl?: string; // undefined = take TARGET_URL / --target
  timeoutMs: number;
  headers: Record<string, string>;
  endpoints: SuiteEndpoint[];
  cases: {
    include?: string[];
    exclude: string[];
    skip: Record<string, string>;
    expect: Record<string, 'accepted' | 'rejected'>;
  };
  template?: string;
  /** Origin the target accepts in azp (it passes authorizedParties); unset = not checked. */
  authorizedParty?: string;
  audit: SuiteAudit | false;
  failOn?: Exclude<Severity, 'info'>;
  /** Personas by name (issue 11); unset = none, and the run is exactly the catalogue's. */
  personas?: Record<string, SuitePersona>;
}
