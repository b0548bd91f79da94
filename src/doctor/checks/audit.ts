/**
 * audit.dir, audit.today, audit.entries: the backend's ALCOA+ audit log. When the target accepted
 * doctor's own fresh token, only what the log gained during that request counts: target.fresh-token
 * notes where the audit files end just before sending it (src/audit's auditCheckpoint), and
 * audit.entries reads exactly the bytes appended since (readAppended) and judges them like the
 * suite runner does (checkAcceptedRequest) - so an older line, good or bad, can neither stand in
 * for a missing one nor hide it. Without an accepted request it validates the last entries.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  auditCheckpoint,
  auditPathFor,
  checkAcceptedRequest,
  loadAuditValidator,
  readAppended,
  type AuditCheckpoint,
  type AuditFinding,
  type AuditLocation,
} from '../../audit/index.js';
import { createClassifier } from '../../audit/classify.js';
import { displayPath } from '../lib/env-file.js';
import type { CheckContext, CheckModule, CheckOutput, Facts } from '../types.js';

const TAIL_BYTES = 64 * 1024;
const LAST = 5;
/** How long audit.entries waits for the line of doctor's request (targets may write it after answering). */
const APPEND_WAIT_MS = 1000;

export function auditRoot(cwd: string, dir: string): string {
  return path.resolve(cwd, dir);
}

/** Where the backend writes: <audit-dir>/jobs/audit_YYYYMMDD.jsonl (UTC). */
export function auditLocation(cwd: string, dir: string): AuditLocation {
  return { baseDir: auditRoot(cwd, dir), pattern: path.join('jobs', 'audit_{YYYYMMDD}.jsonl') };
}

export function todaysAuditFile(root: string, nowMs: number): string {
  return auditPathFor({ baseDir: root, pattern: path.join('jobs', 'audit_{YYYYMMDD}.jsonl') }, new Date(nowMs));
}

/** The audit layout doctor judges: the suite's (doctor --suite) or the documents' under --audit-dir. */
function locationOf(ctx: Pick<CheckContext, 'cwd' | 'options'>): AuditLocation {
  const a = ctx.options.audit;
  return a ? { baseDir: a.baseDir, pattern: a.pattern } : auditLocation(ctx.cwd, ctx.options.auditDir);
}
function todaysFile(ctx: Pick<CheckContext, 'cwd' | 'options'>, nowMs: number): string {
  return auditPathFor(locationOf(ctx), new Date(nowMs));
}
/** The folder today's file lives in (what audit.dir looks for). */
function auditFolder(ctx: Pick<CheckContext, 'cwd' | 'options'>, nowMs: number): string {
  return ctx.options.audit ? path.dirname(todaysFile(ctx, nowMs)) : auditRoot(ctx.cwd, ctx.options.auditDir);
}

/** The checkpoint target.fresh-token takes before its request; undefined when the files cannot be looked at. */
export async function auditCheckpointFor(ctx: Pick<CheckContext, 'cwd' | 'options' | 'now'>): Promise<AuditCheckpoint | undefined> {
  try {
    if (ctx.options.audit === false) return undefined;
    return await auditCheckpoint(locationOf(ctx), { now: () => new Date(ctx.now()) });
  } catch {
    return undefined; // unreadable audit files: audit.entries falls back to the tail and says why
  }
}

/** The last `count` complete lines of a file, with their 1-based line numbers when known. */
async function tailLines(file: string, count: number): Promise<Array<{ text: string; line?: number }>> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    let lines = buf.toString('utf8').split('\n');
    if (start > 0) lines = lines.slice(1); // first piece may be cut
    const total = start === 0 ? lines.length : undefined;
    const out = lines.map((text, i) => ({ text: text.replace(/\r$/, ''), line: total !== undefined ? i + 1 : undefined })).filter((l) => l.text.trim() !== '');
    return out.slice(-count);
  } finally {
    await fh.close();
  }
}

type Fresh = NonNullable<NonNullable<Facts['target']>['fresh']>;

/** doctor's own authenticated request, when the target accepted it. */
function acceptedFresh(facts: Readonly<Facts>): Fresh | undefined {
  const fresh = facts.target?.fresh;
  return fresh && fresh.status >= 200 && fresh.status < 300 ? fresh : undefined;
}

export const auditDir: CheckModule = {
  id: 'audit.dir',
  async run(ctx, facts) {
    if (ctx.options.audit === false) return { outcome: 'not-audited', vars: { dir: 'none' } };
    const root = auditFolder(ctx, ctx.now());
    const dir = displayPath(root, ctx.cwd);
    const info = await stat(root).catch(() => undefined);
    if (info?.isDirectory()) return { outcome: 'present', vars: { dir } };
    // A fresh deployment has no audit folder yet; once the target accepted a token it must have one.
    const fresh = acceptedFresh(facts);
    if (fresh) {
      return { outcome: 'missing-after-accept', vars: { dir }, evidence: [`looked for ${root}`, `${fresh.method} ${fresh.url} answered ${fresh.status} at ${new Date(fresh.receivedAt).toISOString()}, so an audit entry was due`] };
    }
    return { outcome: 'missing', vars: { dir }, evidence: [`looked for ${root}`] };
  },
};

