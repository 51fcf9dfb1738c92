/**
 * One session's view of the file system: a root that is `/`, a working directory, and the rule
 * that nothing resolves outside the root, symlinks included.
 *
 * Every path a command names goes through `resolve`, which normalizes the virtual path (so `..` and
 * absolute paths cannot climb out), maps it under the root, and then asks the kernel where the path
 * really leads (realpath): a symlink that points outside the root is refused as if it did not exist.
 * For a path that does not exist yet (an upload, a new directory) the parent is checked instead.
 *
 * That check is made when the command arrives. What is done with the path later, when the tree may
 * have changed (another session of the same user can rename a directory away and move a symlink
 * into its place), goes through descriptors checked after they are opened: see pinned.ts.
 */
import { constants, type BigIntStats } from 'node:fs';
import { access, lstat, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { FtpError } from '../errors.js';
import { osPath, realpathOf, type OsPath } from './os-path.js';
import { entryStats, openRegularFile, PinnedDirectory, withEntryPath, type InsideRoot } from './pinned.js';
import { resolveVirtual, virtualBaseName, virtualParent } from './virtual-path.js';

export interface ResolvedPath {
  /** What the client sees, normalized: `/pub/file.txt`. */
  readonly virtual: string;
  /**
   * Where that leads, as a virtual path: `virtual` with symlinks followed (for resolveEntry, all but
   * the last component). The access policy checks both, so a link cannot carry a client around it.
   */
  readonly canonical: string;
  /** The real path on disk, after symlinks, inside the root. */
  readonly real: string;
  /** Whether something exists there now. */
  readonly exists: boolean;
}

/** The root's real path, after checking that it is a directory. */
export async function realRoot(root: string): Promise<string> {
  const rootReal = await realpathOf(root);
  const info = await stat(osPath(rootReal));
  if (!info.isDirectory()) throw new Error(`FTP root ${root} is not a directory`);
  // What chdir(2) asks: vsftpd's login fails (500 OOPS) where the session could not enter its root,
  // rather than answering 230 and then 550 to every command.
  await access(osPath(rootReal), constants.X_OK);
  return rootReal;
}

export class SessionFileSystem {
  private cwdVirtual = '/';

  private constructor(
    /** The root after realpath, so comparisons are between real paths. */
    readonly rootReal: string,
  ) {}

  static async open(root: string): Promise<SessionFileSystem> {
    return SessionFileSystem.atRealRoot(await realRoot(root));
  }

  /** At a root that `realRoot` has already checked (see CheckedRoots). */
  static atRealRoot(rootReal: string): SessionFileSystem {
    return new SessionFileSystem(rootReal);
  }

  get cwd(): string {
    return this.cwdVirtual;
  }

  /**
   * CWD: only to a directory inside the root. `authorize` runs on the resolved path before anything
   * about it is revealed (it throws to refuse).
   */
  async changeDirectory(argument: string, authorize?: (target: ResolvedPath) => void): Promise<ResolvedPath> {
    const target = await this.resolve(argument);
    authorize?.(target);
    if (!target.exists) throw new FtpError(550, 'No such directory.');
    if (!(await this.statEntry(target.real, { symlink: 'refuse' })).isDirectory()) {
      throw new FtpError(550, 'Not a directory.');
    }
    this.cwdVirtual = target.virtual;
    return target;
  }

  /** The root as a resolved path (where a login starts). */
  get root(): ResolvedPath {
    return { virtual: '/', canonical: '/', real: this.rootReal, exists: true };
  }

  /**
   * Maps a client path to a real one inside the root, or throws 550. An empty argument is the
   * working directory.
   */
  async resolve(argument: string): Promise<ResolvedPath> {
    const virtual = resolveVirtual(this.cwdVirtual, argument === '' ? '.' : argument);
    if (virtual === undefined) throw new FtpError(501, 'Invalid path.');
    const mapped = this.mapVirtual(virtual);
    try {
      const real = await realpathOf(mapped);
      if (!this.isInside(real)) throw outsideRoot();
      // `name/` names a directory (POSIX pathname resolution: ENOTDIR otherwise), as vsftpd has it.
      if (argument.endsWith('/') && virtual !== '/' && !(await stat(osPath(real))).isDirectory()) {
        throw new FtpError(550, 'Not a directory.');
      }
      return { virtual, canonical: this.toVirtual(real), real, exists: true };
    } catch (error) {
      if (error instanceof FtpError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw asFtpError(error);
    }
    // Nothing there (or a dangling symlink): the parent must exist inside the root.
    if (await isSymlink(mapped)) throw outsideRoot(); // a dangling link could be created through
    const parentVirtual = virtualParent(virtual);
    let parentReal: string;
    try {
      parentReal = await realpathOf(this.mapVirtual(parentVirtual));
    } catch (error) {
      throw asFtpError(error);
    }
    if (!this.isInside(parentReal)) throw outsideRoot();
    const real = join(parentReal, virtualBaseName(virtual));
    return { virtual, canonical: this.toVirtual(real), real, exists: false };
  }

  /**
   * For commands that act on the directory entry itself (DELE, RMD, RNFR, RNTO): the parent is
   * resolved and checked, the last component is not followed, so deleting a symlink deletes the link
   * and never what it points at. The root itself is no entry.
   */
  async resolveEntry(argument: string): Promise<ResolvedPath> {
    const virtual = resolveVirtual(this.cwdVirtual, argument === '' ? '.' : argument);
    if (virtual === undefined) throw new FtpError(501, 'Invalid path.');
    if (virtual === '/') throw new FtpError(550, 'Permission denied.');
    let parentReal: string;
    try {
      parentReal = await realpathOf(this.mapVirtual(virtualParent(virtual)));
    } catch (error) {
      throw asFtpError(error);
    }
    if (!this.isInside(parentReal)) throw outsideRoot();
    const real = join(parentReal, virtualBaseName(virtual));
    let exists = true;
    try {
      const info = await lstat(osPath(real));
      // `name/` names a directory, as in resolve(): DELE or RNFR of `file/` is ENOTDIR in POSIX.
      if (argument.endsWith('/') && !info.isDirectory()) throw new FtpError(550, 'Not a directory.');
    } catch (error) {
      if (error instanceof FtpError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw asFtpError(error);
      exists = false;
    }
    return { virtual, canonical: this.toVirtual(real), real, exists };
  }

  /** The real path for a virtual one, before symlinks; never outside the root by construction. */
  private mapVirtual(virtual: string): string {
    return virtual === '/' ? this.rootReal : join(this.rootReal, ...virtual.split('/').filter(Boolean));
  }

  /** A real path inside the root as the virtual path that names it without symlinks. */
  private toVirtual(real: string): string {
    const inside = relative(this.rootReal, real);
    return inside === '' ? '/' : '/' + inside.split(sep).join('/');
  }

  /**
   * Whether a real path lies inside the root. A real path (realpath, /proc readlink) never holds a
   * `..` component; one that does was decoded wrongly, and a prefix test could not be trusted with
   * it (a lossy decoding once made `/srv/\uFEFFroot/x` read as `/srv/root/x`), so it is outside.
   */
  readonly isInside: InsideRoot = (real) =>
    !DOT_DOT_COMPONENT.test(real) &&
    (real === this.rootReal || real.startsWith(this.rootReal.endsWith(sep) ? this.rootReal : this.rootReal + sep));

  /** The directory at `real`, pinned (pinned.ts); 550 if it is gone or now outside the root. */
  async pinDirectory(real: string): Promise<PinnedDirectory> {
    return fsCall(PinnedDirectory.open(real, this.isInside));
  }

  /**
   * The directory holding the entry at `real` (a resolved path's), pinned, and the entry's name in
   * it: later calls on the entry go through the directory as it was checked.
   */
  async pinParent(real: string): Promise<{ readonly dir: PinnedDirectory; readonly name: string }> {
    if (real === this.rootReal) throw new FtpError(550, 'Permission denied.');
    return { dir: await this.pinDirectory(dirname(real)), name: basename(real) };
  }

  /**
   * Runs `change` on the entry at `real` (from resolve or resolveEntry) through its pinned parent
   * directory (pinned.ts), closed after; file-system errors become replies. The root, which has no
   * parent inside the root, is 550.
   */
  async inParent<T>(real: string, change: (dir: PinnedDirectory, name: string) => Promise<T>): Promise<T> {
    const { dir, name } = await this.pinParent(real);
    try {
      return await fsCall(change(dir, name));
    } finally {
      await dir.close();
    }
  }

  /** Runs `change` with a path naming the root itself, through its own pin. */
  private async atRoot<T>(change: (self: OsPath) => Promise<T>): Promise<T> {
    const root = await this.pinDirectory(this.rootReal);
    try {
      return await fsCall(change(osPath(root.self)));
    } finally {
      await root.close();
    }
  }

  /**
   * The facts of the entry at `real` (from resolve or resolveEntry) as it is now, taken through its
   * pinned parent, so that they are never those of something outside the root that a rename moved
   * in since the check. A symlink is described as itself (lstat); resolve's paths have none as
   * their last component, so there one means the tree changed: 550.
   */
  async statEntry(real: string, options: { readonly symlink: 'itself' | 'refuse' }): Promise<BigIntStats> {
    if (real === this.rootReal) return this.atRoot((self) => stat(self, { bigint: true }));
    return this.inParent(real, async (dir, name) => {
      const info = await entryStats(dir, name);
      if (options.symlink === 'refuse' && info.isSymbolicLink()) throw outsideRoot();
      return info;
    });
  }

  /** The regular file at `real` (a resolved path's), open for reading (pinned.ts); 550 otherwise. */
  async openFileForReading(real: string): Promise<{ handle: FileHandle; size: number }> {
    if (real === this.rootReal) throw new FtpError(550, 'Is a directory.');
    return this.inParent(real, openRegularFile);
  }

  /**
   * Runs `change` with a path naming exactly the file or directory at `real` (a resolved path's),
   * never a symlink moved into its place since (pinned.ts); the root through its own pin.
   */
  async withEntryPath<T>(real: string, change: (path: OsPath) => Promise<T>): Promise<T> {
    if (real === this.rootReal) return this.atRoot(change);
    return this.inParent(real, (dir, name) => withEntryPath(dir, name, change));
  }
}

const DOT_DOT_COMPONENT = /(^|\/)\.\.(\/|$)/;

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(osPath(path))).isSymbolicLink();
  } catch {
    return false;
  }
}

