import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedAsciiStreamSize, MAX_COUNTED_FILES } from '../../../services/ftp/data/ascii-size-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'classicd-ascii-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens `path`, counting the reads made through the handle. */
async function countingHandle(path: string): Promise<{ handle: FileHandle; reads: () => number }> {
  const handle = await open(path, 'r');
  let reads = 0;
  const counting = new Proxy(handle, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'read' && typeof value === 'function') {
        return (...args: unknown[]) => {
          reads += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { handle: counting, reads: () => reads };
}

describe('TYPE A sizes counted once per version of a file', () => {
  it('reads the file once, and again once it has changed', async () => {
    const path = join(dir, 'text.txt');
    writeFileSync(path, 'one\ntwo\n');
    const first = await countingHandle(path);
    expect(await cachedAsciiStreamSize(first.handle)).toBe(10); // two LFs become CRLF
    expect(first.reads()).toBeGreaterThan(0);
    await first.handle.close();

    const second = await countingHandle(path);
    expect(await cachedAsciiStreamSize(second.handle)).toBe(10);
    expect(second.reads()).toBe(0);
    await second.handle.close();

    appendFileSync(path, 'three\n');
    const third = await countingHandle(path);
    expect(await cachedAsciiStreamSize(third.handle)).toBe(17);
    expect(third.reads()).toBeGreaterThan(0);
    await third.handle.close();
  });

  it('remembers at most MAX_COUNTED_FILES files, forgetting the least recently asked', async () => {
    const paths = Array.from({ length: MAX_COUNTED_FILES + 1 }, (_, i) => join(dir, `many-${i}.txt`));
    for (const path of paths) writeFileSync(path, 'line\n');
    for (const path of paths) {
      const { handle } = await countingHandle(path);
      await cachedAsciiStreamSize(handle);
      await handle.close();
    }
    // The first was pushed out by the last; the second is still known.
    for (const [path, reread] of [
      [paths[1], false],
      [paths[0], true],
    ] as const) {
      const again = await countingHandle(path as string);
      expect(await cachedAsciiStreamSize(again.handle)).toBe(6);
      expect(again.reads() > 0).toBe(reread);
      await again.handle.close();
    }
  });
});
