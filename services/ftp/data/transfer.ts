/**
 * Running one transfer over the data connection, the same way for every command that needs one
 * (RETR, STOR, STOU, APPE, LIST, NLST, MLSD).
 *
 * The order is RFC 959's (5.4, "command-reply sequences"): a 1xx reply, then the data connection is
 * opened, the data moves, and one final reply follows:
 * - 226 once every byte is on its way (download) or written, fsynced and renamed into place (upload);
 * - 425 when the data connection cannot be opened;
 * - 426 when it breaks: the client closed or reset it, it moved nothing for `dataTimeoutMs`, or
 *   ABOR stopped it (the ABOR command then answers 226 itself, RFC 959 4.1.3);
 * - 451/452/552 for a local error (a read or write failing on disk).
 * The transfer runs in the background (FtpSession.startTransfer) so ABOR, STAT, NOOP and QUIT can
 * be read while it does. Bytes move with stream.pipeline, so a slow client or disk is backpressure.
 */
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Socket } from 'node:net';
import {
  canMoveFileBytes,
  receiveFileFrom,
  sendFileTo,
  type SocketFileJob,
} from '../../../shared/native/socket-file.js';
import { tcpBytesMoved, type TcpDirection } from '../../../shared/native/tcp-progress.js';
import { IdleWatch, type IdleWatched } from '../../../shared/supervisor/idle-watch.js';
import { FtpError } from '../errors.js';
import type { AnnounceTransfer, FtpSession } from '../session.js';
import { FromNetworkAscii, ToNetworkAscii } from './ascii-transforms.js';
import { endedCleanly } from './clean-end.js';
import { FILE_CHUNK_BYTES } from './file-chunk.js';
import { Throttle } from './throttle.js';
import type { UploadSink } from './upload-file.js';

export interface DownloadOptions {
  /** For logs and STAT: `RETR /pub/file.txt`. */
  readonly description: string;
  /** The 150 reply's text, e.g. `Opening BINARY mode data connection for file.txt (1234 bytes).` */
  readonly openingText: string;
  /**
   * What to send: an open file (RETR), which goes by sendfile(2) where it can (see `runDownload`)
   * and is streamed otherwise, and which the transfer closes whatever happens; or a function that
   * makes a stream once the data connection is up (listings), piped with backpressure.
   */
  readonly content: FileSource | (() => Promise<Readable>);
  /** `A`: LF becomes CRLF on the way out (RFC 959 3.1.1.1); listings always pass `A`. */
  readonly type: 'A' | 'I';
  /** Called once with the outcome, for the xferlog (RETR only). */
  readonly onFinished?: (outcome: TransferOutcome) => void;
}

/** An open file to send, bytes `start` up to `end` (its size when opened). */
export interface FileSource {
  readonly handle: FileHandle;
  readonly start: number;
  readonly end: number;
  /** TYPE A from a restart point: ToNetworkAscii's state there (ascii-offsets.ts). */
  readonly asciiLastWasCr?: boolean;
}

export interface UploadOptions {
  readonly description: string;
  readonly openingText: string;
  /**
   * Where the bytes go; `commit` runs after the last byte is written, before 226. Called before
   * the 150 reply, so a file that cannot be created is refused (550/553) before any data
   * connection is opened; `discard` runs on every failure after it.
   */
  readonly sink: () => Promise<UploadSink>;
  /** `A`: CRLF becomes LF on the way in. */
  readonly type: 'A' | 'I';
  /** The 226 text, e.g. `Transfer complete.` or STOU's `Transfer complete (unique file name: x).` */
  readonly completeText?: string;
  readonly onFinished?: (outcome: TransferOutcome) => void;
}

export interface TransferOutcome {
  readonly completed: boolean;
  readonly bytes: number;
  readonly durationMs: number;
}

/** After a download's 226, how long the client gets to close its side before we cut it. */
const CLOSE_LINGER_MS = 10_000;
/** The data timeouts of all of a worker's transfers (see TransferRun.watchProgress). */
const transferIdleWatch = new IdleWatch();

/**
 * 425 unless PASV/EPSV/PORT/EPRT has set up a data connection; 521 (RFC 4217) for a `tlsRequired`
 * account under PROT C, as vsftpd's force_local_data_ssl: the files of an account whose password
 * must not cross in clear should not either. Checked before any 1xx reply.
 */
export function requireDataConnection(session: FtpSession): void {
  if (session.account?.tlsRequired && session.dataProtection !== 'P') {
    throw new FtpError(521, 'Data connection cannot be opened with this PROT setting; this account needs PROT P.');
  }
  if (!session.data.ready) throw new FtpError(425, 'Use PORT, EPRT, PASV or EPSV first.');
}

