import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDirectory, type SkippedNames } from '../../../services/ftp/fs/directory-stream.js';
import type { EntryInfo } from '../../../services/ftp/fs/entry-info.js';
import { linesToReadable } from '../../../services/ftp/fs/line-stream.js';

let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'classicd-dirstream-'));
  const mixed = join(base, 'mixed');
  mkdirSync(mixed);
  writeFileSync(join(mixed, 'plain.txt'), 'abc');
  writeFileSync(join(mixed, 'ünïcödé.txt'), '');
  writeFileSync(join(mixed, 'evil\r\n-rw-r--r-- 1 ftp ftp 0 Jan 01 2000 forged'), '');
  writeFileSync(join(mixed, 'line\nbreak'), '');
  writeFileSync(Buffer.from(join(mixed, 'latin1-\xe9.txt'), 'latin1'), ''); // not UTF-8
  symlinkSync(Buffer.from('target-\xe9', 'latin1'), Buffer.from(join(mixed, 'link-\xe9'), 'latin1'));
  mkdirSync(join(mixed, 'sub'));
  symlinkSync('plain.txt', join(mixed, 'link'));
  const many = join(base, 'many');
  mkdirSync(many);
  for (let i = 0; i < 1000; i++) closeSync(openSync(join(many, `f${String(i).padStart(4, '0')}`), 'w'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

async function collect(generator: AsyncGenerator<EntryInfo[]>): Promise<EntryInfo[][]> {
  const batches: EntryInfo[][] = [];
  for await (const batch of generator) batches.push(batch);
  return batches;
}

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('reading a directory a batch at a time', () => {
  it('lstats each entry, reads link targets, and leaves out names with line breaks', async () => {
    let skipped: SkippedNames | undefined;
    const batches = await collect(
      readDirectory(join(base, 'mixed'), { readLinks: true, onSkipped: (counts) => (skipped = counts) }),
    );
    const entries = batches.flat();
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    // Bytes that are not UTF-8 are kept, escaped (shared/text/raw-bytes.ts): é in Latin-1 is 0xE9.
    expect([...byName.keys()].sort()).toEqual([
      'latin1-\uDCE9.txt',
      'link',
      'link-\uDCE9',
      'plain.txt',
      'sub',
      'ünïcödé.txt',
    ]);
    expect(byName.get('latin1-\uDCE9.txt')).toMatchObject({ type: 'file', size: 0n });
    expect(byName.get('link-\uDCE9')).toMatchObject({ type: 'symlink', linkTarget: 'target-\uDCE9' });
    expect(byName.get('plain.txt')).toMatchObject({ type: 'file', size: 3n });
    expect(byName.get('sub')?.type).toBe('dir');
    expect(byName.get('link')).toMatchObject({ type: 'symlink', linkTarget: 'plain.txt' });
    expect(skipped).toEqual({ lineBreak: 2 });
  });

  it('never hands over more than one batch, and every entry once', async () => {
    const batches = await collect(readDirectory(join(base, 'many'), { batchSize: 64 }));
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(64);
    expect(batches.length).toBeGreaterThanOrEqual(1000 / 64);
    expect(new Set(batches.flat().map((entry) => entry.name)).size).toBe(1000);
  });

  it('closes the directory when the consumer stops early', async () => {
    const before = openDescriptors();
    const generator = readDirectory(join(base, 'many'), { batchSize: 10 });
    const first = await generator.next();
    expect(first.value).toHaveLength(10);
    expect(openDescriptors()).toBe(before + 1);
    await generator.return(undefined);
    expect(openDescriptors()).toBe(before);
  });

  it('fails to open a missing directory', async () => {
    await expect(collect(readDirectory(join(base, 'missing')))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('listing lines as a stream', () => {
  it('ends each line with LF (TYPE A adds the CR)', async () => {
    async function* lines(): AsyncGenerator<string[]> {
      yield ['a', 'b c'];
      yield [];
      yield ['ünï'];
    }
    const chunks: Buffer[] = [];
    for await (const chunk of linesToReadable(lines())) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('a\nb c\nünï\n');
  });

  it('sends the raw bytes of a name that is not UTF-8 as they are on disk', async () => {
    async function* lines(): AsyncGenerator<string[]> {
      yield ['caf\uDCE9', 'é'];
    }
    const chunks: Buffer[] = [];
    for await (const chunk of linesToReadable(lines())) chunks.push(chunk as Buffer);
    expect([...Buffer.concat(chunks)]).toEqual([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xc3, 0xa9, 0x0a]);
  });

  it('pulls batches only as the consumer reads', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string[]> {
      for (;;) {
        pulled++;
        yield [`-rw-r--r--    1 ftp      ftp             0 Nov 26 05:08 file-${pulled}`.padEnd(200, 'x')];
      }
    }
    const stream = linesToReadable(endless());
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    expect(first.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One highWaterMark's worth at most (64 KiB / 200-byte lines), not the endless rest.
    expect(pulled).toBeLessThan(400);
    stream.destroy();
  });
});