export const auditToday: CheckModule = {
  id: 'audit.today',
  async run(ctx, facts) {
    const file = todaysFile(ctx, ctx.now());
    const shown = displayPath(file, ctx.cwd);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return { outcome: 'present', vars: { file: shown, size: `${info.size} bytes` } };
    const fresh = acceptedFresh(facts);
    if (fresh) return { outcome: 'missing-after-accept', vars: { file: shown }, evidence: [`${fresh.method} ${fresh.url} answered ${fresh.status} at ${new Date(fresh.receivedAt).toISOString()}`] };
    return { outcome: 'missing', vars: { file: shown } };
  },
};

/** "path@offset" of a finding, with the path as the user reads it. */
function shownAt(f: AuditFinding, cwd: string): string {
  if (!f.at) return '';
  const i = f.at.lastIndexOf('@');
  return ` (${displayPath(f.at.slice(0, i), cwd)} byte ${f.at.slice(i + 1)})`;
}

const ATTRIBUTION = new Set(['user_id', 'token_iat', 'user_email']);

/** Judge exactly what doctor's accepted request appended, as the suite runner would. */
async function judgeAppended(
  ctx: CheckContext,
  fresh: Fresh,
  checkpoint: AuditCheckpoint,
  validator: Awaited<ReturnType<typeof loadAuditValidator>>,
  targetOffsetMs: number | undefined,
): Promise<CheckOutput> {
  const appended = await readAppended(checkpoint, { minEntries: 1, waitMs: APPEND_WAIT_MS, settleMs: 50 });
  const { sub, iat, email } = fresh.token.claims;
  // The target stamps entries with its own clock: judge them against the request window seen
  // through that clock (the offset measured from its Date header, which has 1 s resolution).
  const offsetMs = targetOffsetMs ?? 0;
  const findings = checkAcceptedRequest(
    appended,
    {
      sub: String(sub),
      iat: Number(iat),
      email: typeof email === 'string' ? email : undefined,
      requestStart: fresh.sentAt + offsetMs,
      requestEnd: fresh.receivedAt + offsetMs,
      toleranceMs: 3000,
      classify: createClassifier(ctx.options.audit ? ctx.options.audit.classifier : {}),
    },
    validator,
  );
  const gained = appended.files.filter((f) => f.to > f.from || f.restarted).map((f) => `${displayPath(f.path, ctx.cwd)} bytes ${f.from}-${f.to}`);
  const scope = gained.length ? `read what doctor's request appended: ${gained.join(', ')}` : `the audit files did not grow during doctor's request (${checkpoint.files.map((f) => displayPath(f.path, ctx.cwd)).join(', ')})`;
  const who = `sub ${String(sub)}, iat ${String(iat)}`;
  if (findings.length === 0) {
    return { outcome: 'valid', vars: { entries: "the entry doctor's request wrote is", attributed: `; attributed to ${String(sub)} (token_iat ${String(iat)})` }, details: [scope] };
  }
  const evidence = [...findings.map((f) => `${f.message}${shownAt(f, ctx.cwd)}`), scope];
  const missing = findings.find((f) => f.field === 'entry' && f.actual === 0);
  if (missing) return { outcome: 'not-written', vars: { detail: `doctor's accepted request (${who}) wrote no audit entry` }, evidence };
  if (findings.some((f) => ATTRIBUTION.has(f.field))) return { outcome: 'unattributed', vars: { detail: `the entry doctor's request wrote is not attributed to its token (${who})` }, evidence };
  const late = findings.find((f) => f.field === 'timestamp');
  if (late && findings.every((f) => f.field === 'timestamp')) {
    return { outcome: 'not-contemporaneous', vars: { detail: `the entry doctor's request wrote is not stamped with the time of the request (${late.message})` }, evidence };
  }
  if (findings.some((f) => f.field !== 'entry')) return { outcome: 'invalid', vars: { detail: "the entry doctor's request wrote fails the audit schema" }, evidence };
  return { outcome: 'duplicated', vars: { detail: `doctor's one accepted request wrote ${appended.lines.length} audit entries` }, evidence };
}

export const auditEntries: CheckModule = {
  id: 'audit.entries',
  async run(ctx, facts) {
    const file = todaysFile(ctx, ctx.now());
    const shown = displayPath(file, ctx.cwd);
    let validator;
    try {
      validator = await loadAuditValidator({ cwd: ctx.cwd, schemaPath: ctx.options.audit ? ctx.options.audit.schemaFile : undefined });
    } catch (err) {
      return { outcome: 'no-schema', vars: { detail: (err as Error).message } };
    }
    const fresh = acceptedFresh(facts);
    if (fresh && facts.auditCheckpoint) return judgeAppended(ctx, fresh, facts.auditCheckpoint, validator, facts.target?.offsetMs);

    const lines = await tailLines(file, LAST);
    const at = (l: { line?: number }) => `${shown}${l.line ? `:${l.line}` : ''}`;
    const bad: string[] = [];
    for (const l of lines) {
      let value: unknown;
      try {
        value = JSON.parse(l.text);
      } catch {
        bad.push(`${at(l)} is not JSON`);
        continue;
      }
      const violations = validator.check(value);
      if (violations.length) bad.push(`${at(l)} ${violations.map((v) => `${v.field}: ${v.message}`).join('; ')}`);
    }
    if (bad.length) return { outcome: 'invalid', vars: { detail: `${bad.length} of the last ${lines.length} entries fail the schema` }, evidence: bad };
    const count = lines.length === 1 ? 'the last entry is' : `the last ${lines.length} entries are`;
    const note = fresh ? ["doctor's request was accepted, but where the audit files ended before it is not known: attribution not checked"] : [];
    return { outcome: 'valid', vars: { entries: count, attributed: '' }, details: note };
  },
};
