/**
 * Set variables in an env file without disturbing anything else: every other line, comment, blank
 * line, `export` prefix, quote style and line ending (CRLF stays CRLF) is kept byte for byte. The
 * file is replaced atomically (temp file in the same directory + rename) with its mode preserved,
 * so a crash never leaves a half-written .env.local.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../errors.js';

export type PersistAction = 'replaced' | 'appended';

export interface PersistResult {
  file: string;
  created: boolean;
  actions: Record<string, PersistAction>;
}

type Quote = '"' | "'" | '`' | '';

/**
 * Serialise `value` in the requested quote style, switching style only when the value cannot be
 * written in it. dotenv expands only \n and \r inside double quotes (no other escapes), so a
 * multi-line value (a PEM key) travels as one double-quoted line and a value with `"` in it is
 * single-quoted.
 */
export function formatEnvValue(value: string, style?: Quote): string {
  const multiLine = /[\r\n]/.test(value);
  const bareSafe = /^[^\s#'"`\\]*$/.test(value);
  let quote: Quote = style ?? (bareSafe ? '' : '"');
  if (quote === '' && !bareSafe) quote = '"';
  if (multiLine) quote = '"';
  else if (quote !== '' && value.includes(quote)) quote = ([`'`, '`', '"'].find((q) => !value.includes(q)) as Quote | undefined) ?? '"';
  if (quote !== '"') return `${quote}${value}${quote}`;
  return `"${value.replace(/\r?\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

interface Line {
  content: string;
  eol: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|\r)?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m[0] !== '') {
    lines.push({ content: m[1], eol: m[2] ?? '' });
  }
  return lines;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)(.*)$/;

/** Index of the closing quote in `s` (opening quote at 0), skipping backslash escapes in "..."; -1 if none. */
function closingQuote(s: string, quote: string, from = 1): number {
  for (let i = from; i < s.length; i++) {
    if (quote === '"' && s[i] === '\\') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}

/**
 * Replace every assignment of each variable in place (all of them, so no stale duplicate remains),
 * or append it. Pure; exported for tests.
 */
export function updateEnvText(text: string, vars: Record<string, string>): { text: string; actions: Record<string, PersistAction> } {
  const lines = splitLines(text);
  const out: string[] = [];
  const actions: Record<string, PersistAction> = {};
  for (let i = 0; i < lines.length; i++) {
    const m = ASSIGNMENT.exec(lines[i].content);
    if (!m || !(m[2] in vars)) {
      out.push(lines[i].content + lines[i].eol);
      continue;
    }
    const [, prefix, name, eq, rest] = m;
    const q = rest[0];
    let trailing = '';
    let eol = lines[i].eol;
    let style: Quote = '';
    if (q === '"' || q === "'" || q === '`') {
      style = q;
      let close = closingQuote(rest, q);
      let tail = rest;
      // A quoted value may span lines (multi-line PEM): consume up to the closing quote.
      while (close === -1 && i + 1 < lines.length && eol !== '') {
        i++;
        tail = lines[i].content;
        eol = lines[i].eol;
        close = closingQuote(tail, q, 0);
      }
      trailing = close === -1 ? '' : tail.slice(close + 1);
    } else {
      trailing = /\s+#.*$/.exec(rest)?.[0] ?? '';
    }
    out.push(`${prefix}${name}${eq}${formatEnvValue(vars[name], style)}${trailing}${eol}`);
    actions[name] = 'replaced';
  }
  let result = out.join('');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  for (const [name, value] of Object.entries(vars)) {
    if (actions[name]) continue;
    if (result !== '' && !/[\r\n]$/.test(result)) result += eol;
    result += `${name}=${formatEnvValue(value)}${eol}`;
    actions[name] = 'appended';
  }
  return { text: result, actions };
}

/** Set several variables in `file` atomically; creates the file (mode 0600) when missing. */
export async function persistEnvVars(file: string, vars: Record<string, string>): Promise<PersistResult> {
  let target = path.resolve(file);
  let text = '';
  let mode = 0o600;
  let created = true;
  try {
    target = await realpath(target); // write through a symlink, never replace the link itself
    text = await readFile(target, 'utf8');
    mode = (await stat(target)).mode & 0o7777;
    created = false;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HarnessError('ENV_FILE', `cannot read ${file}: ${(cause as Error).message}`, { cause });
    }
  }
  const { text: next, actions } = updateEnvText(text, vars);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(next, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, mode); // open()'s mode is filtered by the umask; restore the original exactly
    await rename(tmp, target);
  } catch (cause) {
    await unlink(tmp).catch(() => undefined);
    throw new HarnessError('ENV_FILE', `cannot write ${file}: ${(cause as Error).message}`, {
      hint: 'check that the directory exists and is writable',
      cause,
    });
  }
  return { file: target, created, actions };
}

export function persistEnvVar(file: string, name: string, value: string): Promise<PersistResult> {
  return persistEnvVars(file, { [name]: value });
}
