/**
 * Where an upload's bytes go on disk, so that a partial upload never replaces a good file and 226
 * is sent only once the file is complete, fsynced and in place.
 *
 * - `replacing` (STOR, STOU, APPE/REST of a file that is not there): a new file with a hidden name
 *   beside the target, in the same directory (so the rename cannot cross file systems). On commit
 *   it is fsynced, closed and renamed over the target, then the directory is fsynced; on discard it
 *   is deleted. Readers see the old file or the new one, never a mix.
 * - `resuming` (REST n + STOR, APPE; the client says "the first n bytes are there already"):
 *   - n equal to the file's size (the usual resume, and every APPE): written in place after the
 *     existing bytes, which are never touched. Discard truncates the file back to n, so a failed
 *     append leaves the file exactly as it was. Copying would cost the whole file on every resume
 *     of a large upload, and an atomic STOR leaves no partial file to resume from anyway, so
 *     resuming always means extending a complete file.
 *   - n smaller than the size (the client overwrites the tail): the file is copied to the hidden
 *     file (a reflink where the file system can, COPYFILE_FICLONE), cut at n, written from there,
 *     and renamed over the target on commit, so this rarer case is atomic too.
 *   Two sessions appending to one file at once are not serialized (neither are they by vsftpd).
 *
 * New files get mode 0666 & ~umask; a replaced file keeps its mode, as it would if it had been
 * rewritten in place.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { copyFile, open, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';

import { UPLOAD_TEMP_PREFIX } from '../fs/upload-temp-name.js';
import { FILE_CHUNK_BYTES } from './file-chunk.js';

/**
 * An upload's open file. The bytes go either straight to `handle` from `start` (a native receive,
 * shared/native/socket-file.ts) or through `stream()`; `commit` makes them durable and puts the
 * file in place once every write has finished, `discard` undoes the upload.
 */
export interface UploadSink {
  readonly handle: FileHandle;
  /** Where the upload's first byte goes in the file. */
  readonly start: number;
  /** A write stream over the file from `start`, which then owns the handle; made at most once. */
  stream(): Writable;
  readonly commit: () => Promise<void>;
  readonly discard: () => Promise<void>;
}

export interface ReplacingOptions {
  /** Mode for a new file (0666 & ~umask); an existing target's mode is kept. */
  readonly mode: number;
  /**
   * STOU: the target is an empty placeholder this upload created to claim the name; discard
   * removes it too.
   */
  readonly placeholder?: boolean;
}

/** A new file beside `target`, renamed over it on commit. */
export async function openReplacing(target: string, options: ReplacingOptions): Promise<UploadSink> {
  const mode = options.placeholder ? options.mode : await existingMode(target, options.mode);
  const temp = tempPathFor(target);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.chmod(mode); // exactly this mode, whatever the process umask
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return renamingSink(handle, temp, target, 0, options.placeholder ?? false);
}

/**
 * REST n + STOR, or APPE: the first `offset` bytes of the existing `target` stay, the upload is
 * written after them. The caller has checked that `offset` is at most the file's size.
 */
export async function openResuming(target: string, offset: number): Promise<UploadSink> {
  const info = await stat(target);
  if (offset >= info.size) {
    const file = new OpenUpload(await open(target, 'r+'), offset);
    return {
      handle: file.handle,
      start: offset,
      stream: () => file.stream(),
      commit: () => file.syncAndClose(),
      discard: async () => {
        await file.abandon();
        await truncate(target, offset); // back to exactly what it was
      },
    };
  }
  const temp = tempPathFor(target);
  await copyFile(target, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'r+');
    await handle.truncate(offset);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return renamingSink(handle, temp, target, offset, false);
}

function renamingSink(
  handle: FileHandle,
  temp: string,
  target: string,
  start: number,
  placeholder: boolean,
): UploadSink {
  const file = new OpenUpload(handle, start);
  return {
    handle,
    start,
    stream: () => file.stream(),
    commit: async () => {
      await file.syncAndClose();
      await rename(temp, target);
      await syncDirectory(dirname(target));
    },
    discard: async () => {
      await file.abandon();
      await unlink(temp).catch(ignoreMissing);
      if (placeholder) await unlink(target).catch(ignoreMissing);
    },
  };
}

/** The file of one upload, written directly or through one write stream, then synced and closed. */
class OpenUpload {
  private writeStream: Writable | undefined;

  constructor(
    readonly handle: FileHandle,
    private readonly start: number,
  ) {}

  /**
   * A write stream that owns the handle: it fsyncs (`flush`) and closes the file when it ends,
   * before its 'close' event, which is what stream.pipeline waits for; on destroy it closes it
   * after any write in flight.
   */
  stream(): Writable {
    this.writeStream ??= this.handle.createWriteStream({
      start: this.start,
      flush: true,
      highWaterMark: FILE_CHUNK_BYTES,
    });
    return this.writeStream;
  }

  /** After the last write: the bytes are on disk and the file is closed. */
  async syncAndClose(): Promise<void> {
    if (this.writeStream) return closed(this.writeStream);
    try {
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }

  /** After a failure: the file is closed, once any write in flight is done. */
  async abandon(): Promise<void> {
    if (this.writeStream) return settleStream(this.writeStream);
    await this.handle.close().catch(() => undefined);
  }
}

/** `.classicd-upload-<random>` in the target's directory. */
function tempPathFor(target: string): string {
  const name = `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
  return join(dirname(target), name);
}

async function existingMode(target: string, fallback: number): Promise<number> {
  try {
    return (await stat(target)).mode & 0o7777;
  } catch {
    return fallback;
  }
}

/** The rename is durable only once the directory entry is on disk too. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the file itself is already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Resolves once a finished file stream has fsynced and closed its file. */
async function closed(stream: Writable): Promise<void> {
  if (!stream.closed) await once(stream, 'close');
  if (stream.errored) throw stream.errored;
}

/** Destroys a file write stream and waits until its last write is done and its handle closed. */
function settleStream(stream: Writable): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.destroy();
  });
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
