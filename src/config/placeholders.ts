/**
 * Values people paste by mistake (seeds: "Never copy Markdown links into the terminal", "Angle
 * brackets or placeholders break PowerShell parsing"). Pure functions, shared by config loading
 * and by doctor's env checks.
 */

export type ValueProblem =
  | { kind: 'placeholder'; detail: string }
  | { kind: 'markdown-link'; detail: string }
  | { kind: 'empty'; detail: string };

const PLACEHOLDER_PATTERNS: Array<[RegExp, string]> = [
  [/<[^<>\n]{1,60}>/, 'contains an angle-bracket placeholder'],
  [/\.\.\.|…/, 'ends in "..." like a documentation example'],
  [/\byour[_-]/i, 'contains "your_", a documentation placeholder'],
  [/_here\b/i, 'contains "_here", a documentation placeholder'],
  [/^(x{3,}|changeme|replace[_-]?me|todo|placeholder|example)$/i, 'is a placeholder word'],
  [/\{\{[^}]*\}\}|\$\{[^}]*\}/, 'contains an unexpanded template variable'],
];

const MARKDOWN_LINK = /\[[^\]\n]*\]\([^)\n]*\)/;

/** Why a value looks wrong, or undefined when it looks like a real value. */
export function valueProblem(value: string): ValueProblem | undefined {
  if (value.trim() === '') return { kind: 'empty', detail: 'is empty' };
  if (MARKDOWN_LINK.test(value)) {
    return { kind: 'markdown-link', detail: 'is a pasted Markdown link ([text](url)); paste the raw value instead' };
  }
  // PEM bodies are base64 and never hold "<": an angle-bracket placeholder inside one is still one.
  if (PLACEHOLDER_PATTERNS[0][0].test(value)) return { kind: 'placeholder', detail: PLACEHOLDER_PATTERNS[0][1] };
  // Other patterns could match inside base64 by chance; check PEMs only outside their armour.
  const probe = value.includes('-----BEGIN') ? value.replace(/-----BEGIN[\s\S]*?-----END[^-]*-----/g, '') : value;
  for (const [re, detail] of PLACEHOLDER_PATTERNS) {
    if (re.test(probe)) return { kind: 'placeholder', detail };
  }
  return undefined;
}
