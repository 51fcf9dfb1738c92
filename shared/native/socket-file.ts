/**
 * Moving file bytes between a TCP socket and a file in native code (native/src): downloads by
 * sendfile(2), uploads by read(2) and pwrite(2) with early write-back or past the page cache,
 * instead of through Node streams, which cost a JavaScript buffer and stream bookkeeping per chunk.
 *
 * Only for a plain TCP socket (TLS encrypts in user space, so FTPS data goes through streams),
 * and only while nothing else reads or writes the socket. A native job holds a duplicate of the
 * socket's descriptor, so it is cancelled as soon as the socket closes, whoever closes it.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { nativeAddon, type NativeAddon, type NativeJob } from './addon.js';
import { plainSocketFd } from './socket-fd.js';

export interface SocketFileJob {
  /** Bytes moved so far (sent to the socket, or read from it). */
  readonly progress: number;
  /**
   * Resolves with the bytes moved once done: a download has sent the whole range, an upload has
   * met the client's FIN and written every byte. Rejects with an errno error (`syscall` is
   * `sendfile` or `receive`), ECANCELED after `cancel()` or the socket's close.
   */
  readonly done: Promise<number>;
  cancel(): void;
}

/** Whether `sendFileTo` and `receiveFileFrom` can serve this socket. */
export function canMoveFileBytes(socket: Socket): boolean {
  return nativeAddon() !== undefined && plainSocketFd(socket) !== undefined;
}

/**
 * Sends `length` bytes of the open file `fileFd` from `offset` to `socket`. The caller keeps the
 * file open until `done` settles and does not write to the socket meanwhile.
 */
export function sendFileTo(socket: Socket, fileFd: number, offset: number, length: number): SocketFileJob {
  const addon = requireAddon();
  return new NativeSocketFileJob(addon, socket, 'sendfile', (socketFd, settle) =>
    addon.sendFileStart(socketFd, fileFd, offset, length, settle),
  );
}

export interface ReceiveOptions {
  /** Start each range's write-back to disk as it is written (sync_file_range), for a sooner fsync. */
  readonly writeBack: boolean;
  /**
   * Write past the page cache (O_DIRECT) where the file system allows it and `offset` is a whole
   * number of blocks: for a file made for this upload, which nobody reads while it is written. The
   * job opens the file again for that and closes it when it ends; `fileFd` keeps its flags.
   */
  readonly direct: boolean;
}

/**
 * Reads `socket` until the client's FIN and writes the bytes to the open file `fileFd` from
 * `offset`. The socket must not have been read from (a paused data connection), and nothing else
 * reads it meanwhile.
 */
export function receiveFileFrom(
  socket: Socket,
  fileFd: number,
  offset: number,
  options: ReceiveOptions,
): SocketFileJob {
  const addon = requireAddon();
  if (socket.readableLength > 0 || socket.readableFlowing === true) {
    throw new Error('the socket has been read from; its bytes would be split between two readers');
  }
  return new NativeSocketFileJob(addon, socket, 'receive', (socketFd, settle) =>
    addon.receiveFileStart(socketFd, fileFd, offset, options.writeBack, options.direct, settle),
  );
}

function requireAddon(): NativeAddon {
  const addon = nativeAddon();
  if (!addon) throw new Error('the native addon is not available');
  return addon;
}

type Settle = (result: number, count: number) => void;

class NativeSocketFileJob implements SocketFileJob {
  readonly done: Promise<number>;
  private readonly job: NativeJob;
  private finalCount: number | undefined;

  constructor(
    private readonly addon: NativeAddon,
    socket: Socket,
    syscall: string,
    start: (socketFd: number, settle: Settle) => NativeJob,
  ) {
    const socketFd = plainSocketFd(socket);
    if (socketFd === undefined) throw new Error('not a plain TCP socket');
    const cancel = (): void => this.cancel();
    let settle!: Settle;
    this.done = new Promise<number>((resolve, reject) => {
      settle = (result, count) => {
        this.finalCount = count;
        socket.off('close', cancel);
        if (result === 0) resolve(count);
        else reject(errnoError(result, syscall));
      };
    });
    this.job = start(socketFd, settle);
    socket.once('close', cancel);
  }

  get progress(): number {
    return this.finalCount ?? this.addon.jobProgress(this.job);
  }

  cancel(): void {
    if (this.finalCount === undefined) this.addon.jobCancel(this.job);
  }
}

function errnoError(result: number, syscall: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(result);
  const error: NodeJS.ErrnoException = new Error(`${syscall}: ${code}`);
  error.code = code;
  error.errno = result;
  error.syscall = syscall;
  return error;
}
