/**
 * Where an upload's bytes go on disk, so that a partial upload never replaces a good file and 226
 * is sent only once the file is complete, fsynced and in place.
 *
 * - `replacing` (STOR, STOU, REST 0 + STOR): a new file with a hidden name
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
 *   It holds the file's lock (openForInPlaceWrite): another in-place upload, or a download, of
 *   the file meanwhile is 450, file busy.
 * - `appending` (APPE): like a resume at the end, from the file's size when the upload opens it. A
 *   name that is not there yet is created empty first (O_EXCL) and appended to in the same way; if
 *   the upload fails, the file it made is removed again.
 * - `claimed` (STOU; STOR by an account that may not overwrite, the drop box): the name is first
 *   created empty with O_EXCL, before the 150, and the upload is `replacing` over it; discard
 *   removes the placeholder too, if the name still holds it.
 *
 * New files get mode 0666 & ~umask; a replaced file keeps its permission bits, as it would if it
 * had been rewritten in place, but never a set-ID bit; and only a file the server may write is
 * replaced, as only such a file could be rewritten in place.
 *
 * Every name is taken in the target's directory as it was checked, pinned by a descriptor
 * (fs/pinned.ts), never by a path string: the sink is opened before the 150 and committed or
 * discarded once the data connection is done, and meanwhile another session may have moved a
 * symlink that leads out of the root to where the directory was. The sink closes the directory.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, type BigIntStats } from 'node:fs';
import { access, lstat, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

import { fileBusy, FtpError } from '../errors.js';
import { tryLockFile } from '../../../shared/native/file-lock.js';
import { copyOpened, openNoFollow, reopen, sameFile, withEntryPath, type PinnedDirectory } from '../fs/pinned.js';
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
  /**
   * The file was made empty for this upload, under a name nobody else may open: its bytes may go
   * to disk past the page cache (shared/native/socket-file.ts).
   */
  readonly newFile: boolean;
  /** A write stream over the file from `start`, which then owns the handle; made at most once. */
  stream(): Writable;
  readonly commit: () => Promise<void>;
  readonly discard: () => Promise<void>;
}

export interface ReplacingOptions {
  /** Mode for a new file (0666 & ~umask); an existing target's mode is kept. */
  readonly mode: number;
}

/** A new file beside `name` in `dir`, renamed over it on commit. The sink owns `dir`. */
export async function openReplacing(
  dir: PinnedDirectory,
  name: string,
  options: ReplacingOptions,
): Promise<UploadSink> {
  return closingOnFailure(dir, undefined, async () =>
    replacingSink(dir, name, await modeForReplacing(dir, name, options.mode), undefined),
  );
}

/**
 * An upload's name, claimed before its 150 by creating it empty (O_EXCL) in its pinned directory:
 * STOU, and STOR for an account that may not overwrite (the drop box), so that no other upload can
 * take the name first and be replaced by this one.
 */
export interface Claim {
  readonly dir: PinnedDirectory;
  readonly name: string;
  /** The placeholder as created: removed later only if the name still holds this very file. */
  readonly placeholder: BigIntStats;
}

