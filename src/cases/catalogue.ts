/**
 * The case catalogue: every auth case the harness runs, as data (one CaseDef per case). Order is
 * the order of reports: accepted cases first, then the header, lifetime, claim, signature and
 * injection groups. Ids are stable; suites, reports and doctor refer to them.
 */
import { HarnessError } from '../errors.js';
import { claimCases } from './claim-cases.js';
import { headerCases } from './header-cases.js';
import { injectionCases } from './injection-cases.js';
import { lifetimeCases } from './lifetime-cases.js';
import { signatureCases } from './signature-cases.js';
import type { CaseDef } from './types.js';
import { validCases } from './valid-cases.js';

export const CATALOGUE: readonly CaseDef[] = Object.freeze([
  ...validCases,
  ...headerCases,
  ...lifetimeCases,
  ...claimCases,
  ...signatureCases,
  ...injectionCases,
]);

export const CASE_IDS: readonly string[] = Object.freeze(CATALOGUE.map((c) => c.id));

const byId = new Map(CATALOGUE.map((c) => [c.id, c]));

export function findCase(id: string): CaseDef | undefined {
  return byId.get(id);
}

/** The case with this id, or a USAGE error naming the unknown id and the nearest valid ones. */
export function getCase(id: string, where = 'case id'): CaseDef {
  const found = byId.get(id);
  if (found) return found;
  const near = CASE_IDS.filter((c) => c.includes(id) || id.includes(c.split('-')[0]!)).slice(0, 5);
  throw new HarnessError('USAGE', `unknown ${where} "${id}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`, {
    hint: `valid case ids: ${CASE_IDS.join(', ')}`,
  });
}
