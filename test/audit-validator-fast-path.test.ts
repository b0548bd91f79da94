/**
 * The audit validator's two speed-ups must never change a verdict (src/audit/schema.ts):
 *   - the character-code date-time check says "valid" only where ajv-formats' full RFC 3339 check
 *     does, and hands every other string to it;
 *   - after 1,000 lines a pass/fail validator decides validity; the problems of a failing line
 *     still come from the full validator, so a long file reports exactly what a short one does.
 * The oracle is ajv-formats itself and a validator that has never switched.
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { loadAuditValidator } from '../src/audit/schema.js';

const require = createRequire(import.meta.url);
const { fullFormats } = require('ajv-formats/dist/formats') as { fullFormats: Record<string, { validate: (s: string) => boolean }> };
const rfc3339 = (s: string) => fullFormats['date-time']!.validate(s);

/** Valid stamps, then every one-character change of them that matters to the rules. */
function stamps(): string[] {
  const base = ['2026-12-03T10:00:00Z', '2024-02-29T23:59:59.999999+05:30', '1900-02-28t00:00:00.1z', '2026-12-31T23:59:60Z', '2026-06-30T12:30:00-00:00'];
  const out = new Set(base);
  const chars = '0123456789-:.TtZz+ xX';
  for (const b of base) {
    for (let i = 0; i < b.length; i++) {
      for (const c of chars) out.add(b.slice(0, i) + c + b.slice(i + 1));
      out.add(b.slice(0, i) + b.slice(i + 1));
    }
  }
  for (const extra of ['2023-02-29T10:00:00Z', '2000-02-29T10:00:00Z', '2100-02-29T10:00:00Z', '2026-04-31T10:00:00Z', '2026-12-03T24:00:00Z',
    '2026-12-03T10:00:00.Z', '2026-12-03T10:00:00+24:00', '2026-12-03T10:00:00+05:60', '2026-12-03T10:00:00', '2026-12-03 10:00:00Z',
    '2026-12-03T23:59:59.99999999999999999Z', '2026-12-03T10:00:00+0530', '２026-12-03T10:00:00Z']) out.add(extra);
  return [...out];
}

it('the fast date-time check agrees with ajv-formats\' full check on every stamp and its one-character mutations', async () => {
  const validator = await loadAuditValidator({});
  const all = stamps();
  const line = (timestamp: string) => ({ event: 'auth_failed', user_id: null, alcoa_attributable: false, timestamp });
  const disagreements = all.filter((s) => (validator.check(line(s)).length === 0) !== rfc3339(s));
  expect(disagreements).toEqual([]);
  // Both verdicts occur, many times: the comparison is not one-sided.
  const valid = all.filter(rfc3339).length;
  expect(valid).toBeGreaterThan(100);
  expect(all.length - valid).toBeGreaterThan(300);
});

it('past 1,000 lines the pass/fail validator decides: the same verdicts and problems as a validator that never switched', async () => {
  const long = await loadAuditValidator({});
  const lines: unknown[] = [];
  for (let i = 0; i < 3000; i++) {
    const ok = { user_id: `user_${i % 7}`, token_iat: 1796300000 + i, alcoa_attributable: true, alcoa_contemporaneous: '2026-12-03T10:00:00Z', session_id: null };
    switch (i % 10) {
      case 3: lines.push({ ...ok, token_iat: 1796300000123 }); break; // milliseconds
      case 5: lines.push({ ...ok, alcoa_contemporaneous: false, timestamp: 'yesterday' }); break;
      case 7: lines.push({ event: 'auth.rejected', user_id: null, timestamp: '2026-12-03T10:00:00Z', status: 99 }); break;
      case 9: lines.push({ ...ok, user_id: '' }); break;
      default: lines.push(ok);
    }
  }
  const seen = lines.map((l) => long.check(l));
  // A fresh validator per 500 lines never reaches the switch.
  const fresh: unknown[] = [];
  for (let i = 0; i < lines.length; i += 500) {
    const v = await loadAuditValidator({});
    for (const l of lines.slice(i, i + 500)) fresh.push(v.check(l));
  }
  expect(seen).toEqual(fresh);
  expect(seen.filter((p) => p.length > 0)).toHaveLength(1200);
});
