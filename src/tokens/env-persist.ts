/**
 * Set variables in an env file without disturbing anything else: every other line, comment, blank
 * line, `export` prefix, quote style and line ending (CRLF stays CRLF) is kept byte for byte. The
 * file is replaced atomically (temp file in the same directory + rename) with its mode preserved,
 * so a crash never leaves a half-written .env.local. Assignments are found with dotenv's own rule,
 * so only the named variables' values change; a file that cannot be edited safely (dangling
 * symlink, not a regular file, read-only, someone else's) is refused. Writers hold a lock file.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, lstat, open, readFile, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_ENV_FILE_BYTES } from '../config/env-files.js';
import { kindOf } from '../config/user-file.js';
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

/**
 * dotenv's own line rule (lib/main.js LINE), with the separator captured too and match indices:
 * an assignment's value ends where dotenv's ends, so a quoted value spanning lines, one left
 * unterminated, a `KEY: value` line or a line inside another variable's multi-line value are
 * read exactly as the backend's dotenv reads them.
 */
const DOTENV_LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/**
 * Replace the value of every assignment of each variable in place (all of them, so no stale
 * duplicate remains), or append it. Only the value's characters change: the key, separator,
 * spacing, comment, line ending and every other byte stay. Pure; exported for tests.
 */
export function updateEnvText(text: string, vars: Record<string, string>): { text: string; actions: Record<string, PersistAction> } {
  const actions: Record<string, PersistAction> = {};
  const edits: Array<{ from: number; to: number; value: string }> = [];
  for (const m of text.matchAll(DOTENV_LINE)) {
    const name = m[1];
    if (!Object.hasOwn(vars, name)) continue;
    const indices = (m as RegExpMatchArray & { indices: Array<[number, number] | undefined> }).indices;
    const sepEnd = indices[2]![1];
    const [from, to] = indices[3] ?? [sepEnd, sepEnd];
    const raw = text.slice(from, to);
    const lead = /^\s*/.exec(raw)![0];
    const core = raw.slice(lead.length);
    const q = core[0];
    const quoted = (q === '"' || q === "'" || q === '`') && core.length > 1 && core.endsWith(q);
    // An unquoted value keeps the spaces before its comment; a quoted one ends at its quote.
    const trail = quoted ? '' : /\s*$/.exec(core)![0];
    const style: Quote = quoted ? (q as Quote) : '';
    edits.push({ from: from + lead.length, to: to - trail.length, value: formatEnvValue(vars[name], style) });
    actions[name] = 'replaced';
  }
  let result = '';
  let at = 0;
  for (const e of edits) {
    result += text.slice(at, e.from) + e.value;
    at = e.to;
  }
  result += text.slice(at);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  for (const [name, value] of Object.entries(vars)) {
    if (actions[name]) continue;
    if (result !== '' && !/[\r\n]$/.test(result)) result += eol;
    result += `${name}=${formatEnvValue(value)}${eol}`;
    actions[name] = 'appended';
  }
  return { text: result, actions };
}

/** How long a writer waits for another's lock before giving up, and when a lock counts as stale. */
const LOCK_WAIT_MS = 5000;
const LOCK_STALE_MS = 15_000;

/**
 * Hold `${target}.lock` (created exclusively) while `fn` runs: `mint --persist` and a running
 * emulator rewriting the PEM after `emulator rotate` read-modify-write one file; under the lock
 * neither loses the other's change. A lock older than LOCK_STALE_MS (a crashed writer) is taken over.
 */
async function withFileLock<T>(target: string, file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${target}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      break;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new HarnessError('ENV_FILE', `cannot lock ${file} for writing (${code ?? (cause as Error).message})`, { hint: 'check that its directory is writable', cause });
      const age = await stat(lock).then((i) => Date.now() - i.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new HarnessError('ENV_FILE', `${file} is being written by another clerk-harness process (lock ${lock})`, { hint: `try again; if no other process runs, remove ${lock}` });
      await sleep(25 + Math.random() * 25);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/**
 * Where to write `file` and whether it can be edited safely: a symlink is followed (the link stays),
 * a dangling one is refused, as is anything but a regular file, a file the user cannot write (a
 * rename would silently replace a read-only file) or one owned by someone else (it would change owner).
 */
async function editableTarget(file: string): Promise<{ target: string; exists: boolean; mode: number }> {
  const abs = path.resolve(file);
  let target: string;
  try {
    target = await realpath(abs);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new HarnessError('ENV_FILE', `cannot read ${file}: ${(cause as Error).message}`, { cause });
    const link = await lstat(abs).then((i) => (i.isSymbolicLink() ? readlink(abs) : undefined), () => undefined);
    if (link !== undefined) throw new HarnessError('ENV_FILE', `${file} is a symlink to ${link}, which does not exist; refused`, { hint: 'point the link at the real env file, or remove the link' });
    return { target: abs, exists: false, mode: 0o600 };
  }
  const info = await stat(target);
  if (!info.isFile()) throw new HarnessError('ENV_FILE', `${file} is ${kindOf(info)}, not a regular file; refused`, { hint: 'name an env file, e.g. .env.local' });
  if (info.size > MAX_ENV_FILE_BYTES) throw new HarnessError('ENV_FILE', `${file} is ${info.size} bytes, over the ${MAX_ENV_FILE_BYTES}-byte limit for an env file; refused`);
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && info.uid !== uid) {
    throw new HarnessError('ENV_FILE', `${file} belongs to another user (uid ${info.uid}); refused, rewriting it would make it yours`, { hint: 'run as its owner, or copy it to a file of your own' });
  }
  try {
    await access(target, fsConstants.W_OK);
  } catch {
    throw new HarnessError('ENV_FILE', `${file} is read-only; refused`, { hint: `make it writable first (chmod u+w ${file}) if it really should change` });
  }
  return { target, exists: true, mode: info.mode & 0o7777 };
}

/** Throws the ENV_FILE error persistEnvVars would, before anything is minted or written. */
export async function checkPersistTarget(file: string): Promise<void> {
  await editableTarget(file);
}

/**
 * Set several variables in `file` atomically; creates the file (mode 0600) when missing. The file
 * is edited as bytes (latin1 in, latin1 out), so non-UTF-8 bytes elsewhere survive unchanged.
 */
export async function persistEnvVars(file: string, vars: Record<string, string>): Promise<PersistResult> {
  const { target, exists } = await editableTarget(file);
  return withFileLock(target, file, async () => {
    // Re-read under the lock: another writer may have changed it since.
    const again = exists ? await editableTarget(file) : { target, exists: false, mode: 0o600 };
    let text = '';
    if (again.exists) {
      try {
        text = (await readFile(target)).toString('latin1');
      } catch (cause) {
        throw new HarnessError('ENV_FILE', `cannot read ${file}: ${(cause as Error).message}`, { cause });
      }
    }
    const bytes = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('latin1')]));
    const { text: next, actions } = updateEnvText(text, bytes);
    const mode = again.mode;
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(tmp, 'wx', mode);
      try {
        await handle.writeFile(Buffer.from(next, 'latin1'));
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
    return { file: target, created: !again.exists, actions };
  });
}

export function persistEnvVar(file: string, name: string, value: string): Promise<PersistResult> {
  return persistEnvVars(file, { [name]: value });
}
