/** Outcomes as data: what one endpoint × case test observed and what it means. */
import type { Expectation, Severity } from '../cases/types.js';

export type Verdict = 'pass' | 'finding' | 'skip' | 'info' | 'error';

export interface AuditIssue {
  field: string;
  expected?: unknown;
  actual?: unknown;
  message: string;
}

export interface Observed {
  status: number;
  /** First bytes of the body, redacted. */
  bodyExcerpt: string;
  /** Response headers worth showing (x-clerk-auth-*, www-authenticate, content-type). */
  headers: Record<string, string>;
  durationMs: number;
}

export interface CaseResult {
  endpoint: string; // endpoint name
  request: string; // "POST /jobs"
  caseId: string;
  title: string;
  expect: Expectation;
  expectedStatus: number[];
  severity: Severity; // severity of this result's finding (or of the case, when it passed)
  verdict: Verdict;
  /** One line: what happened, for every verdict. */
  message: string;
  /** What to fix; set for findings. */
  hint?: string;
  why: string;
  sent?: string; // description of the token sent, never the token
  observed?: Observed;
  skipReason?: string;
  audit?: AuditIssue[];
}
