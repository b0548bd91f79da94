/**
 * Byte-level JSONL line splitting with constant memory: split on LF in the raw buffers (a UTF-8
 * multi-byte sequence never contains 0x0A, so no character is cut), decode each line once, strip
 * one trailing CR, strip a UTF-8 BOM only at byte 0 of the file (even when it arrives split). A line longer than `maxLineBytes`
 * is reported by length and skipped, so one runaway line cannot grow memory without bound.
 *
 * Measured (bench/audit-validate.bench.mjs): this is faster than node:readline, which decodes to
 * strings first and pays an async iteration per line.
 */
import { createReadStream } from 'node:fs';

export interface LineEvent {
  /** The line without LF/CR (and without the BOM on line 1). */
  text: string;
  /** 1-based, counted from the splitter's start (the file's first line when it starts at byte 0). */
  lineNo: number;
  /** Byte offset of the line's first byte (after a stripped BOM) from the start of the file. */
  offset: number;
  /** False only for the final line of a file that does not end with a newline. */
  terminated: boolean;
}

export interface LineSplitterOptions {
  /** Absolute byte offset of the first byte pushed (0 = start of file: a BOM there is stripped). */
  startOffset?: number;
  /** Lines longer than this go to `onOverlong` instead of `onLine`. Default 16 MiB. */
  maxLineBytes?: number;
  onOverlong?: (lineNo: number, offset: number, bytes: number) => void;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private pieces: Buffer[] = [];
  private head: Buffer | undefined; // first bytes of the file while they could still be a BOM
  private pendingBytes = 0;
  private skipping = false; // inside an overlong line: drop bytes until the next LF
  private atFileStart: boolean;
  private lineNo = 0;
  private lineStart: number; // absolute offset of the line being assembled
  private position: number; // absolute offset of the next byte pushed
  private readonly maxLineBytes: number;

  constructor(
    private readonly onLine: (line: LineEvent) => void,
    private readonly options: LineSplitterOptions = {},
  ) {
    this.position = this.lineStart = options.startOffset ?? 0;
    this.atFileStart = this.position === 0;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Bytes of an incomplete last line held back until its newline arrives. */
  get pending(): number {
    return this.pendingBytes + (this.head?.length ?? 0);
  }

  /** Feed the next bytes; complete lines are emitted synchronously. */
  push(input: Buffer): void {
    let chunk = input;
    let start = 0;
    if (this.atFileStart) {
      // A BOM is stripped only at byte 0 of the file. A first read may be shorter than the BOM (a
      // writer caught mid-write): hold bytes that could still be one until there are three.
      if (this.head) {
        chunk = Buffer.concat([this.head, input]);
        this.position -= this.head.length;
        this.head = undefined;
      }
      if (chunk.length < 3 && BOM.subarray(0, chunk.length).equals(chunk)) {
        this.head = Buffer.from(chunk);
        this.position += chunk.length;
        return;
      }
      this.atFileStart = false;
      if (chunk[0] === BOM[0] && chunk[1] === BOM[1] && chunk[2] === BOM[2]) start = 3;
      this.lineStart += start;
    }
    const base = this.position;
    this.position += chunk.length;
    let nl: number;
    while ((nl = chunk.indexOf(LF, start)) !== -1) {
      this.finishLine(chunk, start, nl, true);
      start = nl + 1;
      this.lineStart = base + start;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** End of input: an unterminated last line is emitted as a line (validated like the others). */
  end(): void {
    if (this.head) {
      // The input ended inside what could have been a BOM: it was not one, it is content.
      const head = this.head;
      this.head = undefined;
      this.atFileStart = false;
      this.position -= head.length;
      this.push(head);
    }
    if (this.pendingBytes > 0 || this.skipping) this.finishLine(Buffer.alloc(0), 0, 0, false);
  }

  private keep(rest: Buffer): void {
    if (this.skipping) {
      this.pendingBytes += rest.length;
      return;
    }
    if (this.pendingBytes + rest.length > this.maxLineBytes) {
      this.skipping = true;
      this.pieces = [];
      this.pendingBytes += rest.length;
      return;
    }
    this.pieces.push(rest);
    this.pendingBytes += rest.length;
  }

  private finishLine(chunk: Buffer, from: number, to: number, terminated: boolean): void {
    this.lineNo++;
    const lineNo = this.lineNo;
    if (this.skipping || this.pendingBytes + (to - from) > this.maxLineBytes) {
      const bytes = this.pendingBytes + (to - from);
      this.reset();
      this.options.onOverlong?.(lineNo, this.lineStart, bytes);
      return;
    }
    let buf = chunk;
    let end = to;
    let begin = from;
    if (this.pendingBytes > 0) {
      this.pieces.push(chunk.subarray(from, to));
      buf = Buffer.concat(this.pieces, this.pendingBytes + (to - from));
      begin = 0;
      end = buf.length;
      this.reset();
    }
    if (end > begin && buf[end - 1] === CR) end--;
    this.onLine({ text: buf.toString('utf8', begin, end), lineNo, offset: this.lineStart, terminated });
  }

  private reset(): void {
    this.pieces = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }
}

/** Stream `file` line by line (constant memory apart from the longest line). */
export async function forEachLine(
  file: string,
  onLine: (line: LineEvent) => void,
  options: LineSplitterOptions & { highWaterMark?: number } = {},
): Promise<{ lines: number; bytes: number }> {
  let lines = 0;
  const splitter = new LineSplitter((line) => {
    lines++;
    onLine(line);
  }, { ...options, onOverlong: (n, o, b) => { lines++; options.onOverlong?.(n, o, b); } });
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: options.highWaterMark ?? 1 << 20 })) {
    bytes += (chunk as Buffer).length;
    splitter.push(chunk as Buffer);
  }
  splitter.end();
  return { lines, bytes };
}
