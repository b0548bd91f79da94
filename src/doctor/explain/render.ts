/** Terminal output of `doctor explain`: what the input is, each cause with evidence and fix. */
import type { Paint } from '../../cli/output.js';
import { redact } from '../../redact.js';
import { glyph } from '../render.js';
import type { Explanation } from './explain.js';
import { plain, show } from './token.js';

const SHOWN_CLAIMS = ['sub', 'sid', 'iss', 'azp', 'aud', 'email', 'iat', 'nbf', 'exp', 'v'];

/** Redact first, then cut: a cut token would no longer look like one to redact(). */
const cut = (text: string, max: number) => {
  const r = redact(text);
  return r.length > max ? `${r.slice(0, max)}…` : r;
};

function tokenLines(e: Explanation, p: Paint): string[] {
  if (!e.token) return [];
  const h = e.token.header;
  const header = ['alg', 'kid', 'typ', 'cat'].filter((k) => h[k] !== undefined).map((k) => `${k}=${cut(plain(h[k], 4096), 60)}`);
  const claims = SHOWN_CLAIMS.filter((k) => e.token!.claims[k] !== undefined).map((k) => `${k}=${cut(show(e.token!.claims[k], 4096), 80)}`);
  const names = Object.keys(e.token.claims).filter((k) => !SHOWN_CLAIMS.includes(k));
  const other = names.slice(0, 20).map((k) => cut(k, 40));
  if (names.length > 20) other.push(`${names.length - 20} more`);
  const org = e.authorization?.token?.line;
  return [
    `  ${p.dim('header:')} ${header.join(' ')}`,
    `  ${p.dim('claims:')} ${claims.join(' ')}${other.length ? p.dim(` (+ ${other.join(', ')})`) : ''}`,
    // The organization as @clerk/backend's auth object reads it (orgId, orgRole, orgPermissions).
    ...(org ? [`  ${p.dim('organization:')} ${cut(org.replace(/^token \([^)]*\): /, ''), 400)}`] : []),
    '',
  ];
}

export function renderExplanation(e: Explanation, o: { paint: Paint; verbose?: boolean }): string {
  const p = o.paint;
  const lines = [`${p.bold('doctor explain:')} ${e.summary}`, ''];
  lines.push(...tokenLines(e, p));
  if (!e.recognised) {
    lines.push('  doctor does not recognise this input. It knows tokens (eyJ...), Clerk keys, HTTP status lines,');
    lines.push('  response bodies and the messages of PyJWT, python-jose, @clerk/backend, jose, FastAPI and fastapi-clerk-auth.');
    lines.push('  For a live failure run `clerk-harness doctor` against the target.');
    return lines.join('\n') + '\n';
  }
  for (const c of e.causes) {
    lines.push(`  ${glyph(c.severity === 'info' ? 'skip' : c.severity, p)} ${c.title}`);
    if (c.verifiers.length) lines.push(`      ${p.dim('•')} said by ${c.verifiers.join(', ')}`);
    for (const ev of c.evidence) lines.push(`      ${p.dim('•')} ${ev}`);
    lines.push(`      ${p.bold('fix:')} ${c.fix}`);
  }
  if (e.causes.length === 0) lines.push(`  ${glyph('pass', p)} nothing wrong with it by itself`);
  const notes = o.verbose ? e.notes : e.notes.slice(0, 8);
  if (notes.length) {
    lines.push('', `  ${p.dim('also worth knowing:')}`);
    for (const n of notes) lines.push(`    ${p.dim('•')} ${n}`);
  }
  return lines.join('\n') + '\n';
}
