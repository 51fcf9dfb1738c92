import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeRawBytes, encodeRawBytes, hasRawBytes } from '../../../shared/text/raw-bytes.js';
import { seededRandom } from '../../helpers/seeded-random.js';

/** The code points of a string, as hex: what Python's `bytes.decode('utf-8', 'surrogateescape')` gives. */
function codePoints(text: string): string {
  return [...text].map((ch) => (ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')).join(' ');
}

/**
 * `count` byte strings of up to 11 pieces from a fixed seed (the same every run): mostly high bytes,
 * and BOMs (EF BB BF) anywhere.
 */
function byteStrings(seed: number, count: number): Buffer[] {
  const { next } = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Buffer.from(
      Array.from({ length: next() % 12 }, () => {
        const r = next();
        if (r % 7 === 0) return [0xef, 0xbb, 0xbf];
        return [r % 3 === 0 ? 0x80 + (r % 0x80) : r % 0x100];
      }).flat(),
    ),
  );
}

describe('raw bytes in strings (PEP 383 surrogateescape)', () => {
  // Expected values printed by CPython 3.11: bytes.decode('utf-8', 'surrogateescape').
  it.each([
    ['plain ASCII', [0x70, 0x6c, 0x61, 0x69, 0x6e], '0070 006C 0061 0069 006E'],
    ['UTF-8 é', [0x63, 0x61, 0x66, 0xc3, 0xa9], '0063 0061 0066 00E9'],
    ['Latin-1 é', [0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74], '0063 0061 0066 DCE9 002E 0074'],
    ['bytes that never start UTF-8', [0xff, 0xfe], 'DCFF DCFE'],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 'DCED DCA0 DC80'],
    ['a sequence cut short at the end', [0xe2, 0x82], 'DCE2 DC82'],
    ['a sequence cut short by ASCII', [0xe2, 0x82, 0x78], 'DCE2 DC82 0078'],
    ['a whole three-byte sequence', [0xe2, 0x82, 0xac], '20AC'],
    ['an overlong two-byte /', [0xc0, 0xaf], 'DCC0 DCAF'],
    ['an overlong three-byte /', [0xe0, 0x80, 0xaf], 'DCE0 DC80 DCAF'],
    ['a four-byte sequence', [0xf0, 0x9f, 0x98, 0x80], '1F600'],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 'DCF4 DC90 DC80 DC80'],
    ['an overlong four-byte form', [0xf0, 0x8f, 0xbf, 0xbf], 'DCF0 DC8F DCBF DCBF'],
    ['a lone continuation byte', [0x61, 0x80, 0x62], '0061 DC80 0062'],
    ['a four-byte sequence cut short', [0xf0, 0x9f, 0x98], 'DCF0 DC9F DC98'],
    ['a BOM first, kept as a character', [0xef, 0xbb, 0xbf, 0x41], 'FEFF 0041'],
    ['a BOM after a raw byte', [0xe9, 0xef, 0xbb, 0xbf], 'DCE9 FEFF'],
    ['a BOM before a raw byte', [0xef, 0xbb, 0xbf, 0xe9], 'FEFF DCE9'],
  ])('%s', (_name, bytes, expected) => {
    const decoded = decodeRawBytes(Uint8Array.from(bytes));
    expect(codePoints(decoded)).toBe(expected);
    expect([...encodeRawBytes(decoded)]).toEqual(bytes);
  });

  it('tells escaped bytes from astral characters, whose low surrogate is in the same range', () => {
    expect(hasRawBytes('caf\uDCE9')).toBe(true);
    expect(hasRawBytes('\u{10080}')).toBe(false); // D800 DC80: a pair, not an escape
    expect([...encodeRawBytes('\u{10080}\uDCE9')]).toEqual([0xf0, 0x90, 0x82, 0x80, 0xe9]);
  });

  it('gives back the very bytes for any bytes, BOMs included, and what TextDecoder gives for UTF-8', () => {
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    for (const bytes of byteStrings(0x2545f491, 3000)) {
      const decoded = decodeRawBytes(bytes);
      expect(Buffer.compare(encodeRawBytes(decoded), bytes)).toBe(0);
      let valid: string | undefined;
      try {
        valid = utf8.decode(bytes);
      } catch {
        valid = undefined;
      }
      expect(hasRawBytes(decoded)).toBe(valid === undefined);
      if (valid !== undefined) expect(decoded).toBe(valid);
    }
  });

  // The reference itself: CPython's codec, on 2,000 other byte strings.
  it('decodes as CPython does with surrogateescape, byte string by byte string', () => {
    const inputs = byteStrings(0x1badb002, 2000);
    const script =
      'import sys\n' +
      'for line in sys.stdin.read().split():\n' +
      "    text = bytes.fromhex(line[1:]).decode('utf-8', 'surrogateescape')\n" +
      "    print(' '.join('%x' % ord(ch) for ch in text))\n";
    const output = execFileSync('python3', ['-c', script], {
      input: inputs.map((bytes) => `x${bytes.toString('hex')}`).join('\n'),
      encoding: 'utf8',
    });
    const expected = output.split('\n').slice(0, inputs.length);
    const ours = inputs.map((bytes) =>
      [...decodeRawBytes(bytes)].map((ch) => (ch.codePointAt(0) as number).toString(16)).join(' '),
    );
    expect(ours).toEqual(expected);
  });
});
