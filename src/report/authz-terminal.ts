/** The authorization matrix in the terminal summary: a compact persona × endpoint table. */
import type { Paint } from '../cli/output.js';
import { describeCase, MARK, TOKEN_LABEL, type AuthzMatrix, type AuthzMatrixCase, type AuthzMatrixCell } from './authz-matrix.js';

/** Wider than this, the table becomes one line per persona × endpoint. */
const MAX_WIDTH = 120;

function caseText(c: AuthzMatrixCase): string {
  const label = TOKEN_LABEL[c.token];
  return `${label ? `${label} ` : ''}${MARK[c.verdict]} ${describeCase(c)}${c.severity ? ` [${c.severity}]` : ''}`;
}

function colour(p: Paint, c: AuthzMatrixCase): (s: string) => string {
  if (c.verdict === 'pass') return p.green;
  if (c.verdict === 'finding') return c.severity === 'critical' || c.severity === 'high' ? p.red : c.severity === 'medium' ? p.yellow : p.dim;
  if (c.verdict === 'error' || c.verdict === 'blocked') return p.red;
  return p.dim;
}

/** A cell as plain text (for widths) and painted. */
function cellText(p: Paint, cell: AuthzMatrixCell | null): { plain: string; painted: string } {
  if (!cell) return { plain: '—', painted: p.dim('—') };
  const parts = cell.cases.map((c) => ({ plain: caseText(c), painted: colour(p, c)(caseText(c)) }));
  return { plain: parts.map((x) => x.plain).join('; '), painted: parts.map((x) => x.painted).join('; ') };
}

export function renderAuthzTerminal(m: AuthzMatrix, p: Paint): string[] {
  const out = ['', p.bold(`AUTHORIZATION (${m.personas.length} personas × ${m.endpoints.length} endpoints: expected, then what the target did)`)];
  const cells = m.rows.map((row) => row.map((c) => cellText(p, c)));
  const first = Math.max(...m.personas.map((x) => x.length));
  const widths = m.endpoints.map((e, j) => Math.max(e.name.length, ...cells.map((row) => row[j]!.plain.length)));
  const pad = (t: { plain: string; painted: string }, w: number) => t.painted + ' '.repeat(Math.max(0, w - t.plain.length));
  if (2 + first + widths.reduce((a, w) => a + 3 + w, 0) <= MAX_WIDTH) {
    out.push(p.dim(`  ${' '.repeat(first)}   ${m.endpoints.map((e, j) => e.name.padEnd(widths[j]!)).join('   ')}`.trimEnd()));
    m.personas.forEach((persona, i) => {
      out.push(`  ${persona.padEnd(first)}   ${cells[i]!.map((c, j) => pad(c, widths[j]!)).join('   ')}`.trimEnd());
    });
  } else {
    m.personas.forEach((persona, i) => {
      m.endpoints.forEach((e, j) => out.push(`  ${persona.padEnd(first)}  ${e.name}: ${cells[i]![j]!.painted}`));
    });
  }
  return out;
}
