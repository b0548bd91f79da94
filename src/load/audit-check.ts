/**
 * After a load run: did the target write exactly one attributed audit line per accepted request?
 * Reads what was appended since a checkpoint taken before the load (the same reader `run` uses),
 * classifies lines with the suite's matcher, and requires of each success line the `user_id` and
 * `token_iat` of a token the load actually sent. Requests still in flight when the load stopped may
 * or may not have been served, so they widen the allowed count rather than fail it.
 */
import { auditCheckpoint, readAppended, type AuditCheckpoint } from '../audit/checkpoint.js';
import { createClassifier } from '../audit/classify.js';
import type { SuiteAudit } from '../suite/types.js';

export interface LoadAuditResult {
  /** Lines appended during the load. */
  lines: number;
  successes: number;
  /** Success lines whose user_id + token_iat match a token the load sent. */
  attributed: number;
  unattributed: number;
  unparsable: number;
  expectedMin: number;
  expectedMax: number;
  passed: boolean;
  problem?: string;
}

export function takeAuditCheckpoint(audit: SuiteAudit): Promise<AuditCheckpoint> {
  return auditCheckpoint({ baseDir: audit.baseDir, pattern: audit.pathPattern });
}

export async function checkLoadAudit(
  audit: SuiteAudit,
  checkpoint: AuditCheckpoint,
  sent: { accepted: number; inFlight: number; tokens: ReadonlySet<string> },
): Promise<LoadAuditResult> {
  const appended = await readAppended(checkpoint, { waitMs: audit.waitMs, minEntries: sent.accepted + sent.inFlight, settleMs: 200 });
  const classify = createClassifier(audit.classifier);
  let successes = 0;
  let attributed = 0;
  let unparsable = 0;
  for (const line of appended.lines) {
    if (line.value === undefined || line.value === null || typeof line.value !== 'object') {
      unparsable++;
      continue;
    }
    const entry = line.value as Record<string, unknown>;
    if (classify(entry) !== 'success') continue;
    successes++;
    if (sent.tokens.has(`${String(entry.user_id)}:${String(entry.token_iat)}`)) attributed++;
  }
  const expectedMin = sent.accepted;
  const expectedMax = sent.accepted + sent.inFlight;
  const unattributed = successes - attributed;
  let problem: string | undefined;
  if (successes < expectedMin) problem = `${expectedMin - successes} accepted request(s) left no success line in the audit log (${successes} lines for ${expectedMin} accepted)`;
  else if (successes > expectedMax) problem = `${successes - expectedMax} success line(s) more than accepted requests (${successes} lines for ${expectedMin} accepted${sent.inFlight ? ` + ${sent.inFlight} in flight` : ''})`;
  else if (unattributed > 0) problem = `${unattributed} success line(s) name no token the load sent (user_id must be the token's sub, token_iat its iat)`;
  else if (unparsable > 0) problem = `${unparsable} appended line(s) are not JSON`;
  return { lines: appended.lines.length, successes, attributed, unattributed, unparsable, expectedMin, expectedMax, passed: problem === undefined, problem };
}
