/**
 * Turn ajv's error objects into one-line violations that name the field and say what was wrong,
 * with the offending value (short) so a user can fix the writer without opening the log.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { redact } from '../redact.js';
import type { AuditViolation } from './types.js';

const MAX_SHOWN = 60;

export function toViolations(errors: readonly ErrorObject[], entry: unknown): AuditViolation[] {
  // `if`/`then` failures come with a wrapper "must match "then" schema"; the inner error says it all.
  const meaningful = errors.filter((e) => e.keyword !== 'if');
  const source = meaningful.length > 0 ? meaningful : errors;
  // One violation per field and keyword: `type: ["integer","null"]` at the top and `type: "integer"`
  // under `then` both fail for a null; the conditional one is the more precise, so it wins.
  const byKey = new Map<string, { v: AuditViolation; conditional: boolean }>();
  for (const err of source) {
    const v = toViolation(err, entry);
    const conditional = isConditional(err.schemaPath);
    const key = `${v.field}\u0000${v.keyword}`;
    const existing = byKey.get(key);
    if (!existing || (conditional && !existing.conditional)) byKey.set(key, { v, conditional });
  }
  return [...byKey.values()].map((x) => x.v);
}

function isConditional(schemaPath: string): boolean {
  return schemaPath.includes('/then/') || schemaPath.includes('/else/');
}

function toViolation(err: ErrorObject, entry: unknown): AuditViolation {
  const params = err.params as Record<string, unknown>;
  const segments = pointerSegments(err.instancePath);
  const when = isConditional(err.schemaPath) ? ` (${describeBranch(err.schemaPath, entry)})` : '';
  switch (err.keyword) {
    case 'required':
    case 'dependentRequired':
      return { field: fieldName([...segments, String(params.missingProperty)]), keyword: err.keyword, message: `required property missing${when}` };
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return { field: fieldName([...segments, String(params.additionalProperty ?? params.unevaluatedProperty)]), keyword: err.keyword, message: 'property not allowed by the schema' };
  }
  let message = err.message ?? err.keyword;
  if (err.keyword === 'const') message += ` ${shown(params.allowedValue)}`;
  if (err.keyword === 'enum') message += ` ${(params.allowedValues as unknown[]).map(shown).join(', ')}`;
  message += ` (got ${shown(valueAt(entry, segments))})${when}`;
  return { field: fieldName(segments), keyword: err.keyword, message };
}

/** "the then branch" means little to a user; say which outcome the rule applies to when we can. */
function describeBranch(schemaPath: string, entry: unknown): string {
  const o = entry && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
  const branch = schemaPath.includes('/then/') ? 'then' : 'else';
  if (typeof o.outcome === 'string') return `for outcome "${o.outcome}"`;
  if (typeof o.event === 'string') return `for event "${o.event}", read as ${branch === 'else' ? 'an accepted request' : 'a refused request'}`;
  return `schema's ${branch} branch`;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function fieldName(segments: string[]): string {
  if (segments.length === 0) return '(entry)';
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function valueAt(entry: unknown, segments: string[]): unknown {
  let node = entry;
  for (const s of segments) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

/** Values nested deeper than this are shown as a marker (JSON.stringify recurses on the stack). */
export const MAX_SHOWN_DEPTH = 32;

/** Whether `value` nests deeper than `limit`; iterative, and stops as soon as it knows. */
export function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * A short JSON rendering of a value. Redacted BEFORE it is cut: a cut PEM private key or token
 * would no longer look like one to redact() and its first characters would be printed.
 */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (deeperThan(value, MAX_SHOWN_DEPTH)) return `(a value nested deeper than ${MAX_SHOWN_DEPTH} levels)`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  text = redact(text);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}
