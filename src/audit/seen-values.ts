/**
 * The values of one `x-unique` field seen so far, in about 30 bytes per value instead of a Map of
 * strings (~100): each value is hashed to 64 bits and kept, with where it was first seen, in typed
 * arrays: an open-addressing table (load ≤ 0.75) of [value index, lower hash half] pairs (the lower
 * half picks the slot), so a probe reads one cache line and growing reads nothing but the table,
 * and fixed-size chunks of per-value records (upper hash half, line, byte offset), so nothing is
 * copied as it grows but the table. Two different values
 * with the same 64-bit hash are told apart exactly: on a hash match the first line is read back
 * from its file (`recheck`) and its value compared, so a reported duplicate is always a real one.
 * A match is rare (a real duplicate, or a collision: ~3·10⁻⁸ odds among a million values), and
 * the value read back is cached, so a value repeated many times is read back once.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface FirstSeen {
  fileIndex: number;
  lineNo: number;
}

/** Reads back the key of the value first seen at `offset` of file `fileIndex`; undefined if it cannot. */
export type Recheck = (fileIndex: number, offset: number) => string | undefined;

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

// the hash of the last key, in two module variables rather than an allocated pair per line
let H1 = 0;
let H2 = 0;

/** 64 bits of a string in two 32-bit halves (cyrb53's mixing, both halves kept; two UTF-16 units a round). */
function hash64(key: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const n = key.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const c = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  if (i < n) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  // the length, so that "a" + "\u0000" and "a" (one unit short of a round) differ
  h1 = Math.imul(h1 ^ n, 2654435761);
  h2 = Math.imul(h2 ^ n, 1597334677);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  H1 = h1 >>> 0;
  H2 = h2 >>> 0;
}

export class SeenValues {
  // slot s: table[2s] = value index + 1 (0 = empty), table[2s + 1] = lower hash half (its low bits are the slot)
  private table = new Uint32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private count = 0;
  // per value, in insertion order: upper hash half, line number, byte offset; file by `fileStarts`
  private readonly hi: Uint32Array[] = [];
  private readonly lines: Uint32Array[] = [];
  private readonly offsets: Float64Array[] = [];
  /** fileStarts[f] = index of the first value recorded from file f (files come in order). */
  private readonly fileStarts: number[] = [];
  /** Keys read back by a recheck, by value index: only values that matched a later one. */
  private readonly known = new Map<number, string | undefined>();

  /** `hash` replaces the 64-bit hash (tests force collisions with it). */
  constructor(
    private readonly recheck: Recheck,
    private readonly hash?: (key: string) => readonly [number, number],
  ) {}

  get size(): number {
    return this.count;
  }

  /** Where `key` was first seen; when it is new, it is recorded as seen at (fileIndex, lineNo, offset). */
  firstOrAdd(key: string, fileIndex: number, lineNo: number, offset: number): FirstSeen | undefined {
    if (this.hash) [H1, H2] = this.hash(key);
    else hash64(key);
    const h1 = H1 >>> 0;
    const h2 = H2 >>> 0;
    const table = this.table;
    let slot = h1 & this.mask;
    for (;;) {
      const entry = table[2 * slot]!;
      if (entry === 0) break;
      if (table[2 * slot + 1] === h1) {
        const i = entry - 1;
        if (this.hi[i >>> CHUNK_BITS]![i & CHUNK_MASK] === h2 && this.sameKey(i, key)) return this.where(i);
      }
      slot = (slot + 1) & this.mask;
    }
    this.add(slot, h1, h2, fileIndex, lineNo, offset);
    return undefined;
  }

  /** A 64-bit match: compare the keys themselves (a value that cannot be read back counts as equal). */
  private sameKey(i: number, key: string): boolean {
    if (!this.known.has(i)) {
      const c = i >>> CHUNK_BITS;
      this.known.set(i, this.recheck(this.fileOf(i), this.offsets[c]![i & CHUNK_MASK]!));
    }
    const first = this.known.get(i);
    return first === undefined || first === key;
  }

  private where(i: number): FirstSeen {
    return { fileIndex: this.fileOf(i), lineNo: this.lines[i >>> CHUNK_BITS]![i & CHUNK_MASK]! };
  }

  private fileOf(i: number): number {
    let f = this.fileStarts.length - 1;
    while (f > 0 && this.fileStarts[f]! > i) f--;
    return f;
  }

  private add(slot: number, h1: number, h2: number, fileIndex: number, lineNo: number, offset: number): void {
    const i = this.count++;
    while (this.fileStarts.length <= fileIndex) this.fileStarts.push(i);
    const c = i >>> CHUNK_BITS;
    if (c === this.hi.length) {
      this.hi.push(new Uint32Array(CHUNK));
      this.lines.push(new Uint32Array(CHUNK));
      this.offsets.push(new Float64Array(CHUNK));
    }
    const j = i & CHUNK_MASK;
    this.hi[c]![j] = h2;
    this.lines[c]![j] = lineNo;
    this.offsets[c]![j] = offset;
    this.table[2 * slot] = i + 1;
    this.table[2 * slot + 1] = h1;
    if (this.count * 4 > (this.mask + 1) * 3) this.grow();
  }

  private grow(): void {
    const old = this.table;
    const table = new Uint32Array(old.length * 2);
    const mask = (this.mask << 1) | 1;
    for (let s = 0; s < old.length; s += 2) {
      const entry = old[s]!;
      if (entry === 0) continue;
      const h1 = old[s + 1]!;
      let slot = h1 & mask;
      while (table[2 * slot] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = entry;
      table[2 * slot + 1] = h1;
    }
    this.table = table;
    this.mask = mask;
  }
}

/**
 * Reads one line back by its byte offset (the duplicate set's exact re-check). Audit files are
 * append-only, so an earlier line's bytes are still where they were; a file that cannot be read
 * back gives undefined.
 */
export class LineRereader {
  private readonly fds = new Map<number, number>();
  private buffer = Buffer.alloc(64 * 1024);

  constructor(private readonly paths: readonly string[]) {}

  /** The JSON value of the line starting at byte `offset` of file `fileIndex`, or undefined. */
  parse(fileIndex: number, offset: number): unknown {
    try {
      let fd = this.fds.get(fileIndex);
      if (fd === undefined) this.fds.set(fileIndex, (fd = openSync(this.paths[fileIndex]!, 'r')));
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const bigger = Buffer.alloc(this.buffer.length * 2);
          this.buffer.copy(bigger);
          this.buffer = bigger;
        }
        const n = readSync(fd, this.buffer, length, this.buffer.length - length, offset + length);
        const nl = this.buffer.indexOf(0x0a, length);
        length += n;
        if (nl !== -1 && nl < length) return JSON.parse(this.buffer.toString('utf8', 0, nl).replace(/\r$/, ''));
        if (n === 0) return JSON.parse(this.buffer.toString('utf8', 0, length).replace(/\r$/, ''));
      }
    } catch {
      return undefined;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
