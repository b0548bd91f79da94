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
}
