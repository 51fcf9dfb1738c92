/**
 * TYPE A sizes already counted, per worker. SIZE in TYPE A reads the whole file (up to 64 MiB) to
 * count the CRs a transfer adds (ascii-offsets.ts); a client repeating SIZE on a large file made the
 * server read it again each time, some 2.7 GB/s of reads from one session. A size is kept for the
 * file as it was counted: its device and inode, size, and change time (which every write moves,
 * and which no one can set back), so a changed file is counted again.
 */
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { asciiStreamSize } from './ascii-offsets.js';

/** Files remembered at once; the least recently asked go first. */
export const MAX_COUNTED_FILES = 256;

const counted = new Map<string, number>();

function keyOf(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.ctimeNs}`;
}

/** The octets a TYPE A RETR of the open file sends, counted once per version of the file. */
export async function cachedAsciiStreamSize(handle: FileHandle): Promise<number> {
  const info = await handle.stat({ bigint: true });
  const key = keyOf(info);
  const known = counted.get(key);
  if (known !== undefined) {
    counted.delete(key); // to the back: most recently asked
    counted.set(key, known);
    return known;
  }
  const size = await asciiStreamSize(handle, Number(info.size));
  // Kept only if the file did not change while it was read.
  if (keyOf(await handle.stat({ bigint: true })) === key) {
    counted.set(key, size);
    if (counted.size > MAX_COUNTED_FILES) counted.delete(counted.keys().next().value as string);
  }
  return size;
}
