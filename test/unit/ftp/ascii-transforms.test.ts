import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { FromNetworkAscii, ToNetworkAscii } from '../../../services/ftp/data/ascii-transforms.js';

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
