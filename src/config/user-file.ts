/**
 * Reading a file the user names (an env file, a suite, a body fixture): the one place that says
 * what it is when it is not a readable text file. Only regular files are read (a directory, a FIFO,
 * /dev/zero or a socket is refused before any byte is read, so nothing blocks or grows without
 * bound); reads stop at a size cap; a dangling symlink is named as one; UTF-16 (what PowerShell's
 * `>` writes) is refused with the fix instead of being read as garbage. A UTF-8 BOM is stripped.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { HarnessError, type HarnessErrorCode } from '../errors.js';

export type UserFileProblem = 'missing' | 'dangling-symlink' | 'not-a-file' | 'too-large' | 'unreadable' | 'encoding';

/** A user-named file that cannot be used; `problem` says why, the message says it in words. */
export class UserFileError extends HarnessError {
  constructor(code: HarnessErrorCode, readonly problem: UserFileProblem, message: string, hint?: string, cause?: unknown) {
    super(code, message, { hint, cause });
  }
}

export interface ReadUserFileOptions {
  /** How the message names the file: "env file .env.local", "suite file suites/x.yaml". */
  what: string;
  /** Error code of the failures (default ENV_FILE). */
  code?: HarnessErrorCode;
  /** Default 4 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_USER_FILE_BYTES = 4 * 1024 * 1024;

/** "a directory", "a FIFO (named pipe)"... for a stat that is not a regular file. */
export function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Whether `file` exists at all: a dangling symlink counts (it is a mistake worth naming). */
export function userFileExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Check that `file` can be read as a regular file of at most maxBytes, without reading it.
 * Throws UserFileError naming the problem.
 */
export function checkUserFile(file: string, options: ReadUserFileOptions): Stats {
  const code = options.code ?? 'ENV_FILE';
  const max = options.maxBytes ?? DEFAULT_MAX_USER_FILE_BYTES;
  let info: Stats;
  try {
    info = statSync(file);
  } catch (cause) {
    const errno = (cause as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') {
      let link: string | undefined;
      try {
        if (lstatSync(file).isSymbolicLink()) link = readlinkSync(file);
      } catch {
        // not there at all
      }
      if (link !== undefined) {
        throw new UserFileError(code, 'dangling-symlink', `${options.what} is a symlink to ${link}, which does not exist`, 'point the link at the real file, or remove it', cause);
      }
      throw new UserFileError(code, 'missing', `${options.what} does not exist`, undefined, cause);
    }
    throw new UserFileError(code, 'unreadable', `${options.what} cannot be read (${errno ?? (cause as Error).message})`, undefined, cause);
  }
  if (!info.isFile()) {
    throw new UserFileError(code, 'not-a-file', `${options.what} is ${kindOf(info)}, not a regular file; refused`, 'pass the path of a regular file');
  }
  if (info.size > max) {
    throw new UserFileError(code, 'too-large', `${options.what} is ${info.size} bytes, over the ${max}-byte limit; refused`, 'is that the right file?');
  }
  return info;
}

/** Decode bytes read from a user file: UTF-8 (BOM stripped); UTF-16 is refused with the fix. */
export function decodeUserText(bytes: Buffer, options: ReadUserFileOptions): string {
  const code = options.code ?? 'ENV_FILE';
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  // Without a BOM, UTF-16 text of ASCII characters has a NUL in every other byte.
  const nulls = utf16 ? 0 : bytes.subarray(0, 512).filter((b) => b === 0).length;
  if (utf16 || nulls > 0) {
    throw new UserFileError(code, 'encoding', `${options.what} is ${utf16 ? 'UTF-16 encoded' : 'binary or UTF-16 without a BOM (it holds NUL bytes)'}; it must be UTF-8 text`, utf16 ? 'save it as UTF-8 (PowerShell: Set-Content -Encoding utf8, or Out-File -Encoding utf8; `>` writes UTF-16)' : 'save it as UTF-8 text');
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.toString('utf8', start);
}

/**
 * Read a user-named file as UTF-8 text, refusing anything that is not a regular file of at most
 * maxBytes. The file is opened non-blocking and checked again on the open descriptor, so a FIFO
 * swapped in after the check cannot block the read.
 */
export function readUserFileSync(file: string, options: ReadUserFileOptions): string {
  const code = options.code ?? 'ENV_FILE';
  const max = options.maxBytes ?? DEFAULT_MAX_USER_FILE_BYTES;
  checkUserFile(file, options);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (cause) {
    throw new UserFileError(code, 'unreadable', `${options.what} cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, undefined, cause);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UserFileError(code, 'not-a-file', `${options.what} is ${kindOf(info)}, not a regular file; refused`, 'pass the path of a regular file');
    const buf = Buffer.alloc(Math.min(max, info.size) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > max) throw new UserFileError(code, 'too-large', `${options.what} is over the ${max}-byte limit; refused`, 'is that the right file?');
      if (length === buf.length) break; // grew while reading: the cap check above decides next time
    }
    return decodeUserText(buf.subarray(0, length), options);
  } catch (cause) {
    if (cause instanceof UserFileError) throw cause;
    throw new UserFileError(code, 'unreadable', `${options.what} cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, undefined, cause);
  } finally {
    closeSync(fd);
  }
}
