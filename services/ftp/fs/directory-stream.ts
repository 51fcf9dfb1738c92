/**
 * Reads a directory a batch at a time: opendir, a few dozen entries, lstat each, hand them over,
 * and only then read on. A listing of 100,000 entries never holds more than one batch, and a
 * consumer that stops (ABOR, a closed data connection) closes the directory.
 *
 * Names are read as bytes. RFC 2640 makes FTP paths UTF-8, and the control connection refuses
 * anything else, so a name that is not valid UTF-8 could be neither shown faithfully nor named in a
 * later command; it is left out. So is a name holding CR or LF, which would end a listing line early
 * and let a file name forge entries. Both are counted and reported once per listing through
 * `onSkipped` (the caller logs them), never per entry.
 */
import type { Dir, Dirent } from 'node:fs';
import { lstat, opendir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { entryFromStats, type EntryInfo } from './entry-info.js';

export interface SkippedNames {
  /** Names that are not valid UTF-8. */
  readonly invalidUtf8: number;
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
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Yields the directory's entries in batches (never empty), in the order the file system gives. */
export async function* readDirectory(dirPath: string, options: ReadDirectoryOptions = {}): AsyncGenerator<EntryInfo[]> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  // `buffer` is a valid encoding for opendir at run time (names arrive as Buffers); the typings
  // know only string encodings.
  const dir: Dir = await opendir(dirPath, { encoding: 'buffer' as BufferEncoding, bufferSize: batchSize });
  let invalidUtf8 = 0;
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
        let name: string;
        try {
          name = utf8.decode(dirent.name as unknown as Buffer);
        } catch {
          invalidUtf8++;
          continue;
        }
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
    if ((invalidUtf8 > 0 || lineBreak > 0) && options.onSkipped) options.onSkipped({ invalidUtf8, lineBreak });
  }
}

/** lstat (and readlink) one entry; undefined when it vanished since readdir. */
async function statEntry(dirPath: string, name: string, readLinks: boolean): Promise<EntryInfo | undefined> {
  const path = join(dirPath, name);
  try {
    const stats = await lstat(path, { bigint: true });
    let target: string | undefined;
    if (readLinks && stats.isSymbolicLink()) {
      target = (await readlink(path)).replace(/[\r\n]/g, '?');
    }
    return entryFromStats(name, stats, target);
  } catch {
    // Deleted or renamed between readdir and lstat (or unreadable): as if it were not there.
    return undefined;
  }
}
