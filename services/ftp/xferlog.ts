/**
 * The transfer log (`xferlog`), a line per RETR/STOR in vsftpd's format (xferlog-format.ts),
 * beside the pino protocol log.
 *
 * Every worker process appends to the same file. The file is opened with O_APPEND, and each record
 * is one chunk of the write stream, written by one write(2) (or several whole chunks by one
 * writev(2)): the kernel puts each at the end of the file as a whole, so lines from different
 * workers land between each other, never inside each other. Writes go through the stream, so a
 * slow disk never blocks the event loop; an empty path turns the log off. After logrotate moves the
 * file away, SIGHUP reopens it (reopen()); `copytruncate` works without that, as the file is
 * appended to.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { formatXferlogLine, type TransferRecord } from './xferlog-format.js';

export type { TransferRecord } from './xferlog-format.js';

export class XferLog {
  private failed = false;
  private closed = false;

  private constructor(
    readonly path: string,
    private stream: WriteStream | undefined,
    private readonly log: Logger | undefined,
  ) {
    if (stream) this.watch(stream);
  }

  /**
   * Opens (creating the directory and the file if needed) for appending. Fails at start, where a
   * wrong path or permission is easy to see, rather than at the first transfer.
   */
  static async open(path: string, log?: Logger): Promise<XferLog> {
    if (!path) return new XferLog('', undefined, log);
    const full = resolve(path);
    return new XferLog(full, await openForAppend(full), log);
  }

  /**
   * SIGHUP: writes go to a file opened anew at the path from now on (logrotate has moved the old
   * one away), and the old stream is closed once its lines are out. If the path cannot be opened,
   * this rejects and lines go on to the old file.
   */
  async reopen(): Promise<void> {
    if (!this.stream || this.closed) return;
    const stream = await openForAppend(this.path);
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

  private watch(stream: WriteStream): void {
    stream.on('error', (error) => {
      if (stream !== this.stream) return; // the file before a reopen
      // A full disk or a removed directory must not take the sessions down; say it once.
      if (!this.failed)
        this.log?.error({ err: error, path: this.path }, 'xferlog: cannot write; transfers are no longer logged');
      this.failed = true;
    });
  }

  get enabled(): boolean {
    return this.stream !== undefined;
  }

  /** Appends one line; returns at once. A no-op when the log is off. */
  record(record: TransferRecord): void {
    if (!this.stream || this.failed) return;
    // write()'s return is not waited on: a line per finished transfer cannot outrun the disk.
    this.stream.write(formatXferlogLine(record));
  }

  /** Flushes and closes (tests, shutdown). */
  close(): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    if (!stream || stream.closed) return Promise.resolve();
    return new Promise((resolveClose) => stream.end(() => resolveClose()));
  }
}

async function openForAppend(path: string): Promise<WriteStream> {
  await mkdir(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: 'a', mode: 0o640 });
  await new Promise<void>((resolveOpen, reject) => {
    stream.once('open', () => {
      stream.off('error', reject);
      resolveOpen();
    });
    stream.once('error', reject);
  });
  return stream;
}
