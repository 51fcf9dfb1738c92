import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { countAddedCrs, FromNetworkAscii, ToNetworkAscii } from '../../../services/ftp/data/ascii-transforms.js';

/** Runs `chunks` through a fresh transform and returns what comes out, as a string. */
async function through(make: () => NodeJS.ReadWriteStream, chunks: readonly string[]): Promise<string> {
  const source = Readable.from(chunks.map((chunk) => Buffer.from(chunk, 'latin1')));
  const out = await buffer(source.pipe(make()));
  return out.toString('latin1');
}

describe('ToNetworkAscii (LF -> CRLF, RFC 959 3.1.1.1)', () => {
  it.each([
    [['a\nb\n'], 'a\r\nb\r\n'],
    [['no newline'], 'no newline'],
    [['\n\n'], '\r\n\r\n'],
    [['already\r\nCRLF\r\n'], 'already\r\nCRLF\r\n'],
    [['mixed\r\nand\n'], 'mixed\r\nand\r\n'],
    [['lone\rCR\n'], 'lone\rCR\r\n'],
    [['a\r', '\nb'], 'a\r\nb'], // a CR at the end of one chunk, its LF at the start of the next
    [['a', '\nb'], 'a\r\nb'],
    [['a\r', 'x\n'], 'a\rx\r\n'],
    [['', 'a\n', ''], 'a\r\n'],
    [['\n'], '\r\n'],
    [[], ''],
  ])('%j -> %j', async (chunks, expected) => {
    expect(await through(() => new ToNetworkAscii(), chunks)).toBe(expected);
  });

  it('converts a large stream chunk by chunk', async () => {
    const line = 'x'.repeat(999) + '\n';
    const chunks = Array.from({ length: 200 }, () => line.repeat(10));
    const out = await through(() => new ToNetworkAscii(), chunks);
    expect(out).toBe(('x'.repeat(999) + '\r\n').repeat(2000));
  });
});

describe('FromNetworkAscii (CRLF -> LF)', () => {
  it.each([
    [['a\r\nb\r\n'], 'a\nb\n'],
    [['no newline'], 'no newline'],
    [['bare\nLF'], 'bare\nLF'],
    [['lone\rCR'], 'lone\rCR'],
    [['a\r', '\nb'], 'a\nb'], // CR at a chunk boundary
    [['a\r', 'b'], 'a\rb'],
    [['a\r', '\r\n'], 'a\r\n'],
    [['a\r'], 'a\r'], // a CR at the very end is data
    [['\r', '\n', '\r', '\n'], '\n\n'],
    [['\r\r\n'], '\r\n'],
    [['', '\r', '', '\n'], '\n'],
    [[], ''],
  ])('%j -> %j', async (chunks, expected) => {
    expect(await through(() => new FromNetworkAscii(), chunks)).toBe(expected);
  });

  it('undoes ToNetworkAscii for LF text split at every position', async () => {
    const text = 'one\ntwo\r\nthree\n\nfour';
    const wire = await through(() => new ToNetworkAscii(), [text]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const back = await through(() => new FromNetworkAscii(), [wire.slice(0, cut), wire.slice(cut)]);
      expect(back).toBe('one\ntwo\nthree\n\nfour');
    }
  });
});

describe('countAddedCrs (SIZE in TYPE A)', () => {
  it('counts exactly what ToNetworkAscii adds, however the file is cut into chunks', async () => {
    // Random bytes over a small alphabet dense in CR and LF, cut at random places: the count must
    // match the transform's output length, CRs at chunk ends included.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: random(40) }, () => 'a\r\n'[random(3)]).join('');
      const chunks: string[] = [];
      for (let at = 0; at < text.length;) {
        const size = 1 + random(5);
        chunks.push(text.slice(at, at + size));
        at += size;
      }
      let added = 0;
      let lastWasCr = false;
      for (const chunk of chunks) {
        const counted = countAddedCrs(Buffer.from(chunk, 'latin1'), lastWasCr);
        added += counted.added;
        lastWasCr = counted.lastWasCr;
      }
      expect(text.length + added, JSON.stringify(chunks)).toBe(
        (await through(() => new ToNetworkAscii(), chunks)).length,
      );
    }
  });
});