function outsideRoot(): FtpError {
  // Said as "no such file", so a client cannot probe what lies outside its root.
  return new FtpError(550, 'No such file or directory.');
}

/** File-system errors as FTP replies (RFC 959 4.2.1: 550 unavailable, 553 name not allowed). */
export function asFtpError(error: unknown): FtpError {
  if (error instanceof FtpError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const [replyCode, message] = replyForSystemError(code);
  return new FtpError(replyCode, message, code);
}

function replyForSystemError(code: string | undefined): readonly [number, string] {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ELOOP': // a symlink cycle leads nowhere
      return [550, 'No such file or directory.'];
    case 'EACCES':
    case 'EPERM':
      return [550, 'Permission denied.'];
    case 'EEXIST':
      return [550, 'File exists.'];
    case 'ENOTEMPTY':
      return [550, 'Directory not empty.'];
    case 'EISDIR':
      return [550, 'Is a directory.'];
    case 'ENXIO': // a socket, or a FIFO with no reader, opened for writing
      return [550, 'Not a plain file.'];
    case 'ETXTBSY': // a program running: not to be replaced
      return [550, 'File busy.'];
    case 'EINVAL': // RNTO of a directory into itself
    case 'EBUSY':
      return [550, 'Operation not permitted on that path.'];
    case 'EXDEV':
      return [550, 'Cannot rename across file systems.'];
    case 'EROFS':
      return [550, 'Read-only file system.'];
    case 'ENAMETOOLONG':
      return [553, 'File name too long.'];
    case 'ENOSPC':
    case 'EDQUOT':
      return [552, 'Insufficient storage space.'];
    default:
      return [451, 'Local error in processing.'];
  }
}

/** Awaits a file-system call, turning its error into the FTP reply (550, 552, 553...). */
export async function fsCall<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw asFtpError(error);
  }
}
