/**
 * JWT-template shortcodes, the subset Clerk documents: `{{user.id}}`, `{{user.primary_email_address}}`,
 * `{{user.public_metadata.plan}}`, fallbacks `{{user.username || user.id || 'anon'}}`, and
 * interpolation inside strings (`"{{user.first_name}} {{user.last_name}}"`). A string that is a
 * single shortcode keeps the value's JSON type; an unresolvable shortcode gives null.
 */

export type ShortcodeContext = Record<string, unknown>; // { user: {...}, session: {...}, org: {...} }

const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const EMBEDDED = /\{\{\s*([^{}]+?)\s*\}\}/g;

function lookup(path: string, ctx: ShortcodeContext): unknown {
  let cur: unknown = ctx;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in (cur as object))) return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined ? null : cur;
}

/** Evaluate `a || b || 'literal'`: the first alternative that is neither null nor empty. */
function evaluate(expression: string, ctx: ShortcodeContext): unknown {
  for (const alt of expression.split('||').map((s) => s.trim())) {
    const literal = /^(['"])(.*)\1$/.exec(alt);
    const value = literal ? literal[2] : lookup(alt, ctx);
    if (value !== null && value !== '') return value;
  }
  return null;
}

export function resolveShortcodes(value: unknown, ctx: ShortcodeContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return evaluate(whole[1], ctx);
    return value.replace(EMBEDDED, (_m, expr: string) => {
      const v = evaluate(expr, ctx);
      if (v === null) return '';
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveShortcodes(v, ctx));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveShortcodes(v, ctx);
    return out;
  }
  return value;
}
