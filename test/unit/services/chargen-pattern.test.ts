import { describe, expect, it } from 'vitest';
import {
  chargenBlock,
  chargenLine,
  datagramLength,
  LINE_BYTES,
  LINES_PER_CYCLE,
  MAX_DATAGRAM_BYTES,
  PRINTABLE,
} from '../../../services/chargen/pattern.js';

describe('chargen pattern (RFC 864)', () => {
  it('rings the 95 printable ASCII characters, space first', () => {
    expect(PRINTABLE).toHaveLength(95);
    expect(PRINTABLE[0]).toBe(' ');
    expect(PRINTABLE.at(-1)).toBe('~');
  });

  it.each([
    [0, ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg'],
    [1, '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh'],
    [2, '"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi'],
    // Line 23 is the last that does not wrap: characters 23 ('7') through 94 ('~').
    [23, '789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'],
    // "Think of the sequence as a ring so that character number 0 follows character number 94."
    [24, '89:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ '],
    [94, '~ !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdef'],
  ])('line %d', (n, text) => {
    expect(text).toHaveLength(72);
    expect(chargenLine(n)).toBe(`${text}\r\n`);
  });

  it('starts each line one character later', () => {
    for (let n = 0; n < 200; n += 1) {
      expect(chargenLine(n + 1).slice(0, 71)).toBe(chargenLine(n).slice(1, 72));
    }
  });

  it('comes back to line 0 after 95 lines', () => {
    expect(LINES_PER_CYCLE).toBe(95);
    expect(chargenLine(95)).toBe(chargenLine(0));
    expect(chargenLine(96)).toBe(chargenLine(1));
    expect(chargenLine(95 * 7 + 3)).toBe(chargenLine(3));
    const distinct = new Set(Array.from({ length: 95 }, (_, n) => chargenLine(n)));
    expect(distinct.size).toBe(95);
  });

  it('builds blocks of whole cycles that continue into themselves', () => {
    const block = chargenBlock(2);
    expect(block).toHaveLength(2 * LINES_PER_CYCLE * LINE_BYTES);
    const text = block.toString('ascii');
    for (let n = 0; n < 2 * LINES_PER_CYCLE; n += 1) {
      expect(text.slice(n * LINE_BYTES, (n + 1) * LINE_BYTES)).toBe(chargenLine(n));
    }
    // Written twice in a row, the block's last line is followed by line 0.
    expect(text.endsWith(chargenLine(94))).toBe(true);
    expect(text.startsWith(chargenLine(0))).toBe(true);
  });

  describe('UDP answer length', () => {
    it("covers 0 to 512 inclusive, as RFC 864 says (not xinetd's 1024)", () => {
      expect(MAX_DATAGRAM_BYTES).toBe(512);
      expect(datagramLength(() => 0)).toBe(0);
      expect(datagramLength((max) => max - 1)).toBe(512);
    });

    it('asks for a number below 513', () => {
      const asked: number[] = [];
      datagramLength((max) => {
        asked.push(max);
        return 0;
      });
      expect(asked).toEqual([513]);
    });

    it('never leaves the bound, even if the random source misbehaves', () => {
      expect(datagramLength(() => 10_000)).toBe(512);
      expect(datagramLength(() => -5)).toBe(0);
    });

    it('fits within one chargen block', () => {
      expect(chargenBlock(1).length).toBeGreaterThan(MAX_DATAGRAM_BYTES);
    });
  });
});
