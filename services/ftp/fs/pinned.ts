/**
 * Containment that holds while the tree changes under a session.
 *
 * SessionFileSystem.resolve checks a path with realpath when a command arrives. A call made later
 * with that path string (a listing read once the data connection opens, an upload renamed into
 * place at its end) follows whatever is at the path *then*: another session of the same user can
 * RNFR/RNTO a directory away and put a symlink that leads out of the root in its place. So:
 *
 * - every open is checked after it is made, on the descriptor (`assertOpenedInside`): what was
 *   opened is inside the root, whatever the path led to a moment before;
 * - a directory whose entries are named later is pinned by a descriptor (`PinnedDirectory`). On
 *   Linux `/proc/self/fd/<n>/<name>` resolves in the directory that descriptor holds, whatever has
 *   been renamed since: what openat(2), unlinkat(2) and renameat(2) give in C, which Node lacks.
 *   The last component is still looked up by name, so callers that open an existing file through
 *   `path()` pass O_NOFOLLOW, and unlink and rename act on the entry itself anyway.
 *
 * Without /proc (not Linux) the checks fall back to realpath after the open, compared by inode.
 */
import { constants, existsSync } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FtpError } from '../errors.js';

/** Whether a real path lies inside the session's root (SessionFileSystem.isInside). */
export type InsideRoot = (real: string) => boolean;

const PROC_FD = '/proc/self/fd';
let procFd: boolean | undefined;

function hasProcFd(): boolean {
  procFd ??= existsSync(PROC_FD);
  return procFd;
}

/** Said as "no such file", as SessionFileSystem says it, so nothing outside can be probed. */
function outsideRoot(): FtpError {
  return new FtpError(550, 'No such file or directory.');
}

/**
 * Throws 550 unless the file or directory `handle` holds (opened from `path`) lies inside the root.
 * With /proc this asks the kernel where the descriptor's file is now.
 */
export async function assertOpenedInside(handle: FileHandle, path: string, inside: InsideRoot): Promise<void> {
  if (hasProcFd()) {
    // A file deleted since reads as "<path> (deleted)": still where it was, so still judged by it.
    if (!inside(await readlink(`${PROC_FD}/${handle.fd}`))) throw outsideRoot();
    return;
  }
  const real = await realpath(path);
  const [opened, named] = await Promise.all([handle.stat({ bigint: true }), stat(real, { bigint: true })]);
  if (!inside(real) || opened.ino !== named.ino || opened.dev !== named.dev) throw outsideRoot();
}

/** A directory inside the root, held open so that names in it stay in it (see the file comment). */
export class PinnedDirectory {
  private constructor(
    private readonly handle: FileHandle,
    /** Where it was when opened; used only without /proc. */
    private readonly real: string,
  ) {}

  /** Opens the directory at `real` and checks where it really is; 550 if outside the root. */
  static async open(real: string, inside: InsideRoot): Promise<PinnedDirectory> {
    const handle = await open(real, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await assertOpenedInside(handle, real, inside);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return new PinnedDirectory(handle, real);
  }

  /** A path naming the directory itself, for calls that take one (opendir). */
  get self(): string {
    return hasProcFd() ? `${PROC_FD}/${this.handle.fd}` : this.real;
  }

  /** A path naming `name` (one component) in this directory. */
  path(name: string): string {
    if (name.includes('/')) throw new Error(`not one path component: ${name}`);
    return join(this.self, name);
  }

  /** fsync of the directory, so that a rename in it is durable; quietly skipped where unsupported. */
  async sync(): Promise<void> {
    await this.handle.sync().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/**
 * A path that names the very file `handle` holds (opened as `name` in `dir`), to open it again or
 * copy it: its /proc entry; without /proc the name, once checked to hold the same file still.
 */
export async function pathOfOpened(handle: FileHandle, dir: PinnedDirectory, name: string): Promise<string> {
  if (hasProcFd()) return `${PROC_FD}/${handle.fd}`;
  const path = dir.path(name);
  const [opened, named] = await Promise.all([handle.stat({ bigint: true }), stat(path, { bigint: true })]);
  if (opened.ino !== named.ino || opened.dev !== named.dev) throw outsideRoot();
  return path;
}

/** Opens an existing entry of `dir` without following a symlink put in its place (ELOOP then). */
export function openNoFollow(dir: PinnedDirectory, name: string, flags: number): Promise<FileHandle> {
  return open(dir.path(name), flags | constants.O_NOFOLLOW);
}

/**
 * Runs `change` on the entry `name` of `dir` through a descriptor opened without following a
 * symlink (fchmod, futimes): a link moved into its place is refused (ELOOP), never followed.
 */
export async function withEntryHandle<T>(
  dir: PinnedDirectory,
  name: string,
  change: (handle: FileHandle) => Promise<T>,
): Promise<T> {
  const handle = await openNoFollow(dir, name, constants.O_RDONLY);
  try {
    return await change(handle);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
