/** Public surface of the audit area (suite runner, doctor, CLI, bench). */
export type { AuditFinding, AuditLocation, AuditValidator, AuditViolation, AppendedLine } from './types.js';
export { DEFAULT_AUDIT_SCHEMA, loadAuditValidator } from './schema.js';
export { DEFAULT_AUDIT_PATTERN, auditPathFor, candidateAuditPaths } from './location.js';
export { auditCheckpoint, readAppended, type AppendedAudit, type AuditCheckpoint, type ReadAppendedOptions } from './checkpoint.js';
export {
  checkAcceptedRequest,
  checkRejectedRequest,
  type AcceptedRequestExpectation,
  type RejectedRequestOptions,
} from './correlate.js';
export { validateAuditFiles, type AuditLineProblem, type AuditValidationResult, type ProblemKind, type ValidateAuditFilesOptions } from './validate-file.js';
export { forEachLine, LineSplitter, type LineEvent } from './lines.js';
