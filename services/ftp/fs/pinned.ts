/**
 * Containment that holds while the tree changes under a session.
 *
 * SessionFileSystem.resolve checks a path with realpath when a command arrives. A call made later
 * with that path string (a listing read once the data connection opens, an upload renamed into
 * place at its end) follows whatever is at the path *then*: another session of the same user can
 * RNFR/RNTO a directory away and put a symlink that leads out of the root in its place. So:
 *
 * - every pin is checked after it is made, on the descriptor (`assertOpenedInside`): what was
 *   opened is inside the root, whatever the path led to a moment before;
 * - a directory whose entries are named later is pinned by a descriptor (`PinnedDirectory`). On
 *   Linux `/proc/self/fd/<n>/<name>` resolves in the directory that descriptor holds, whatever has
 *   been renamed since: what openat(2), unlinkat(2) and renameat(2) give in C, which Node lacks.
 *   The last component is still looked up by name, so callers that open an existing file through
 *   `path()` pass O_NOFOLLOW, and unlink and rename act on the entry itself anyway.
 *
 * Pins and entry handles are opened for reading where the server may read, else (Linux) with
 * O_PATH, which needs no permission on the object itself: a drop box the server may write and
 * search but not read, a file whose mode is 000, a FIFO (which an O_RDONLY open would wait on).
 *
 * Without /proc (not Linux) what is opened is still checked (realpath after the open, compared by
 * inode), but a directory's entries are named by its path again afterwards: the guarantee above
 * against a swap after the check is Linux's.
 */
import { constants, existsSync, type BigIntStats, type Stats } from 'node:fs';
import { copyFile, lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FtpError } from '../errors.js';
import { osPath, readlinkOf, realpathOf, type OsPath } from './os-path.js';

/** Whether a real path lies inside the session's root (SessionFileSystem.isInside). */
export type InsideRoot = (real: string) => boolean;

const PROC_FD = '/proc/self/fd';
/** Linux's O_PATH (open(2)); Node's fs.constants has no name for it. */
const O_PATH = 0o10000000;
let procFd: boolean | undefined;

function hasProcFd(): boolean {
  procFd ??= process.platform === 'linux' && existsSync(PROC_FD);
  return procFd;
}

/** Said as "no such file", as SessionFileSystem says it, so nothing outside can be probed. */
function outsideRoot(): FtpError {
  return new FtpError(550, 'No such file or directory.');
}

/** The path that names exactly what `handle` holds (Linux). */
function procPath(handle: FileHandle): string {
  return `${PROC_FD}/${handle.fd}`;
}

/**
 * Opens `path` with `flags`; where reading is not allowed (EACCES) and O_PATH exists, opens it
 * with O_PATH instead, which is enough to name it and to act on it through /proc.
 */
