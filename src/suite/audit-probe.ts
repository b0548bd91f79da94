/** What the runner needs from the audit module around one request (implemented on src/audit/*). */
import type { AuditIssue } from './result.js';

export interface AcceptedExpectation {
  sub: string;
  iat: number;
  email?: string | null;
  requestStart: number; // ms
  requestEnd: number; // ms
}

export interface AuditProbe {
  /** Note where the log ends before the request. */
  before(now?: Date): Promise<unknown>;
  /** After an accepted request: exactly one valid, attributed success entry. */
  afterAccepted(checkpoint: unknown, expect: AcceptedExpectation): Promise<AuditIssue[]>;
  /** After a rejected request: no success entry (and a failure entry when the suite requires it). */
  afterRejected(checkpoint: unknown): Promise<AuditIssue[]>;
}
