import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedAsciiStreamSize } from '../../../services/ftp/data/ascii-size-cache.js';

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
});