async function openForNaming(path: string, flags: number): Promise<{ handle: FileHandle; readable: boolean }> {
  try {
    return { handle: await open(osPath(path), constants.O_RDONLY | flags), readable: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES' || !hasProcFd()) throw error;
    return { handle: await open(osPath(path), O_PATH | flags), readable: false };
  }
}

/**
 * Throws 550 unless the file or directory `handle` holds (opened from `path`) lies inside the root.
 * With /proc this asks the kernel where the descriptor's file is now.
 */
async function assertOpenedInside(handle: FileHandle, path: string, inside: InsideRoot): Promise<void> {
  if (hasProcFd()) {
    // A file deleted since reads as "<path> (deleted)": still where it was, so still judged by it.
    if (!inside(await readlinkOf(procPath(handle)))) throw outsideRoot();
    return;
  }
  const real = await realpathOf(path);
  const [opened, named] = await Promise.all([handle.stat({ bigint: true }), stat(osPath(real), { bigint: true })]);
  if (!inside(real) || !sameFile(opened, named)) throw outsideRoot();
}

/** Whether two stats describe one file (device and inode). */
export function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/** A directory inside the root, held open so that names in it stay in it (see the file comment). */
export class PinnedDirectory {
  private constructor(
    private readonly handle: FileHandle,
    /** Where it was when opened; used only without /proc. */
    private readonly real: string,
    /** Opened for reading, not with O_PATH: only then can it be fsynced. */
    private readonly readable: boolean,
  ) {}

  /** Opens the directory at `real` and checks where it really is; 550 if outside the root. */
  static async open(real: string, inside: InsideRoot): Promise<PinnedDirectory> {
    const { handle, readable } = await openForNaming(real, constants.O_DIRECTORY);
    try {
      await assertOpenedInside(handle, real, inside);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return new PinnedDirectory(handle, real, readable);
  }

  /**
   * A path naming the directory itself, as a string that may hold escaped raw bytes (os-path.ts):
   * for calls that take one (opendir, stat), through osPath.
   */
  get self(): string {
    return hasProcFd() ? procPath(this.handle) : this.real;
  }

  /** A path naming `name` (one component) in this directory, as fs calls take it (os-path.ts). */
  path(name: string): OsPath {
    if (name.includes('/')) throw new Error(`not one path component: ${name}`);
    return osPath(join(this.self, name));
  }

  /**
   * fsync of the directory, so that a rename in it is durable; false if it could not be tried: a
   * directory pinned with O_PATH (the server may not read it) has no descriptor fsync takes. A file
   * system that cannot sync a directory at all is taken as synced.
   */
  async sync(): Promise<boolean> {
    if (!this.readable) return false;
    await this.handle.sync().catch(() => undefined);
    return true;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** Opens an existing entry of `dir` without following a symlink put in its place (ELOOP then). */
export function openNoFollow(dir: PinnedDirectory, name: string, flags: number): Promise<FileHandle> {
  return open(dir.path(name), flags | constants.O_NOFOLLOW);
}

/**
 * A second descriptor on the very file `handle` holds (opened as `name` in `dir`): through /proc;
 * without it the name opened again, refused unless it is still the same file.
 */
export async function reopen(
  handle: FileHandle,
  dir: PinnedDirectory,
  name: string,
  flags: number,
): Promise<FileHandle> {
  if (hasProcFd()) return open(procPath(handle), flags);
  const again = await openNoFollow(dir, name, flags);
  const [a, b] = await Promise.all([handle.stat({ bigint: true }), again.stat({ bigint: true })]);
  if (sameFile(a, b)) return again;
  await again.close().catch(() => undefined);
  throw outsideRoot();
}

/** Copies the whole file `source` holds to a new file at `target` (a reflink where possible). */
export async function copyOpened(source: FileHandle, target: OsPath): Promise<void> {
  if (hasProcFd()) {
    await copyFile(procPath(source), target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    return;
  }
  const out = await open(target, 'wx');
  try {
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (let position = 0; ;) {
      const { bytesRead } = await source.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      await out.write(buffer, 0, bytesRead, position);
      position += bytesRead;
    }
  } finally {
    await out.close();
  }
}

/**
 * The entry `name` of `dir` as it is now, itself (a symlink is a symlink, as lstat has it): fstat of
 * a descriptor opened without following it, or lstat of the name without /proc.
 */
export async function entryStats(dir: PinnedDirectory, name: string): Promise<BigIntStats> {
  if (!hasProcFd()) return lstat(dir.path(name), { bigint: true });
  const handle = await open(dir.path(name), O_PATH | constants.O_NOFOLLOW);
  try {
    return await handle.stat({ bigint: true });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Opens the regular file `name` of `dir` for reading: not through a symlink moved into its place
 * (ELOOP), and never opening anything else. Where /proc is there the entry is first opened with
 * O_PATH, which opens nothing (no device driver's open, no FIFO's writer woken), and only a regular
 * file is then opened for reading, through that very descriptor. Without /proc, O_NONBLOCK keeps a
 * FIFO from blocking. 550 for anything but a regular file.
 */
export async function openRegularFile(
  dir: PinnedDirectory,
  name: string,
): Promise<{ handle: FileHandle; size: number }> {
  if (!hasProcFd()) {
    const handle = await openNoFollow(dir, name, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      return { handle, size: regularFileSize(await handle.stat()) };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }
  const entry = await openNoFollow(dir, name, O_PATH);
  try {
    const size = regularFileSize(await entry.stat());
    return { handle: await open(procPath(entry), constants.O_RDONLY), size };
  } finally {
    await entry.close().catch(() => undefined);
  }
}

/** The size of a regular file from its stats; 550 for anything else. */
export function regularFileSize(info: Stats | BigIntStats): number {
  if (info.isDirectory()) throw new FtpError(550, 'Is a directory.');
  if (!info.isFile()) throw new FtpError(550, 'Not a plain file.');
  return Number(info.size);
}

/**
 * Runs `change` with a path that names exactly the entry `name` of `dir` (chmod, utimes take a
 * path): its /proc entry, from a descriptor opened without following a symlink. A symlink moved into
 * its place since the check is refused, never followed. Without /proc: the name, once lstat says it
 * is no symlink.
 */
export async function withEntryPath<T>(
  dir: PinnedDirectory,
  name: string,
  change: (path: OsPath) => Promise<T>,
): Promise<T> {
  if (!hasProcFd()) {
    if ((await lstat(dir.path(name))).isSymbolicLink()) throw outsideRoot();
    return change(dir.path(name));
  }
  const handle = await open(dir.path(name), O_PATH | constants.O_NOFOLLOW);
  try {
    // With O_PATH and O_NOFOLLOW a symlink opens as itself; fstat tells.
    if ((await handle.stat()).isSymbolicLink()) throw outsideRoot();
    return await change(procPath(handle));
  } finally {
    await handle.close().catch(() => undefined);
  }
}
