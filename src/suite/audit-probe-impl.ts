import { auditCheckpoint, checkAcceptedRequest, checkRejectedRequest, loadAuditValidator, readAppended, type AuditCheckpoint } from '../audit/index.js';
import { createClassifier } from '../audit/classify.js';
import type { AuditProbe } from './audit-probe.js';
import type { SuiteAudit } from './types.js';

/** The runner's audit probe on top of src/audit: checkpoint before, exact appended lines after. */
export async function createAuditProbe(audit: SuiteAudit): Promise<AuditProbe> {
  const validator = await loadAuditValidator({ schemaPath: audit.schemaFile });
  const location = { baseDir: audit.baseDir, pattern: audit.pathPattern };
  const classify = createClassifier(audit.classifier);
  return {
    before: (now) => auditCheckpoint(location, { now }),
    async afterAccepted(checkpoint, expect) {
      const appended = await readAppended(checkpoint as AuditCheckpoint, { waitMs: audit.waitMs, minEntries: 1, settleMs: 50 });
      return checkAcceptedRequest(appended, { ...expect, toleranceMs: audit.timestampToleranceMs, classify }, validator);
    },
    async afterRejected(checkpoint) {
      // Proving that nothing was written needs a wait; a short one keeps negative cases fast.
      const waitMs = audit.logFailures ? audit.waitMs : Math.min(audit.waitMs, 150);
      const appended = await readAppended(checkpoint as AuditCheckpoint, { waitMs, minEntries: audit.logFailures ? 1 : undefined, settleMs: 50 });
      return checkRejectedRequest(appended, { requireFailureLogged: audit.logFailures, classify }, validator);
    },
  };
}