/** Claims `name` in `dir`; undefined if it is taken. Owns `dir` (the claim keeps it, else closes it). */
export async function claimName(dir: PinnedDirectory, name: string, mode: number): Promise<Claim | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(dir.path(name), 'wx', mode);
  } catch (error) {
    await dir.close();
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    return { dir, name, placeholder: await handle.stat({ bigint: true }) };
  } catch (error) {
    await unlink(dir.path(name)).catch(() => undefined);
    await dir.close();
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Gives a claim back when no upload will use it: its placeholder goes, if still there. */
export async function releaseClaim(claim: Claim): Promise<void> {
  await removeIfSame(claim.dir, claim.name, claim.placeholder).catch(() => undefined);
  await claim.dir.close();
}

/** The claimed name's upload: renamed over the placeholder on commit. The sink owns the claim. */
export async function openClaimed(claim: Claim, mode: number): Promise<UploadSink> {
  return closingOnFailure(claim.dir, claim, () => replacingSink(claim.dir, claim.name, mode, claim.placeholder));
}

async function replacingSink(
  dir: PinnedDirectory,
  name: string,
  mode: number,
  placeholder: BigIntStats | undefined,
): Promise<UploadSink> {
  const temp = tempName();
  const handle = await open(dir.path(temp), 'wx', mode);
  try {
    await handle.chmod(mode); // exactly this mode, whatever the process umask
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(dir.path(temp)).catch(() => undefined);
    throw error;
  }
  return renamingSink(handle, dir, temp, name, 0, placeholder);
}

/**
 * REST n + STOR: the first `offset` bytes of the existing file `name` in `dir` stay, the upload is
 * written after them. The caller has checked that `offset` is at most the file's size. The sink
 * owns `dir`.
 */
export async function openResuming(dir: PinnedDirectory, name: string, offset: number): Promise<UploadSink> {
  return closingOnFailure(dir, undefined, async () => {
    const opened = await openForInPlaceWrite(dir, name);
    if (!opened) throw fileBusy(); // replaced or removed while it was being locked
    const { existing, undo, size } = opened;
    if (offset >= size) return appendingSink(existing, undo, dir, offset, undefined);
    // The tail is replaced by a copy renamed over the file: nothing is written in place.
    await closeQuietly(undo);
    try {
      return await copyingSink(existing, dir, name, offset);
    } finally {
      await closeQuietly(existing);
    }
  });
}

export interface AppendingOptions {
  /** REST n + APPE: the end the client expects the file to have (554 if it has another). */
  readonly expectedEnd?: number | undefined;
  /** The account may create the file: if `name` is not there, it is made with this mode. */
  readonly createMode?: number | undefined;
}

/**
 * APPE: written after whatever the file holds when the upload starts. Its size when the command
 * came is not used: another upload may have added to it since, and resuming from the old size
 * would cut those bytes off.
 *
 * A name that is not there is created (`createMode`) and appended to in place too, locked like any
 * other: taking the replacing way (a hidden file renamed over the name), two APPEs of one new name
 * were both answered 226 and the second rename erased the first's bytes. Now the second finds the
 * first's file, locked: 450, or, once the first is done, it appends after it. The sink owns `dir`.
 */
export async function openAppending(
  dir: PinnedDirectory,
  name: string,
  options: AppendingOptions,
): Promise<UploadSink> {
  return closingOnFailure(dir, undefined, async () => {
    const { existing, undo, size, created } = await openAppendTarget(dir, name, options.createMode);
    // REST n + APPE: n was the end when the command came; if it is no longer, the client's
    // picture of the file is wrong, and appending elsewhere than n is what 554 refuses.
    if (options.expectedEnd !== undefined && size !== options.expectedEnd) {
      await closeQuietly(undo, existing);
      throw new FtpError(554, 'The file changed since REST; its end is no longer there.');
    }
    // Removed again if the upload fails, but only if it is still the empty file this upload made:
    // another APPE may have filled it and been answered before this one took the lock.
    return appendingSink(existing, undo, dir, size, created && size === 0 ? name : undefined);
  });
}

/** How many times an APPE looks for its file again when it vanished between the look and the lock. */
const APPEND_OPEN_ATTEMPTS = 3;

/**
 * The file an APPE writes, locked: created if `createMode` is given and `name` is not there, else
 * the existing one. A file that vanishes before it is locked (a failed APPE removing the new file
 * it made) is looked for again, so the name is created afresh rather than written after its
 * removal, where the bytes would be answered 226 and lost.
 */
async function openAppendTarget(
  dir: PinnedDirectory,
  name: string,
  createMode: number | undefined,
): Promise<InPlaceFile & { created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    if (createMode !== undefined) {
      const created = await createForInPlaceWrite(dir, name, createMode);
      if (created) return { ...created, created: true };
    }
    const opened = await openForInPlaceWrite(dir, name).catch((error: unknown) => {
      if (createMode !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    });
    if (opened) return { ...opened, created: false };
    if (attempt === APPEND_OPEN_ATTEMPTS) throw fileBusy();
  }
}

/** An existing file opened for an upload written in place, and locked (openForInPlaceWrite). */
interface InPlaceFile {
  readonly existing: FileHandle;
  readonly undo: FileHandle;
  readonly size: number;
}

/**
 * `name` created empty in `dir` with exactly `mode`, open for writing and locked; undefined if the
 * name is taken, or no longer names the file once it is locked. Another APPE may open it before
 * this one locks it: then it is theirs (450 here).
 */
async function createForInPlaceWrite(
  dir: PinnedDirectory,
  name: string,
  mode: number,
): Promise<InPlaceFile | undefined> {
  let existing: FileHandle;
  try {
    existing = await open(
      dir.path(name),
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    await existing.chmod(mode); // exactly this mode, whatever the process umask
  } catch (error) {
    await closeQuietly(existing);
    throw error;
  }
  // Removed or renamed away before the lock (DELE, RNFR/RNTO): undefined, and the caller looks again.
  return lockedInPlace(existing, dir, name);
}

/**
 * The existing file `name` of `dir`, open for writing, with a second descriptor on it locked
 * exclusively for an upload written in place (vsftpd's lock_upload_files, without the wait), and
 * its size once locked. Two such uploads at once wrote over each other, and one that failed cut the
 * file back to where it began, erasing an append another session had meanwhile been told was
 * complete (226); a download during it could be given bytes that were then undone. Downloads take
 * the lock shared (RETR), so each waits for neither: the one that finds the file taken answers
 * 450, "file busy" (RFC 959 4.2). The lock is on the second descriptor, which outlives the write's
 * own (it undoes a failed upload), so it is held until the upload is done with. Without the native
 * addon there is no lock, as before.
 *
 * Undefined if, once locked, the name no longer names the file: it was removed or replaced while
 * this upload opened it, and bytes written to it now would be answered 226 and be nowhere.
 */
async function openForInPlaceWrite(dir: PinnedDirectory, name: string): Promise<InPlaceFile | undefined> {
  return lockedInPlace(await openNoFollow(dir, name, constants.O_RDWR), dir, name);
}

/**
 * `existing`, opened as `name` in `dir`, with its locked second descriptor and its size; undefined
 * (both closed) if `name` no longer names it once it is locked. Closes both on any failure.
 */
async function lockedInPlace(
  existing: FileHandle,
  dir: PinnedDirectory,
  name: string,
): Promise<InPlaceFile | undefined> {
  let undo: FileHandle | undefined;
  try {
    undo = await reopen(existing, dir, name, constants.O_RDWR);
    if (tryLockFile(undo, true) === 'busy') throw fileBusy();
    if (!(await stillNamed(dir, name, undo))) {
      await closeQuietly(undo, existing);
      return undefined;
    }
    return { existing, undo, size: (await existing.stat()).size };
  } catch (error) {
    await closeQuietly(undo, existing);
    throw error;
  }
}

/** Whether `name` in `dir` is still the file `handle` holds open. */
async function stillNamed(dir: PinnedDirectory, name: string, handle: FileHandle): Promise<boolean> {
  const [held, named] = await Promise.all([
    handle.stat({ bigint: true }),
    lstat(dir.path(name), { bigint: true }).catch(() => undefined),
  ]);
  return named !== undefined && sameFile(named, held);
}

/** Closes what is open, ignoring errors: a failure path, whose own error is the one to report. */
async function closeQuietly(...handles: readonly (FileHandle | undefined)[]): Promise<void> {
  for (const handle of handles) await handle?.close().catch(() => undefined);
}

/**
 * Written in place after the first `offset` bytes. `undo`, a second descriptor on the same file,
 * locked (openForInPlaceWrite), undoes a failed upload (truncates back to `offset`): the first
 * belongs to the write, which closes it. `newName`: the file was made, empty, as `newName` in `dir`
 * for this upload; committing syncs `dir` too (the new name must last, as a renamed upload's does),
 * and a failed upload removes the file if the name still holds it, so nothing of it is left.
 */
async function appendingSink(
  handle: FileHandle,
  undo: FileHandle,
  dir: PinnedDirectory,
  offset: number,
  newName: string | undefined,
): Promise<UploadSink> {
  let originalMode: number;
  try {
    originalMode = await dropSetIdBits(handle);
  } catch (error) {
    await closeQuietly(undo, handle);
    throw error;
  }
  if (newName === undefined) await dir.close(); // nothing more is named in it
  const file = new OpenUpload(handle, offset);
  let committed = false;
  return {
    handle,
    start: offset,
    newFile: false, // written in place: others may read it meanwhile
    stream: () => file.stream(),
    commit: async () => {
      await file.syncAndClose();
      committed = true;
      try {
        // A directory the server may not read cannot be synced: the file's own fsync carries the
        // new name on the journaling file systems (see syncRenamedFile). Best effort either way.
        if (newName !== undefined && !(await dir.sync())) await undo.sync().catch(() => undefined);
      } finally {
        await closeQuietly(undo);
        if (newName !== undefined) await dir.close();
      }
    },
    discard: async () => {
      if (committed) return;
      try {
        await file.abandon();
        await undo.truncate(offset); // back to exactly what it was
        // The set-ID bits cleared for the append, given back (only then: a chmod of a file the
        // worker does not own would fail).
        if (originalMode !== (originalMode & PERMISSION_BITS)) await undo.chmod(originalMode);
        if (newName !== undefined && (await stillNamed(dir, newName, undo))) {
          await unlink(dir.path(newName)).catch(ignoreMissing);
        }
      } finally {
        await closeQuietly(undo);
        if (newName !== undefined) await dir.close();
      }
    },
  };
}

/** The tail is overwritten: the file is copied (reflinked where possible) and cut at `offset`. */
async function copyingSink(
  existing: FileHandle,
  dir: PinnedDirectory,
  name: string,
  offset: number,
): Promise<UploadSink> {
  const temp = tempName();
  let handle: FileHandle | undefined;
  try {
    await copyOpened(existing, dir.path(temp));
    handle = await openNoFollow(dir, temp, constants.O_RDWR);
    await dropSetIdBits(handle); // the copy took the original's mode
    await handle.truncate(offset);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(dir.path(temp)).catch(() => undefined);
    throw error;
  }
  return renamingSink(handle, dir, temp, name, offset, undefined);
}

/**
 * The upload in `temp`, renamed over `name` on commit. `dir` is released once the upload is in
 * place or undone: a commit that fails (the rename, say) leaves everything for discard to clear.
 */
function renamingSink(
  handle: FileHandle,
  dir: PinnedDirectory,
  temp: string,
  name: string,
  start: number,
  /** A claimed name's empty file, removed on discard unless another has replaced it. */
  placeholder: BigIntStats | undefined,
): UploadSink {
  const file = new OpenUpload(handle, start);
  let committed = false;
  return {
    handle,
    start,
    newFile: start === 0, // a resumed upload's temp file holds a copy of what came before
    stream: () => file.stream(),
    commit: async () => {
      await file.syncAndClose();
      await rename(dir.path(temp), dir.path(name));
      committed = true; // in place: from here on, a failure is not undone, only reported
      try {
        if (!(await dir.sync())) await syncRenamedFile(dir, name);
      } finally {
        await dir.close();
      }
    },
    discard: async () => {
      if (committed) return;
      try {
        await file.abandon();
        await unlink(dir.path(temp)).catch(ignoreMissing);
        if (placeholder) await removeIfSame(dir, name, placeholder);
      } finally {
        await dir.close();
      }
    },
  };
}

/**
 * Runs `make`; if it throws, the claim (if any) is given back and the directory the sink would
 * have owned is closed.
 */
async function closingOnFailure(
  dir: PinnedDirectory,
  claim: Claim | undefined,
  make: () => Promise<UploadSink>,
): Promise<UploadSink> {
  try {
    return await make();
  } catch (error) {
    if (claim) await releaseClaim(claim);
    else await dir.close();
    throw error;
  }
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

/**
 * Unlinks `name` if it is still the file `was` describes: another session may have deleted a
 * placeholder and stored its own file under the name meanwhile (a local user with two sessions).
 * The inode number alone could match, as a file system reuses a freed one at once; its change time
 * is that of the new file.
 */
async function removeIfSame(dir: PinnedDirectory, name: string, was: BigIntStats): Promise<void> {
  let now: BigIntStats;
  try {
    now = await lstat(dir.path(name), { bigint: true });
  } catch (error) {
    return ignoreMissing(error);
  }
  if (sameFile(now, was) && now.ctimeNs === was.ctimeNs) {
    await unlink(dir.path(name)).catch(ignoreMissing);
  }
}

/**
 * A rename in a directory the server may write but not read (a drop box of mode 0733) cannot be
 * made durable by fsync of the directory. fsync of the renamed file commits it too on ext4, XFS
 * and btrfs, whose journals carry the rename with the file's metadata (not promised by POSIX).
 * Best effort, never a failure: the file is in place and its bytes are synced already; and an
 * account whose umask leaves the server no access to its own file (umask 777) cannot be opened.
 */
async function syncRenamedFile(dir: PinnedDirectory, name: string): Promise<void> {
  for (const flags of [constants.O_RDONLY, constants.O_WRONLY]) {
    let handle: FileHandle;
    try {
      handle = await openNoFollow(dir, name, flags);
    } catch {
      continue;
    }
    await handle.sync().catch(() => undefined);
    await handle.close().catch(() => undefined);
    return;
  }
}

/** `.classicd-upload-<random>`, made in the target's directory. */
function tempName(): string {
  return `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
}

/**
 * The mode for the file that will replace `name`: that of the regular file there now, else
 * `fallback`. The upload is renamed over it, and a rename asks only the directory's permission, so
 * the file's own is asked here, as vsftpd's O_TRUNC open would: a 0444 file, another user's, or
 * an immutable one is not replaced (550), unless the server runs as root (which only the immutable
 * flag stops). access(2), not an open for writing: that would count as a write to anything watching
 * the file (inotify's close_write) and break its leases. (A program running is replaced, which is
 * harmless: it keeps its old inode; only an open for writing is refused there, ETXTBSY.) The set-ID bits
 * are never carried over: new bytes in a set-ID program would run with its owner's rights (SITE
 * CHMOD refuses them for the same reason).
 */
async function modeForReplacing(dir: PinnedDirectory, name: string, fallback: number): Promise<number> {
  try {
    if (!(await lstat(dir.path(name))).isFile()) return fallback;
  } catch {
    return fallback;
  }
  return withEntryPath(dir, name, async (path) => {
    const current = await stat(path);
    if (!current.isFile()) return fallback;
    await access(path, constants.W_OK);
    return current.mode & PERMISSION_BITS;
  });
}

/** rwx for user, group and others: a replaced or appended-to file keeps no set-ID or sticky bit. */
const PERMISSION_BITS = 0o777;

/**
 * Clears set-user-ID, set-group-ID and sticky on a file about to take new bytes. The kernel clears
 * set-ID on write only for a writer without CAP_FSETID, so not when the server runs as root.
 */
async function dropSetIdBits(handle: FileHandle): Promise<number> {
  const mode = (await handle.stat()).mode & 0o7777;
  if (mode !== (mode & PERMISSION_BITS)) await handle.chmod(mode & PERMISSION_BITS);
  return mode;
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
