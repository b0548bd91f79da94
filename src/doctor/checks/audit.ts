/**
 * audit.dir, audit.today, audit.entries: the backend's ALCOA+ audit log. Reads only the tail of
 * today's file (the last entries), validates them with the audit module's schema validator, and
 * when doctor's own fresh token was accepted, looks for the entry that request must have left.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { auditPathFor, loadAuditValidator } from '../../audit/index.js';
import { displayPath } from '../lib/env-file.js';
import type { CheckModule, Facts } from '../types.js';

const TAIL_BYTES = 64 * 1024;
const LAST = 5;

export function auditRoot(cwd: string, dir: string): string {
  return path.resolve(cwd, dir);
}

export function todaysAuditFile(root: string, nowMs: number): string {
  return auditPathFor({ baseDir: root, pattern: path.join('jobs', 'audit_{YYYYMMDD}.jsonl') }, new Date(nowMs));
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
  async run(ctx) {
    const root = auditRoot(ctx.cwd, ctx.options.auditDir);
    const dir = displayPath(root, ctx.cwd);
    const info = await stat(root).catch(() => undefined);
    return info?.isDirectory() ? { outcome: 'present', vars: { dir } } : { outcome: 'missing', vars: { dir }, evidence: [`looked for ${root}`] };
  },
};

export const auditToday: CheckModule = {
  id: 'audit.today',
  async run(ctx, facts) {
    const file = todaysAuditFile(auditRoot(ctx.cwd, ctx.options.auditDir), ctx.now());
    const shown = displayPath(file, ctx.cwd);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return { outcome: 'present', vars: { file: shown, size: `${info.size} bytes` } };
    const fresh = acceptedFresh(facts);
    if (fresh) return { outcome: 'missing-after-accept', vars: { file: shown }, evidence: [`${fresh.method} ${fresh.url} answered ${fresh.status} at ${new Date(fresh.receivedAt).toISOString()}`] };
    return { outcome: 'missing', vars: { file: shown } };
  },
};

export const auditEntries: CheckModule = {
  id: 'audit.entries',
  async run(ctx, facts) {
    const file = todaysAuditFile(auditRoot(ctx.cwd, ctx.options.auditDir), ctx.now());
    const shown = displayPath(file, ctx.cwd);
    let validator;
    try {
      validator = await loadAuditValidator({ cwd: ctx.cwd });
    } catch (err) {
      return { outcome: 'no-schema', vars: { detail: (err as Error).message } };
    }
    const lines = await tailLines(file, LAST);
    const at = (l: { line?: number }) => `${shown}${l.line ? `:${l.line}` : ''}`;
    const bad: string[] = [];
    const entries: Array<Record<string, unknown>> = [];
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
      if (value && typeof value === 'object') entries.push(value as Record<string, unknown>);
    }
    if (bad.length) return { outcome: 'invalid', vars: { detail: `${bad.length} of the last ${lines.length} entries fail the schema` }, evidence: bad };
    const fresh = acceptedFresh(facts);
    const count = lines.length === 1 ? '1 entry is' : `${lines.length} entries are`;
    if (!fresh) return { outcome: 'valid', vars: { entries: count, attributed: '' } };
    const { sub, iat } = fresh.token.claims;
    const mine = entries.find((e) => e.user_id === sub && e.token_iat === iat);
    if (mine) return { outcome: 'valid', vars: { entries: count, attributed: `; doctor's request is attributed to ${String(sub)} (token_iat ${String(iat)})` } };
    const near = entries.filter((e) => e.outcome === 'success' && typeof e.timestamp === 'string' && Math.abs(Date.parse(e.timestamp) - fresh.receivedAt) < 10_000);
    if (near.length === 0) {
      return { outcome: 'not-written', vars: { detail: `no audit entry for doctor's accepted request (sub ${String(sub)}, iat ${String(iat)})` }, evidence: [`last ${lines.length} entries of ${shown} checked`] };
    }
    const e = near[near.length - 1];
    const evidence = [];
    if (e.user_id !== sub) evidence.push(`user_id ${JSON.stringify(e.user_id)}, expected sub ${String(sub)}`);
    if (e.token_iat !== iat) evidence.push(`token_iat ${JSON.stringify(e.token_iat)}, expected iat ${String(iat)}`);
    return { outcome: 'unattributed', vars: { detail: "the entry for doctor's request is not attributed to the token" }, evidence };
  },
};
