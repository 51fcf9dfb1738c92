/**
 * One directory entry as the listing formats need it: a plain value made from lstat's BigIntStats,
 * so the formatters are pure functions that tests can feed tables of.
 *
 * BigInt stats because inode numbers (the MLSx `unique` fact) may exceed 2^53 on XFS or btrfs, and
 * sizes above 2^53 would lose digits as numbers.
 */
import type { BigIntStats } from 'node:fs';

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';

export interface EntryInfo {
  /** The name within its directory (or what a single-entry listing shows). */
  readonly name: string;
  readonly type: EntryType;
  /** st_mode: the type bits and the permission bits. */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: bigint;
  /** Modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
  readonly dev: bigint;
  readonly ino: bigint;
  /** For a symlink: what it points at, as stored (readlink). */
  readonly linkTarget?: string;
}

const S_IFMT = 0o170000;
const TYPE_BITS: ReadonlyMap<number, EntryType> = new Map([
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'symlink'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o020000, 'char'],
  [0o060000, 'block'],
]);

export function entryTypeOf(mode: number): EntryType {
  return TYPE_BITS.get(mode & S_IFMT) ?? 'unknown';
}

export function entryFromStats(name: string, stats: BigIntStats, linkTarget?: string): EntryInfo {
  const mode = Number(stats.mode);
  return {
    name,
    type: entryTypeOf(mode),
    mode,
    nlink: Number(stats.nlink),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    size: stats.size,
    mtimeMs: Number(stats.mtimeNs / 1_000_000n),
    dev: stats.dev,
    ino: stats.ino,
    ...(linkTarget === undefined ? {} : { linkTarget }),
  };
}
