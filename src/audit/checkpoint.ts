/**
 * Per-request audit capture: note where each candidate audit file ends before a request
 * (`auditCheckpoint`), then read exactly the bytes appended since (`readAppended`), polling for a
 * bounded time because targets often write the line after sending the response.
 */
import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.js';
import { LineSplitter } from './lines.js';
import { candidateAuditPaths } from './location.js';
import type { AppendedLine, AuditLocation } from './types.js';

export interface AuditCheckpoint {
  readonly location: AuditLocation;
  /** The (injected) clock reading the candidates were chosen by. */
  readonly takenAt: Date;
  /** Each candidate file and its size at the checkpoint (0 when it did not exist yet). */
  readonly files: ReadonlyArray<{ readonly path: string; readonly offset: number; readonly existed: boolean; readonly ino?: number }>;
}

export interface ReadAppendedOptions {
  /** Longest time to wait for lines to land. Default 1000 ms. */
  waitMs?: number;
  /** Interval between looks at the files. Default 25 ms. */
  pollMs?: number;
  /**
   * Return as soon as this many complete lines were appended. Omitted: wait the whole `waitMs`
   * (proving that nothing was written needs the whole wait). 0: look once, do not wait.
   */
  minEntries?: number;
  /**
   * After `minEntries` is reached, look once more after this long, to catch an extra entry an
   * asynchronous logger writes a moment later (a double write). Default 0.
   */
  settleMs?: number;
  /**
   * Never return before this long (a batch that includes rejected requests still needs its quiet
   * period to prove they wrote no success entry, even when the accepted ones' lines came early).
   */
  minWaitMs?: number;
}

export interface AppendedAudit {
  /** Non-blank lines appended since the checkpoint, older day's file first, in file order. */
  lines: AppendedLine[];
  /** Byte range consumed from each candidate file; `restarted` when it shrank (rotated/truncated). */
  files: Array<{ path: string; from: number; to: number; restarted: boolean }>;
  /** True when `minEntries` was reached before the wait ran out. */
  satisfied: boolean;
  waitedMs: number;
}

async function look(path: string): Promise<{ size: number; ino: number } | undefined> {
  try {
    const s = await stat(path);
    return { size: s.size, ino: s.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(path, err);
  }
}

function unreadable(path: string, err: unknown): HarnessError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new HarnessError('FIXTURE_MISSING', `audit file ${path} cannot be read (${code})`, {
    hint: 'the harness needs read access to the target\'s audit log; check the suite\'s audit path and the file permissions',
    cause: err,
  });
}

/** Where the audit files end now. `now` is injectable (tests drive date rollovers with it). */
export async function auditCheckpoint(location: AuditLocation, options: { now?: Date | (() => Date) } = {}): Promise<AuditCheckpoint> {
  const takenAt = typeof options.now === 'function' ? options.now() : options.now ?? new Date();
  const files = await Promise.all(
    candidateAuditPaths(location, takenAt).map(async (path) => {
      const now = await look(path);
      return now ? { path, offset: now.size, existed: true, ino: now.ino } : { path, offset: 0, existed: false };
    }),
  );
  return { location, takenAt, files };
}

/** One candidate file being followed from its checkpoint offset. */
class FileFollower {
  readonly lines: AppendedLine[] = [];
  position: number;
  restarted = false;
  private splitter: LineSplitter;

  constructor(readonly path: string, readonly from: number, private ino: number | undefined) {
    this.position = from;
    this.splitter = this.makeSplitter(from);
  }

  private makeSplitter(startOffset: number): LineSplitter {
    return new LineSplitter(({ text, offset, terminated }) => {
      if (text.length === 0) return;
      const line: AppendedLine = { file: this.path, offset, text };
      try {
        line.value = JSON.parse(text);
      } catch (err) {
        line.parseError = (err as Error).message;
      }
      if (!terminated) line.unterminated = true;
      this.lines.push(line);
    }, { startOffset });
  }

  /** Read whatever was appended since the last look. */
  async poll(): Promise<void> {
    const now = await look(this.path);
    if (now === undefined) return;
    const { size } = now;
    const replaced = this.ino !== undefined && now.ino !== this.ino;
    this.ino = now.ino;
    if (size === this.position && !replaced) return;
    if (size < this.position || replaced) {
      // Rotated (a new file under the name) or truncated: what is there now was written since the checkpoint.
      this.restarted = true;
      this.position = 0;
      this.splitter = this.makeSplitter(0);
      if (size === 0) return;
    }
    const handle = await open(this.path, 'r').catch((err: unknown) => {
      throw unreadable(this.path, err);
    });
    try {
      const buffer = Buffer.alloc(Math.min(size - this.position, 1 << 20));
      while (this.position < size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - this.position), this.position);
        if (bytesRead === 0) break;
        this.position += bytesRead;
        // The splitter may keep a reference to an unterminated tail: hand it a copy.
        this.splitter.push(Buffer.from(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await handle.close();
    }
  }

  /** End of what was consumed (an unterminated tail still held back is not). */
  get consumed(): number {
    return this.position - this.splitter.pending;
  }

  /** The wait is over: an unterminated last line is taken as it is. */
  finish(): void {
    this.splitter.end();
  }
}

/**
 * Read exactly the bytes appended to the checkpoint's files since it was taken. A last line
 * without newline is held back while waiting (the writer may be mid-line) and taken as it is,
 * flagged `unterminated`, when the wait ends.
 */
export async function readAppended(checkpoint: AuditCheckpoint, options: ReadAppendedOptions = {}): Promise<AppendedAudit> {
  const waitMs = options.waitMs ?? 1000;
  const pollMs = Math.max(1, options.pollMs ?? 25);
  const followers = checkpoint.files.map((f) => new FileFollower(f.path, f.offset, f.ino));
  const started = performance.now();
  const count = () => followers.reduce((n, f) => n + f.lines.length, 0);
  let satisfied = false;
  for (;;) {
    for (const f of followers) await f.poll();
    if (options.minEntries !== undefined && count() >= options.minEntries && performance.now() - started >= (options.minWaitMs ?? 0)) {
      satisfied = true;
      if (options.settleMs) {
        await sleep(options.settleMs);
        for (const f of followers) await f.poll();
      }
      break;
    }
    const left = Math.max(waitMs, options.minWaitMs ?? 0) - (performance.now() - started);
    if (left <= 0) break;
    await sleep(Math.min(pollMs, left));
  }
  if (!satisfied) for (const f of followers) f.finish();
  return {
    lines: followers.flatMap((f) => f.lines),
    files: followers.map((f) => ({ path: f.path, from: f.from, to: f.consumed, restarted: f.restarted })),
    satisfied,
    waitedMs: Math.round(performance.now() - started),
  };
}
