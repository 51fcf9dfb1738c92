import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineReader, type LineResult } from '../../../shared/net/line-reader.js';

/** The next line, as a promise (the reader itself calls back, see LineReader.read). */
const next = (reader: LineReader): Promise<LineResult> => new Promise((resolve) => reader.read({ onLine: resolve }));

const text = (result: LineResult): string => (result.kind === 'line' ? result.line.toString() : `<${result.kind}>`);

describe('LineReader', () => {
  it('splits CRLF and bare LF lines and keeps partial lines across chunks', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 100);
    stream.write('US');
    stream.write('ER anonymous\r');
    stream.write('\nPASS x\nNO');
    stream.end('OP\r\n');
    expect(text(await next(reader))).toBe('USER anonymous');
    expect(text(await next(reader))).toBe('PASS x');
    expect(text(await next(reader))).toBe('NOOP');
    expect(text(await next(reader))).toBe('<end>');
  });

  it('reports an overlong line once and goes on with the next', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 8);
    stream.write('X'.repeat(5));
    stream.write('X'.repeat(20));
    stream.end('X\r\nNOOP\r\n');
    expect(text(await next(reader))).toBe('<overlong>');
    expect(text(await next(reader))).toBe('NOOP');
    expect(text(await next(reader))).toBe('<end>');
  });

  it('drops an unterminated last line at the end of the stream', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 100);
    stream.end('QUIT');
    expect(text(await next(reader))).toBe('<end>');
  });

  it('reads nothing until asked', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 100);
    stream.write('A\r\nB\r\n');
    expect(text(await next(reader))).toBe('A');
    // B stays in the reader's buffer: the next command is read only when asked for.
    expect(reader.pendingBytes).toBe(3);
  });

  it('lets a protocol accept a line whose LF was lost (ABOR sent as urgent data)', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 100, (partial) => partial.toString() === 'ABOR\r');
    stream.write('ABOR\r');
    expect(text(await next(reader))).toBe('ABOR');
    stream.end('NOOP\r\n');
    expect(text(await next(reader))).toBe('NOOP');
  });

  it('reads from a replacement stream after a TLS-style upgrade', async () => {
    const first = new PassThrough();
    const second = new PassThrough();
    const reader = new LineReader(first, 100);
    first.write('AUTH TLS\r\n');
    expect(text(await next(reader))).toBe('AUTH TLS');
    reader.replaceStream(second);
    second.end('USER x\r\n');
    expect(text(await next(reader))).toBe('USER x');
  });

  it('hands a complete line to its consumer at once, and a later one when it arrives', () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 100);
    const seen: string[] = [];
    const consumer = { onLine: (result: LineResult) => seen.push(text(result)) };
    stream.write('NOOP\r\n');
    // PassThrough makes written bytes readable at once: the line is complete before read().
    reader.read(consumer);
    expect(seen).toEqual(['NOOP']);
    reader.read(consumer);
    expect(seen).toEqual(['NOOP']);
    stream.write('QUIT\r\n');
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        expect(seen).toEqual(['NOOP', 'QUIT']);
        resolve();
      });
    });
  });
});