export function startDownload(session: FtpSession, options: DownloadOptions): void {
  requireDataConnection(session);
  session.startTransfer(options.description, 'download', (signal, announce) =>
    runDownload(session, options, signal, announce),
  );
}

export function startUpload(session: FtpSession, options: UploadOptions): void {
  requireDataConnection(session);
  session.startTransfer(options.description, 'upload', (signal, announce) =>
    runUpload(session, options, signal, announce),
  );
}

async function runDownload(
  session: FtpSession,
  options: DownloadOptions,
  signal: AbortSignal,
  announce: AnnounceTransfer,
): Promise<void> {
  const run = new TransferRun(session, options.description, 'sent', signal);
  const { content } = options;
  let stream: Readable | undefined;
  try {
    await announce(options.openingText);
    const socket = await run.openData();
    const native = options.type === 'I' && !run.throttled && session.config.nativeTransfers;
    if (typeof content !== 'function' && native && canMoveFileBytes(socket)) {
      await run.sendFile(content, socket);
    } else {
      stream = typeof content === 'function' ? await content() : streamFrom(content);
      const afterCr = typeof content === 'function' ? false : (content.asciiLastWasCr ?? false);
      const stages: Transform[] = options.type === 'A' ? [new ToNetworkAscii(afterCr), run.meter] : [run.meter];
      // A file is checked for all its bytes before the socket's FIN, which would tell the client
      // it has the whole file.
      if (typeof content !== 'function') stages.unshift(new WholeFileCheck(content, run));
      // Resolves once the socket has flushed its last byte and sent FIN (its 'finish').
      await pipeline([run.watchFile(stream), ...stages, socket], { signal });
    }
    run.finish(true, options.onFinished);
    lingerThenClose(socket);
    await session.reply(226, 'Transfer complete.');
  } catch (error) {
    run.finish(false, options.onFinished);
    run.closeData();
    throw run.failure(error);
  } finally {
    stream?.destroy();
    // Not awaited: the next command need not wait for a thread-pool round trip after the 226.
    if (typeof content !== 'function') content.handle.close().catch(() => undefined);
  }
}

/** Passes a file's bytes on; at their end, fails the transfer if they were fewer than the file had. */
class WholeFileCheck extends Transform {
  private seen = 0;

