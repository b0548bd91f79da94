/**
 * The reference target's ALCOA+ audit log: one JSON object a line in
 * <auditDir>/jobs/audit_YYYYMMDD.jsonl (UTC date of the server clock). Each line is appended with
 * a single write on an O_APPEND descriptor, so concurrent requests never interleave lines.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ReferenceFlaw } from './types.js';

/** The file that holds the lines written on `date` (UTC). */
export function auditFilePath(auditDir: string, date: Date = new Date()): string {
  const ymd = date.toISOString().slice(0, 10).replace(/-/g, '');
  return path.join(auditDir, 'jobs', `audit_${ymd}.jsonl`);
}

export interface JobCreated {
  claims: Record<string, unknown>;
  jobId: string;
  method: string;
  path: string;
  status: number;
  at: Date;
}

/** The success line, exactly as agreed with the audit checks (src/audit/*). */
export function jobCreatedLine(event: JobCreated): Record<string, unknown> {
  return jobLine('job.created', 'success', event);
}

/** The success line of GET /jobs/{job_id} (`job.read`) or DELETE /jobs/{job_id} (`job.deleted`). */
export function jobAccessLine(name: 'job.read' | 'job.deleted', event: JobCreated): Record<string, unknown> {
  return jobLine(name, 'success', event);
}

/**
 * The optional failure line (logFailures) of an authorization refusal (403/404): the caller is
 * known and attributable, so it carries user_id and token_iat like a success line does, but
 * `event: access.denied` and `outcome: failure` keep it from counting as one.
 */
export function accessDeniedLine(event: JobCreated & { reason: string }): Record<string, unknown> {
  return { ...jobLine('access.denied', 'failure', event), reason: event.reason };
}

function jobLine(name: string, outcome: 'success' | 'failure', event: JobCreated): Record<string, unknown> {
  const { claims } = event;
  return {
    event_id: randomUUID(),
    event: name,
    outcome,
    timestamp: event.at.toISOString(),
    user_id: claims.sub,
    user_email: typeof claims.email === 'string' ? claims.email : null,
    session_id: typeof claims.sid === 'string' ? claims.sid : null,
    token_iat: typeof claims.iat === 'number' ? claims.iat : null,
    method: event.method,
    path: event.path,
    status: event.status,
    resource_id: event.jobId,
    alcoa_attributable: true,
    alcoa_legible: true,
    alcoa_contemporaneous: true,
    alcoa_original: true,
    alcoa_accurate: true,
  };
}

/** The optional failure line (logFailures): who is unknown, so user_id and token_iat are null. */
export function authRejectedLine(event: { method: string; path: string; status: number; reason: string; at: Date }): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    event: 'auth.rejected',
    outcome: 'failure',
    timestamp: event.at.toISOString(),
    user_id: null,
    user_email: null,
    session_id: null,
    token_iat: null,
    method: event.method,
    path: event.path,
    status: event.status,
    reason: event.reason,
    // ALCOA+ applies to failed attempts too: nobody is attributable, but the record is still
    // legible, contemporaneous, original and accurate.
    alcoa_attributable: false,
    alcoa_legible: true,
    alcoa_contemporaneous: true,
    alcoa_original: true,
    alcoa_accurate: true,
  };
}

/** The audit flaws, applied to a correct line: the lines actually written (zero, one or two). */
export function applyAuditFlaws(line: Record<string, unknown>, flaws: ReadonlySet<ReferenceFlaw>, claims: Record<string, unknown>): Array<Record<string, unknown>> {
  if (flaws.has('audit-none')) return []; // FLAW: the action is not recorded at all
  const out = { ...line };
  if (flaws.has('audit-omit-iat')) delete out.token_iat; // FLAW: token issue time not captured
  if (flaws.has('audit-wrong-user')) out.user_id = typeof claims.sid === 'string' ? claims.sid : 'anonymous'; // FLAW: session id logged as the user
  return flaws.has('audit-double') ? [out, out] : [out]; // FLAW audit-double: logged twice
}

export class AuditWriter {
  constructor(readonly auditDir: string) {}

  /** Append each line with its own write; resolves once the data is handed to the OS. */
  async append(lines: Array<Record<string, unknown>>, at: Date): Promise<string> {
    const file = auditFilePath(this.auditDir, at);
    for (const line of lines) {
      const text = JSON.stringify(line) + '\n';
      try {
        await appendFile(file, text, { flag: 'a' });
      } catch (err) {
        // The folder is made when a write finds it missing, not before every write: also when a
        // user deletes the log folder while the server runs.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await mkdir(path.dirname(file), { recursive: true });
        await appendFile(file, text, { flag: 'a' });
      }
    }
    return file;
  }
}
