/**
 * Shared by the reference-target tests: run one catalogue case against a target, read what the
 * audit log gained, and assert that a deliberate flaw makes its cases observe the wrong outcome.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { getCase } from '../src/cases/catalogue.js';
import type { CaseContext } from '../src/cases/types.js';
import { auditFilePath } from '../src/target/audit-log.js';
import { FLAWS } from '../src/target/flaws.js';
import type { ReferenceTarget, TargetFlaw } from '../src/target/types.js';
import { sendCase, type Observed } from './cases-fixtures.js';

export async function auditLines(target: ReferenceTarget): Promise<Array<Record<string, unknown>>> {
  try {
    const text = await readFile(auditFilePath(target.auditDir, new Date()), 'utf8');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function runCase(target: ReferenceTarget, id: string, ctx: CaseContext): Promise<Observed & { sent: Record<string, unknown> | undefined }> {
  const auth = await getCase(id).build(ctx);
  if (auth.kind !== 'request') throw new Error(`${id} skipped: ${auth.reason}`);
  return { ...(await sendCase(target.url, auth)), sent: auth.token?.claims };
}

/** What each flaw must make its cases observe (the wrong outcome, or the wrong audit). */
export async function assertFlawCaught(flaw: TargetFlaw, target: ReferenceTarget, ctx: CaseContext): Promise<void> {
  const info = FLAWS[flaw];
  for (const id of info.caughtBy) {
    const before = (await auditLines(target)).length;
    const r = await runCase(target, id, ctx);
    const gained = (await auditLines(target)).slice(before);
    const label = `${flaw} → ${id} (${r.status} ${r.body.slice(0, 100)})`;
    switch (flaw) {
      case 'forbid-missing-header':
        expect(r.status, label).toBe(403);
        expect(JSON.parse(r.body), label).toEqual({ detail: 'Not authenticated' });
        break;
      case 'env-not-loaded':
        expect(r.status, label).toBe(500);
        expect(r.body, label).toContain('missing CLERK_PEM_PUBLIC_KEY');
        break;
      case 'crash-on-malformed':
        expect(r.status, label).toBe(500);
        break;
      case 'require-aud':
        expect(r.status, label).toBe(401);
        expect(JSON.parse(r.body).detail, label).toBe('Token validation failed: Token is missing the "aud" claim');
        break;
      case 'require-email':
        expect(r.status, label).toBe(401);
        break;
      case 'audit-omit-iat':
        expect(r.status, label).toBe(201);
        expect(gained, label).toHaveLength(1);
        expect(gained[0], label).not.toHaveProperty('token_iat');
        break;
      case 'audit-wrong-user':
        expect(gained, label).toHaveLength(1);
        expect(gained[0]!.user_id, label).not.toBe(r.sent!.sub);
        break;
      case 'audit-none':
        expect(r.status, label).toBe(201);
        expect(gained, label).toHaveLength(0);
        break;
      case 'audit-double':
        expect(gained, label).toHaveLength(2);
        break;
      default:
        expect(info.symptom).toBe('accepts');
        expect(r.status, label).toBe(201);
        expect(gained[0]?.user_id, label).toBe(r.sent!.sub);
    }
  }
}
