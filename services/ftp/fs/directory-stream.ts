/**
 * Reads a directory a batch at a time: opendir, a few dozen entries, lstat each, hand them over,
 * and only then read on. A listing of 100,000 entries never holds more than one batch, and a
 * consumer that stops (ABOR, a closed data connection) closes the directory.
 *
 * Names are read as bytes and decoded without loss (os-path.ts): UTF-8 as RFC 2640 has it, and any
 * byte that is not UTF-8 escaped, so that a Latin-1 name is listed as its own bytes and can be named
 * back, as vsftpd, ProFTPD and pure-ftpd allow. A name holding CR or LF is left out: it would end a listing
 * line early and let a file name forge entries, and no command could name it (RFC 959 5.3.2). Such
 * names are counted and reported once per listing through `onSkipped` (the caller logs them),
 * never per entry.
 */
import type { Dir, Dirent } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRawBytes } from '../../../shared/text/raw-bytes.js';
import { entryFromStats, type EntryInfo } from './entry-info.js';
import { osPath, readlinkOf } from './os-path.js';

export interface SkippedNames {
  /** Names holding CR or LF. */
  readonly lineBreak: number;
}

export interface ReadDirectoryOptions {
  /** Entries read and lstat'ed per batch. */
  readonly batchSize?: number;
  /** Also readlink each symlink (LIST shows `name -> target`). */
  readonly readLinks?: boolean;
  /** Called once at the end when names were left out. */
  readonly onSkipped?: (skipped: SkippedNames) => void;
}

const DEFAULT_BATCH = 64;

/**
 * Yields the directory's entries in batches (never empty), in the order the file system gives.
 * `dirPath` may hold escaped raw bytes (os-path.ts), as the entries' names do.
 */
export async function* readDirectory(dirPath: string, options: ReadDirectoryOptions = {}): AsyncGenerator<EntryInfo[]> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  // `buffer` is a valid encoding for opendir at run time (names arrive as Buffers); the typings
  // know only string encodings.
  const dir: Dir = await opendir(osPath(dirPath), {
    encoding: 'buffer' as BufferEncoding,
    bufferSize: batchSize,
  });
  let lineBreak = 0;
  try {
    for (;;) {
      const names: string[] = [];
      let ended = false;
      while (names.length < batchSize) {
        const dirent: Dirent | null = await dir.read();
        if (dirent === null) {
          ended = true;
          break;
        }
        const name = decodeRawBytes(dirent.name as unknown as Buffer);
        if (/[\r\n]/.test(name)) {
          lineBreak++;
          continue;
        }
        names.push(name);
      }
      const entries = await Promise.all(names.map((name) => statEntry(dirPath, name, options.readLinks ?? false)));
      const found = entries.filter((entry): entry is EntryInfo => entry !== undefined);
      if (found.length > 0) yield found;
      if (ended) break;
    }
  } finally {
    await dir.close().catch(() => undefined); // already closed when iteration finished
    if (lineBreak > 0 && options.onSkipped) options.onSkipped({ lineBreak });
  }
}

/** lstat (and readlink) one entry; undefined when it vanished since readdir. */
async function statEntry(dirPath: string, name: string, readLinks: boolean): Promise<EntryInfo | undefined> {
  const path = osPath(join(dirPath, name));
  try {
    const stats = await lstat(path, { bigint: true });
    let target: string | undefined;
    if (readLinks && stats.isSymbolicLink()) {
      target = (await readlinkOf(path)).replace(/[\r\n]/g, '?');
    }
    return entryFromStats(name, stats, target);
  } catch {
    // Deleted or renamed between readdir and lstat (or unreadable): as if it were not there.
    return undefined;
  }
}
