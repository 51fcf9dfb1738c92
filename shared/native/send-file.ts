/**
 * Zero-copy downloads: a file's bytes go from the page cache to a TCP socket with sendfile(2)
 * (native/src/send_file.c), as vsftpd and pyftpdlib send them, instead of being read into
 * JavaScript buffers and written back out.
 *
 * Only for a plain TCP socket (TLS encrypts in user space, so FTPS data goes through streams),
 * and only while nothing else writes to the socket. The native job holds a duplicate of the
 * socket's descriptor, so it is cancelled as soon as the socket closes, whoever closes it.
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { TLSSocket } from 'node:tls';
import { nativeAddon, type NativeAddon, type NativeJob } from './addon.js';

export interface SendFileJob {
  /** Bytes the kernel has taken so far. */
  readonly sent: number;
  /** Resolves with the bytes sent once the whole range is sent; rejects with an errno error. */
  readonly done: Promise<number>;
  /** Stops early; `done` then rejects with ECANCELED. */
  cancel(): void;
}

/** The descriptor of a plain TCP socket, or undefined (TLS, not connected, not a TCP handle). */
function plainSocketFd(socket: Socket): number | undefined {
  if (socket instanceof TLSSocket) return undefined;
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Whether `sendFileTo` can serve this socket. */
export function canSendFile(socket: Socket): boolean {
  return nativeAddon() !== undefined && plainSocketFd(socket) !== undefined;
}

/**
 * Sends `length` bytes of the open file `fileFd` from `offset` to `socket`. The caller keeps the
 * file open until `done` settles, and must not write to the socket meanwhile. Throws when
 * `canSendFile(socket)` is false.
 */
export function sendFileTo(socket: Socket, fileFd: number, offset: number, length: number): SendFileJob {
  const addon = nativeAddon();
  const socketFd = plainSocketFd(socket);
  if (!addon || socketFd === undefined) throw new Error('sendfile is not available for this socket');
  return new NativeSendFile(addon, socket, socketFd, fileFd, offset, length);
}

class NativeSendFile implements SendFileJob {
  readonly done: Promise<number>;
  private readonly job: NativeJob;
  private finalSent: number | undefined;

  constructor(
    private readonly addon: NativeAddon,
    socket: Socket,
    socketFd: number,
    fileFd: number,
    offset: number,
    length: number,
  ) {
    const cancel = (): void => this.cancel();
    let settle!: (result: number, sent: number) => void;
    this.done = new Promise<number>((resolve, reject) => {
      settle = (result, sent) => {
        this.finalSent = sent;
        socket.off('close', cancel);
        if (result === 0) resolve(sent);
        else reject(errnoError(result));
      };
    });
    this.job = addon.sendFileStart(socketFd, fileFd, offset, length, settle);
    socket.once('close', cancel);
  }

  get sent(): number {
    return this.finalSent ?? this.addon.sendFileSent(this.job);
  }

  cancel(): void {
    if (this.finalSent === undefined) this.addon.sendFileCancel(this.job);
  }
}

function errnoError(result: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(result);
  const error: NodeJS.ErrnoException = new Error(`sendfile: ${code}`);
  error.code = code;
  error.errno = result;
  error.syscall = 'sendfile';
  return error;
}