  constructor(
    private readonly file: FileSource,
    private readonly run: TransferRun,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.run.checkWhole(this.file, this.seen);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/** A read stream over the file's range; it leaves the handle open (runDownload closes it). */
function streamFrom(file: FileSource): Readable {
  if (file.end <= file.start) return Readable.from([]);
  // `end` is inclusive in createReadStream.
  return file.handle.createReadStream({
    start: file.start,
    end: file.end - 1,
    highWaterMark: FILE_CHUNK_BYTES,
    autoClose: false,
  });
}

async function runUpload(
  session: FtpSession,
  options: UploadOptions,
  signal: AbortSignal,
  announce: AnnounceTransfer,
): Promise<void> {
  const run = new TransferRun(session, options.description, 'received', signal);
  let sink: UploadSink;
  try {
    sink = await options.sink();
  } catch (error) {
    // Refused as the file was opened (permissions, a full disk, a file busy): the transfer is over
    // before it began, and its xferlog line says so like any other.
    run.finish(false, options.onFinished);
    throw error;
  }
  try {
    await announce(options.openingText);
    const socket = await run.openData();
    if (options.type === 'I' && !run.throttled && session.config.nativeTransfers && canMoveFileBytes(socket)) {
      await run.receiveFile(sink, socket);
    } else {
      socket.allowHalfOpen = true; // see clean-end.ts
      const stages = options.type === 'A' ? [run.meter, new FromNetworkAscii()] : [run.meter];
      await pipeline([socket, ...stages, run.watchFile(sink.stream())], { signal });
      // The client's FIN is the end of the file in stream mode (RFC 959 3.4.1); a reset is not, and
      // neither is a client that dropped the control connection as it went.
      if (!(await run.endedCleanly())) throw new FtpError(426, 'Data connection reset; transfer aborted.');
    }
    signal.throwIfAborted();
    // RFC 959 4.2: 226 means the action succeeded, so only once the file is whole and in place.
    await sink.commit();
    run.finish(true, options.onFinished);
    run.closeData();
    await session.reply(226, options.completeText ?? 'Transfer complete.');
  } catch (error) {
    await sink
      .discard()
      .catch((discardError: unknown) =>
        session.log.error({ err: discardError, transfer: options.description }, 'could not discard a failed upload'),
      );
    run.finish(false, options.onFinished);
    run.closeData();
    throw run.failure(error);
  }
}

/** One transfer's bookkeeping: the data socket, byte count, timing, and why it failed. */
class TransferRun {
  readonly meter: Throttle;
  /** Whether a rate limit applies, so bytes must pass through `meter`. */
  readonly throttled: boolean;
  private readonly startedAt = performance.now();
  private socket: Socket | undefined;
  /** The TCP socket under `socket` (the same one without TLS). */
  private tcp: Socket | undefined;
  /** The native job moving the bytes, outside `meter`, if there is one (kept once done: its count). */
  private nativeJob: SocketFileJob | undefined;
  /** Watched for dataTimeoutMs without progress while the data connection is open. */
  private idleWatched: IdleWatched | undefined;
  /**
   * The data connection's error, if it failed before the file's side. A pipeline destroys all its
   * streams with the error of the one that failed, so each side sees the other's error too: only
   * the first one tells where it began (a full disk is 452, not a broken connection's 426).
   */
  private socketError: unknown;
  /** The file's side of a stream transfer failed first (see `socketError`). */
  private fileFailedFirst = false;
  private timedOut = false;
  private finished = false;

  constructor(
    private readonly session: FtpSession,
    private readonly description: string,
    /** The way the file's bytes go: only progress that way keeps the transfer alive. */
    private readonly direction: TcpDirection,
    private readonly signal: AbortSignal,
  ) {
    const rate = session.account?.maxRateBytesPerSecond ?? 0;
    const limiter = session.data.rateLimiter(rate);
    this.throttled = limiter !== undefined;
    this.meter = new Throttle(limiter);
  }

  get bytes(): number {
    return this.meter.bytes + (this.nativeJob?.progress ?? 0);
  }

  /** Sends the rest of the file with sendfile(2), then ends the socket (FIN). */
  async sendFile(file: FileSource, socket: Socket): Promise<void> {
    this.signal.throwIfAborted(); // ABOR may have come while the data connection opened
    const sent = await this.watch(sendFileTo(socket, file.handle.fd, file.start, Math.max(0, file.end - file.start)));
    this.checkWhole(file, sent); // before the FIN, which would tell the client it has the whole file
    socket.end();
    await finished(socket, { readable: false });
  }

  /** Reads the socket into the upload's file until the client's FIN; every byte is written then. */
  async receiveFile(sink: UploadSink, socket: Socket): Promise<void> {
    this.signal.throwIfAborted();
    await this.watch(receiveFileFrom(socket, sink.handle.fd, sink.start, { writeBack: true, direct: sink.newFile }));
  }

  /**
   * A download that read fewer bytes than the file had when it was opened sent a truncated copy:
   * someone shortened the file meanwhile. The client must not take it for the file with a 226, so
   * it is a local error, 451 (RFC 959 4.2, "local error in processing").
   */
  checkWhole(file: FileSource, bytesRead: number): void {
    const expected = Math.max(0, file.end - file.start);
    if (bytesRead >= expected) return;
    this.session.log.warn({ transfer: this.description, expected, bytesRead }, 'file shrank while being sent');
    // A reset, not a FIN: a client that does not wait for the reply sees the copy is cut short.
    // Plain TCP only: resetting the socket under a live TLS socket can crash Node (seen in a
    // review's tests on 20 and 22); under TLS the pipeline's destroy ends it.
    if (this.tcp && this.socket === this.tcp) this.tcp.resetAndDestroy();
    throw new FtpError(451, 'File shrank while being sent; transfer aborted.');
  }

  /** Waits for a native job, counting its bytes; ABOR cancels the job. Resolves with its count. */
  private async watch(job: SocketFileJob): Promise<number> {
    const cancel = (): void => job.cancel();
    this.signal.addEventListener('abort', cancel, { once: true });
    this.nativeJob = job;
    try {
      return await job.done;
    } finally {
      this.signal.removeEventListener('abort', cancel);
    }
  }

  /** After an upload's last byte: whether the client ended it or the connection was reset (clean-end.ts). */
  endedCleanly(): Promise<boolean> {
    return this.socket && this.tcp ? endedCleanly(this.socket, this.tcp) : Promise.resolve(false);
  }

  async openData(): Promise<Socket> {
    const { socket, tcp } = await this.session.data.open(this.signal, this.direction === 'sent');
    this.socket = socket;
    this.tcp = tcp;
    socket.on('error', (error) => {
      if (!this.fileFailedFirst) this.socketError ??= error;
    });
    this.watchProgress(socket, tcp);
    return socket;
  }

  /**
   * A transfer times out when it has moved nothing for dataTimeoutMs: the client is gone or stuck
   * (a throttled stream still moves several times a second). Progress is not Node's reads and
   * writes, as socket.setTimeout would see them: a native job moves bytes without either, and a
   * slow client drains a send buffer of several MiB for minutes while Node, its last write still
   * queued, writes nothing. It is the kernel's count for the connection in the transfer's
   * direction (tcp_progress.c; bytes the client sends on a download's connection do not count),
   * plus the stream's and the native job's own counts for when the kernel keeps none. The sessions'
   * idle watch samples it, on one timer per timeout value for all of a worker's transfers.
   */
  private watchProgress(socket: Socket, tcp: Socket): void {
    const { dataTimeoutMs } = this.session.config;
    this.idleWatched = {
      idleTimeoutMs: dataTimeoutMs,
      activity: () => (tcpBytesMoved(tcp, this.direction) ?? 0) + this.bytes,
      onIdle: () => {
        if (this.timedOut) return;
        this.timedOut = true;
        this.session.log.info({ transfer: this.description, dataTimeoutMs }, 'data connection timed out');
        socket.destroy();
      },
    };
    transferIdleWatch.watch(this.idleWatched);
  }

  closeData(): void {
    this.stopWatching();
    this.socket?.destroy();
  }

  private stopWatching(): void {
    if (this.idleWatched) transferIdleWatch.unwatch(this.idleWatched);
    this.idleWatched = undefined;
  }

  finish(completed: boolean, onFinished: ((outcome: TransferOutcome) => void) | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.stopWatching();
    const outcome = { completed, bytes: this.bytes, durationMs: Math.round(performance.now() - this.startedAt) };
    // Into the session's totals (its end line, the bytes metrics), which count its control socket.
    if (this.direction === 'sent') this.session.context.countBytes(0, outcome.bytes);
    else this.session.context.countBytes(outcome.bytes, 0);
    // Through logInfo, not session.log: a session that transfers and then sits idle need not
    // keep a child logger for this line (see SessionContext.logInfo).
    this.session.context.logInfo(
      { transfer: this.description, ...outcome },
      completed ? 'transfer complete' : 'transfer failed',
    );
    try {
      onFinished?.(outcome);
    } catch (error) {
      this.session.log.error({ err: error, transfer: this.description }, 'transfer outcome callback failed');
    }
  }

  /** Notes whether the file's side of a stream transfer fails first (see `socketError`). */
  watchFile<T extends Readable | Writable>(stream: T): T {
    stream.once('error', () => {
      if (this.socketError === undefined) this.fileFailedFirst = true;
    });
    return stream;
  }

  /** The final reply for a transfer that did not complete. */
  failure(error: unknown): FtpError {
    if (this.signal.aborted) return new FtpError(426, 'Connection closed; transfer aborted.');
    if (this.timedOut) return new FtpError(426, 'Data connection timed out; transfer aborted.');
    if (error instanceof FtpError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    // The data connection broke (reset, closed early by the client, TLS failure on it).
    if (error === this.socketError || code === 'ERR_STREAM_PREMATURE_CLOSE' || brokenUnderNativeJob(error)) {
      return new FtpError(426, 'Data connection closed; transfer aborted.');
    }
    // With the system's code, so that the session logs what the admin must see to (session.ts).
    switch (code) {
      case 'ENOSPC':
        return new FtpError(452, 'Insufficient storage space.', code);
      case 'EDQUOT':
      case 'EFBIG':
        return new FtpError(552, 'Exceeded storage allocation.', code);
      default:
        this.session.log.error({ err: error, transfer: this.description }, 'transfer failed: local error');
        return new FtpError(451, 'Transfer aborted: local error in processing.');
    }
  }
}

/** A native job found the data connection gone: the client closed or reset it, or it was closed here. */
function brokenUnderNativeJob(error: unknown): boolean {
  const { syscall, code } = (error ?? {}) as NodeJS.ErrnoException;
  const native = syscall === 'sendfile' || syscall === 'receive';
  return native && (code === 'EPIPE' || code === 'ECONNRESET' || code === 'ECANCELED');
}

/**
 * After a download our side is closed (FIN sent); let the client close its side, reading and
 * dropping anything it sends, so no RST can overtake data still in flight to it (a TLS client
 * also sends its close_notify here). A client that never closes is cut after a while.
 */
function lingerThenClose(socket: Socket): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
}
