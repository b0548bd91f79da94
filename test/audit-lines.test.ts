import { describe, expect, it } from 'vitest';
import { LineSplitter, type LineEvent } from '../src/audit/lines.js';

/** Feed `bytes` in chunks of `size` and collect what the splitter emits. */
function split(bytes: Buffer, size: number, options: ConstructorParameters<typeof LineSplitter>[1] = {}): LineEvent[] {
  const out: LineEvent[] = [];
  const s = new LineSplitter((l) => out.push(l), options);
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
  s.end();
  return out;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('LineSplitter', () => {
  it('splits on LF, strips one CR, keeps blank lines and emits an unterminated last line', () => {
    const bytes = Buffer.from('a\r\n\nb\r\r\nc');
    for (const size of [1, 2, 3, 64]) {
      const lines = split(bytes, size);
      expect(lines.map((l) => [l.lineNo, l.text, l.offset, l.terminated])).toEqual([
        [1, 'a', 0, true],
        [2, '', 3, true],
        [3, 'b\r', 4, true],
        [4, 'c', 8, false],
      ]);
    }
  });

  it('strips a BOM only at byte 0 of the file', () => {
    const bytes = Buffer.concat([BOM, Buffer.from('{"a":1}\n'), BOM, Buffer.from('{"b":2}\n')]);
    for (const size of [1, 2, 64]) {
      const lines = split(bytes, size);
      expect(lines[0]).toMatchObject({ text: '{"a":1}', offset: 3 });
      expect(lines[1]).toMatchObject({ text: '\ufeff{"b":2}', offset: 11 });
    }
    // a file that is only a BOM prefix: those bytes are content, not a BOM
    expect(split(Buffer.from([0xef, 0xbb]), 1).map((l) => l.text)).toEqual(['\ufffd']);
    expect(split(BOM, 1)).toEqual([]);
    // a splitter started mid-file (per-request reads) never strips
    expect(split(Buffer.concat([BOM, Buffer.from('x\n')]), 64, { startOffset: 10 })[0]).toMatchObject({ text: '\ufeffx', offset: 10 });
  });

  it('never cuts a multi-byte character at a chunk boundary', () => {
    const bytes = Buffer.from('{"n":"Zoë 日本 🎉"}\n{"n":"ü"}');
    for (const size of [1, 2, 5]) expect(split(bytes, size).map((l) => l.text)).toEqual(['{"n":"Zoë 日本 🎉"}', '{"n":"ü"}']);
  });

  it('reports an overlong line by size and carries on with the next one', () => {
    const overlong: Array<[number, number, number]> = [];
    const bytes = Buffer.from(`ok\n${'x'.repeat(40)}\nfine\n${'y'.repeat(30)}`);
    const lines = split(bytes, 7, { maxLineBytes: 16, onOverlong: (n, o, b) => overlong.push([n, o, b]) });
    expect(lines.map((l) => [l.lineNo, l.text])).toEqual([[1, 'ok'], [3, 'fine']]);
    expect(overlong).toEqual([[2, 3, 40], [4, 49, 30]]);
  });
});
