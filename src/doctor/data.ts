/**
 * Load the doctor's data (diagnostics/checks.yaml, causes.yaml, messages.yaml, auth-rules.yaml,
 * authz.yaml) once. The folder
 * sits at the package root, two levels above this file in both src/ and dist/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { HarnessError } from '../errors.js';
import { buildRules, type RuleSet } from './lib/rules.js';
import { buildTree } from './tree.js';
import type { Cause, Tree } from './types.js';

/** yaml is required when the data is first read: a suite worker whose results need no diagnosis never loads it. */
const require = createRequire(import.meta.url);

export const DIAGNOSTICS_DIR = fileURLToPath(new URL('../../diagnostics/', import.meta.url));

export interface MessageRule {
  verifier: string;
  cause: string;
  note?: string;
  status?: number[];
  /** Compiled from `text` (escaped) or `regex`. */
  pattern: RegExp;
  /** The literal text or regex source, for tests and --json. */
  source: string;
}

export interface Catalogue {
  messages: MessageRule[];
  clerkReasons: Array<{ reason: string; prefix: boolean; cause: string }>;
  joseCodes: Record<string, string>;
  statuses: Record<string, { meaning: string; causes: string[] }>;
}

export type RequirementKind = 'role' | 'permission' | 'feature' | 'plan' | 'no-active-organization' | 'other-organization' | 'reverification';
export const REQUIREMENT_KINDS: readonly RequirementKind[] = ['role', 'permission', 'feature', 'plan', 'no-active-organization', 'other-organization', 'reverification'];

/** diagnostics/authz.yaml: how a signed-in caller's refusal names what it requires. */
export interface AuthzCatalogue {
  requirements: Array<{ says: RequirementKind; pattern: RegExp; source: string; who: string }>;
  /** 404 bodies meaning "no such route" rather than "no such object for you". */
  routeMissing: Array<{ pattern: RegExp; source: string; who: string }>;
}

export interface Diagnostics {
  tree: Tree;
  causes: ReadonlyMap<string, Cause>;
  varDefaults: Record<string, string>;
  catalogue: Catalogue;
  /** Why a fresh token was refused: auth.cause's ordered rules (auth-rules.yaml). */
  authRules: RuleSet;
  /** What a 403/404 to a signed-in caller says it requires (authz.yaml). */
  authz: AuthzCatalogue;
}

function readYaml(dir: string, name: string): unknown {
  const file = path.join(dir, name);
  try {
    const { parse } = require('yaml') as typeof import('yaml');
    return parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new HarnessError('CONFIG_INVALID', `cannot read ${file}: ${(cause as Error).message}`, {
      hint: 'restore the file from the package (diagnostics/ ships with clerk-harness)',
      cause,
    });
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function buildCatalogue(doc: Record<string, unknown>, causeIds: ReadonlySet<string>): Catalogue {
  const check = (cause: string, where: string) => {
    if (!causeIds.has(cause)) throw new Error(`diagnostics/messages.yaml: ${where}: unknown cause "${cause}"`);
    return cause;
  };
  const messages = ((doc.messages ?? []) as Array<Record<string, unknown>>).map((m, i) => {
    const text = m.text as string | undefined;
    const regex = m.regex as string | undefined;
    if (!text && !regex) throw new Error(`diagnostics/messages.yaml: messages[${i}] needs text or regex`);
    const flags = typeof m.flags === 'string' ? m.flags : '';
    return {
      verifier: String(m.verifier),
      cause: check(String(m.cause), `messages[${i}]`),
      note: m.note as string | undefined,
      status: m.status as number[] | undefined,
      pattern: new RegExp(regex ?? escapeRe(text!), flags),
      source: regex ?? text!,
    };
  });
  const clerkReasons = Object.entries((doc.clerk_reasons ?? {}) as Record<string, string>).map(([reason, cause]) => ({
    reason: reason.replace(/\*$/, ''),
    prefix: reason.endsWith('*'),
    cause: check(cause, `clerk_reasons.${reason}`),
  }));
  const joseCodes = (doc.jose_codes ?? {}) as Record<string, string>;
  for (const [code, cause] of Object.entries(joseCodes)) check(cause, `jose_codes.${code}`);
  const statuses = (doc.statuses ?? {}) as Catalogue['statuses'];
  for (const [s, v] of Object.entries(statuses)) v.causes.forEach((c) => check(c, `statuses.${s}`));
  return { messages, clerkReasons, joseCodes, statuses };
}

function buildAuthz(doc: Record<string, unknown>): AuthzCatalogue {
  const where = (list: string, i: number) => `diagnostics/authz.yaml: ${list}[${i}]`;
  const compile = (m: Record<string, unknown>, at: string, global: boolean) => {
    if (typeof m.regex !== 'string') throw new Error(`${at} needs regex`);
    const flags = (typeof m.flags === 'string' ? m.flags : '').replace(/g/g, '');
    try {
      return new RegExp(m.regex, global ? `${flags}g` : flags);
    } catch (err) {
      throw new Error(`${at}: ${(err as Error).message}`);
    }
  };
  const requirements = ((doc.requirements ?? []) as Array<Record<string, unknown>>).map((m, i) => {
    const says = m.says as RequirementKind;
    if (!REQUIREMENT_KINDS.includes(says)) throw new Error(`${where('requirements', i)}: says must be one of ${REQUIREMENT_KINDS.join(', ')}`);
    return { says, pattern: compile(m, where('requirements', i), true), source: String(m.regex), who: String(m.who ?? '') };
  });
  const routeMissing = ((doc.route_missing ?? []) as Array<Record<string, unknown>>).map((m, i) => ({ pattern: compile(m, where('route_missing', i), false), source: String(m.regex), who: String(m.who ?? '') }));
  return { requirements, routeMissing };
}

let cached: Diagnostics | undefined;

/** The diagnostics data; `dir` is for tests that load an edited copy. */
export function loadDiagnostics(dir: string = DIAGNOSTICS_DIR): Diagnostics {
  if (dir === DIAGNOSTICS_DIR && cached) return cached;
  const causesDoc = readYaml(dir, 'causes.yaml') as { causes: Record<string, Omit<Cause, 'id'>>; var_defaults?: Record<string, string> };
  const causes = new Map<string, Cause>(Object.entries(causesDoc.causes).map(([id, c]) => [id, { id, ...c }]));
  const ids = new Set(causes.keys());
  let result: Diagnostics;
  try {
    const tree = buildTree(readYaml(dir, 'checks.yaml'), ids);
    result = {
      tree,
      causes,
      varDefaults: causesDoc.var_defaults ?? {},
      catalogue: buildCatalogue(readYaml(dir, 'messages.yaml') as Record<string, unknown>, ids),
      authRules: buildRules(readYaml(dir, 'auth-rules.yaml'), tree),
      authz: buildAuthz((readYaml(dir, 'authz.yaml') ?? {}) as Record<string, unknown>),
    };
  } catch (cause) {
    if (cause instanceof HarnessError) throw cause;
    throw new HarnessError('CONFIG_INVALID', (cause as Error).message, { hint: 'fix the diagnostics file named above', cause });
  }
  if (dir === DIAGNOSTICS_DIR) cached = result;
  return result;
}

/** Fill {name} from vars, then from the defaults; unknown names stay as written. */
export function fill(template: string, vars: Record<string, string | number | undefined>, defaults: Record<string, string> = {}): string {
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (m, name: string) => {
    const v = vars[name] ?? defaults[name];
    return v === undefined ? m : String(v);
  });
}
