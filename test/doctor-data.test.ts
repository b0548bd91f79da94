/**
 * The doctor's data files as text a person reads: every title, fix, note and printed line must
 * survive YAML parsing whole. An unquoted " #623" is a YAML comment and silently cuts a note to
 * "... (clerk/javascript"; these tests catch that class of slip in any of the files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isScalar, parseDocument, visit } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTICS_DIR, loadDiagnostics } from '../src/doctor/data.js';

const FILES = ['checks.yaml', 'causes.yaml', 'messages.yaml', 'auth-rules.yaml', 'authz.yaml'];
/** Keys whose values are prose shown to the user. */
const PROSE = new Set(['title', 'fix', 'note', 'says', 'meaning', 'looks_at', 'means', 'evidence']);

function prose(file: string): Array<{ where: string; text: string }> {
  const source = readFileSync(path.join(DIAGNOSTICS_DIR, file), 'utf8');
  const doc = parseDocument(source);
  const lineOf = (offset: number) => source.slice(0, offset).split('\n').length;
  const out: Array<{ where: string; text: string }> = [];
  visit(doc, {
    Pair(_key, pair) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (PROSE.has(k) && isScalar(pair.value) && typeof pair.value.value === 'string') {
        out.push({ where: `${file}:${lineOf(pair.value.range?.[0] ?? 0)} ${k}`, text: pair.value.value });
      }
    },
  });
  return out;
}

/** Brackets and quotes that open must close. */
function unbalanced(text: string): string | undefined {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (const c of text) {
    if ('([{'.includes(c)) stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return `unexpected "${c}"`;
    }
  }
  if (stack.length) return `"${stack.join('')}" never closed`;
  if ((text.match(/"/g) ?? []).length % 2) return 'odd number of double quotes';
  return undefined;
}

describe('diagnostics/*.yaml as prose', () => {
  it.each(FILES)('%s: no value is cut by a YAML comment (an unquoted " #")', (file) => {
    const doc = parseDocument(readFileSync(path.join(DIAGNOSTICS_DIR, file), 'utf8'));
    const cut: string[] = [];
    visit(doc, {
      Scalar(_key, node) {
        // A comment on the same line as a value: in these files always a value that lost its tail.
        if (node.comment) cut.push(`${JSON.stringify(node.value)} # ${node.comment}`);
      },
    });
    expect(cut).toEqual([]);
  });

  it.each(FILES)('%s: every title, fix, note and printed line has balanced brackets and quotes', (file) => {
    const texts = prose(file);
    expect(texts.length).toBeGreaterThan(10);
    const bad = texts.map((t) => ({ ...t, problem: unbalanced(t.text) })).filter((t) => t.problem || /[([]\s*$/.test(t.text));
    expect(bad.map((b) => `${b.where}: ${b.problem ?? 'ends with an opening bracket'}: ${b.text}`)).toEqual([]);
  });

  it('the loaded catalogue keeps the full notes (what doctor prints)', () => {
    const { catalogue, causes } = loadDiagnostics();
    const notes = catalogue.messages.flatMap((m) => (m.note ? [m.note] : []));
    expect(notes).toContain('the SDK read its configuration before the env file was loaded (clerk/javascript #623)');
    for (const text of [...notes, ...[...causes.values()].flatMap((c) => [c.title, c.fix])]) expect(unbalanced(text), text).toBeUndefined();
  });

  it('branch titles say what the branch holds: the server branch also answers 401s (a process holding an old key)', () => {
    const { tree } = loadDiagnostics();
    expect(tree.branches.server).toBe('settings the running server process holds');
    // A refused fresh token (401) reaches server.restart too, before auth.cause, whose rules read
    // the process's start: the branch is not only about 500s.
    expect(tree.byId.get('target.fresh-token')!.next.rejected).toContain('server.restart');
    expect(tree.byId.get('auth.cause')!.afterIfRun).toContain('server.restart');
    expect(tree.branches.server).not.toMatch(/500/);
  });
});
