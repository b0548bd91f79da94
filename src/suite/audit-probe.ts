/** What the runner needs from the audit module around one request (implemented on src/audit/*). */
import type { AuditIssue } from './result.js';

export interface AcceptedExpectation {
  sub: string;
  iat: number;
  email?: string | null;
  requestStart: number; // ms
  requestEnd: number; // ms
}

/** Who a token says it is (its sub and iat), as an audit line would name it. */
export interface TokenIdentity {
  sub: unknown;
  iat: unknown;
}

/** What the log must show after one exchange, decided from its answer. */
export type AuditExpectation =
  /** Accepted as planned: exactly one valid success entry attributed to the token. */
  | ({ kind: 'accepted' } & AcceptedExpectation)
  /** Refused: no success entry (and a failure entry when the suite requires it). */
  | { kind: 'rejected'; identity?: TokenIdentity; status?: number }
  /** Nothing to check (accepted although it should not be: already a finding; or no answer). */
  | { kind: 'none'; identity?: TokenIdentity };

export interface AuditedExchange<R> {
  /**
   * What the plan expects: accepted and rejected exchanges are batched separately. `unaudited`:
   * a request to an endpoint whose lines are not checked, sent in a window of its own so that
   * whatever it writes lands in no checked request's window.
   */
  planned: 'accepted' | 'rejected' | 'unaudited';
  /**
   * Send the request and say what its answer means for the log. May be called a second time,
   * alone, when the batch it ran in cannot be attributed line by line.
   */
  send(): Promise<{ response: R; expectation: AuditExpectation }>;
}

export interface AuditProbe {
  /**
   * Run one exchange inside an audit window: the answer used for the verdict and the audit issues
   * of that same answer (undefined when there was nothing to check).
   */
  exchange<R>(x: AuditedExchange<R>): Promise<{ response: R; issues?: AuditIssue[] }>;
}

/**
 * One exchange with or without an audit log. With one, every request goes through the probe: an
 * endpoint whose lines are not checked still writes some, and they must not land in a checked
 * request's window.
 */
export async function exchangeAudited<R>(audit: AuditProbe | undefined, audited: boolean, planned: 'accepted' | 'rejected', send: AuditedExchange<R>['send']): Promise<{ response: R; issues?: AuditIssue[] }> {
  if (!audit) return { response: (await send()).response, issues: undefined };
  return audit.exchange({ planned: audited ? planned : 'unaudited', send });
}
