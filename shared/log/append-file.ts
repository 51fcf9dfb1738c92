/**
 * A log file of lines (FTP's xferlog), appended to by the primary alone, on the services' behalf:
 * workers send it their lines (ServiceDefinition.primaryLogs, supervisor/primary-logs.ts).
 *
 * The primary keeps the user classicd started as, so the file keeps the owner and mode it has:
 * what logrotate's `create 0640 root adm` made stays so, and the workers, which run as
 * supervisor.user, can neither read nor rewrite the record of what their sessions did (vsftpd's
 * xferlog is its privileged process's too). Each line is one chunk of the write stream and the
 * file is opened with O_APPEND, so `copytruncate` works; after a rotation that moves the file,
 * SIGHUP reopens it at its path (reopen()).
 *
 * Opened with the primary's rights (root's, when it binds port 21), so it must not be led
 * elsewhere. When the workers switch users, a directory above the file that their user could
 * replace is refused, as sshd's StrictModes refuses such paths; and the file itself is opened
 * without following a symlink (and without waiting on a FIFO), and taken only if it is a plain
 * file with one link: a compromised worker must not get root to append to /etc/shadow.
 */
import { constants, type Stats, type WriteStream } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { nearestExisting } from '../fs/nearest-existing.js';
import { encodeRawBytes } from '../text/raw-bytes.js';
import type { Identity } from '../supervisor/privileges.js';

export interface AppendFileOptions {
  /** What the file is, for messages (`xferlog`). */
  readonly name: string;
  /** The workers' user, when they switch to one: paths it could change are refused. */
  readonly workers?: Identity | undefined;
  readonly log?: Logger | undefined;
}

export class AppendFile {
  private failed = false;
  private closed = false;

  private constructor(
    readonly path: string,
    private stream: WriteStream,
    private readonly options: AppendFileOptions,
  ) {
    this.watch(stream);
  }

  /**
   * Opens `path` (made, with the directories above it, if need be) for appending. Fails at start,
   * where a wrong path or permission is easy to see, rather than at the first line.
   */
  static async open(path: string, options: AppendFileOptions): Promise<AppendFile> {
    const full = resolve(path);
    return new AppendFile(full, await openForAppend(full, options), options);
  }

  /**
   * Appends one line (ending in its one newline, at most MAX_LINE_CHARS); returns at once. Lines
   * come from the workers, which may be compromised: anything else is dropped, as is every line
   * while more than MAX_QUEUED_BYTES wait for a disk that has stalled, rather than held in the
   * primary's memory. Each kind of drop is said once.
   */
  append(line: unknown): void {
    if (this.closed) return this.drop('a line came after the file was closed');
    if (typeof line !== 'string' || line.length > MAX_LINE_CHARS || line.indexOf('\n') !== line.length - 1) {
      return this.drop('a line that is not one line of the log');
    }
    if (this.stream.writableLength > MAX_QUEUED_BYTES) return this.drop('the disk is not keeping up');
    // A file name's bytes that are not UTF-8 (text/raw-bytes.ts) are written as themselves, as
    // ProFTPD writes them (vsftpd writes `?` for every byte above 0x7F, UTF-8 included).
    if (!this.failed) this.stream.write(encodeRawBytes(line));
  }

  /** Lines dropped since the last report, by why. */
  private readonly dropped = new Map<string, number>();

  private drop(why: string): void {
    const count = (this.dropped.get(why) ?? 0) + 1;
    this.dropped.set(why, count);
    // The first of each kind at once; how many in all at the next reopen or close (reportDrops).
    if (count === 1) this.options.log?.warn({ path: this.path }, `${this.options.name}: ${why}; dropped`);
  }

  /** How many lines were dropped, and why, since the last report: said at SIGHUP and at close. */
  private reportDrops(): void {
    if (this.dropped.size === 0) return;
    this.options.log?.warn(
      { path: this.path, dropped: Object.fromEntries(this.dropped) },
      `${this.options.name}: lines dropped since the last report`,
    );
    this.dropped.clear();
  }

  /**
   * SIGHUP: lines go to a file opened anew at the path from now on (logrotate has moved the old
   * one away), and the old stream is closed once its lines are out. If the path cannot be opened,
   * this rejects and lines go on to the old file.
   */
  async reopen(): Promise<void> {
    if (this.closed) return;
    this.reportDrops();
    const stream = await openForAppend(this.path, this.options);
    if (this.closed) {
      stream.end();
      return;
    }
    // The stream in use now, not the one before the await: of two reopens at once (logrotate runs
    // postrotate once per log), each ends the one before it, and none is left open.
    const old = this.stream;
    this.stream = stream;
    this.failed = false;
    this.watch(stream);
    old.end();
  }

  /** Flushes and closes (at shutdown, once the workers have sent their last lines). */
  close(): Promise<void> {
    this.reportDrops();
    this.closed = true;
    const stream = this.stream;
    if (stream.closed) return Promise.resolve();
    return new Promise((resolveClose) => stream.end(() => resolveClose()));
  }

  private watch(stream: WriteStream): void {
    stream.on('error', (error) => {
      if (stream !== this.stream) return; // the file before a reopen
      // A full disk or a removed directory must not take the server down; say it once.
      if (!this.failed) {
        this.options.log?.error(
          { err: error, path: this.path },
          `${this.options.name}: cannot write; lines are no longer logged`,
        );
      }
      this.failed = true;
    });
  }
}

/** A line longer than this is not a log line (an xferlog line with a 4 KiB path is under 5,000). */
const MAX_LINE_CHARS = 65_536;
/** How much may wait for the disk before lines are dropped. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

async function openForAppend(path: string, options: AppendFileOptions): Promise<WriteStream> {
  // Checked before anything is made: mkdir would follow a swapped link too.
  if (options.workers) await refuseDirectoriesWorkersControl(dirname(path), options.workers, options.name);
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, APPEND_FLAGS, 0o640);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${options.name} ${path}: not a plain file`);
    if (options.workers && info.nlink !== 1) {
      throw new Error(`${options.name} ${path}: a file with ${info.nlink} links; not appending to it as the primary`);
    }
    if (options.workers && writableBy(info, options.workers)) {
      // Left so by an older classicd, which gave the file to the workers at every SIGHUP, or by a
      // logrotate `create` or `copytruncate` that kept such an owner or mode.
      options.log?.warn(
        { path, uid: info.uid, gid: info.gid, mode: (info.mode & 0o777).toString(8) },
        `${options.name}: supervisor.user may write this file, so the workers could rewrite it; make it root's, mode 0640`,
      );
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  const stream = handle.createWriteStream();
  // A stream over a handle that is already open emits no 'open'; its errors are watched by AppendFile.
  return stream;
}

/**
 * The file's own name is checked when it is opened; the directories above it are checked here.
 * Were one of them replaceable by the workers' user (writable by it, and not a sticky directory
 * holding an entry of someone else's), a compromised worker could swap the log directory for a
 * link to another, and have root create a file there or append to one, as sshd's StrictModes
 * guards against. The log directory itself may be the workers' (only the file's name is used in it).
 */
async function refuseDirectoriesWorkersControl(logDirectory: string, workers: Identity, name: string): Promise<void> {
  // From the deepest directory that exists: the rest, root makes, in it. Where root will make a
  // directory, the workers' user must not be able to put a link of its own first, so that
  // directory may not be theirs to write (the log directory itself may be, once it exists).
  let child = await nearestExisting(logDirectory);
  if (child !== logDirectory && writableBy(await lstat(child), workers)) {
    throw new Error(
      `${name}: supervisor.user may write ${child}, where the directories for ${logDirectory} would be made; make them first`,
    );
  }
  for (let parent = dirname(child); ; child = parent, parent = dirname(parent)) {
    const [parentInfo, childInfo] = await Promise.all([lstat(parent), lstat(child)]);
    const writable = writableBy(parentInfo, workers);
    // In a sticky directory (/tmp) only an entry's owner, or the directory's, may rename it.
    const sticky = (parentInfo.mode & 0o1000) !== 0;
    const replaceable = writable && (!sticky || childInfo.uid === workers.uid || parentInfo.uid === workers.uid);
    if (replaceable) {
      throw new Error(
        `${name}: ${child} can be replaced by supervisor.user (through ${parent}); not writing there as the primary`,
      );
    }
    if (parent === dirname(parent)) return;
  }
}

/**
 * Whether `workers` (a uid and its one group, as they run) may write what `info` describes, now or
 * after a chmod: an owner may always give itself the write bit.
 */
function writableBy(info: Stats, workers: Identity): boolean {
  return (
    info.uid === workers.uid || (info.gid === workers.gid && (info.mode & 0o020) !== 0) || (info.mode & 0o002) !== 0
  );
}
