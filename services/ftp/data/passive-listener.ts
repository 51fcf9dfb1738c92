/**
 * One passive (PASV/EPSV) listener, waiting for one data connection from the client.
 *
 * Only a connection from the control connection's own IP address is taken. Anyone else who
 * connects (a port scanner, or someone racing the client for its data, the "port theft" of RFC 2577
 * section 5 / CERT VU#2558) is cut off and logged, and the listener goes on waiting for the client,
 * whose transfer still succeeds. Once the client's connection is in, the listener closes, so the
 * port is free again and no second connection can arrive.
 *
 * The client may connect before it sends RETR/STOR (most do, right after the 227/229 reply); that
 * connection is held until the transfer asks for it.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { canonicalAddress } from '../../../shared/net/cidr.js';
import { FtpError } from '../errors.js';
import { abortReason } from './abort-reason.js';
import type { PassivePort } from './passive-ports.js';

export class PassiveListener {
  private accepted: Socket | undefined;
  private waiter: { resolve: (socket: Socket) => void; reject: (error: Error) => void } | undefined;
  private closed = false;

  readonly port: number;

  constructor(
    private readonly listening: PassivePort,
    /** The control connection's peer, canonical (no `::ffff:` prefix). */
    private readonly clientAddress: string,
    /** Called only to write a line, so a session's logger is made only if it has one to write. */
    private readonly log: () => Logger,
  ) {
    const { server, port } = listening;
    this.port = port;
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', (error) => this.log().warn({ err: error, dataPort: port }, 'passive listener error'));
  }

  /**
   * The client's data connection: the one already accepted, or the next to arrive. Rejects with
   * 425 after `timeoutMs`, or with the signal's reason when it fires. The listener is spent
   * either way.
   */
  take(timeoutMs: number, signal: AbortSignal): Promise<Socket> {
    if (this.accepted) {
      const socket = this.accepted;
      this.accepted = undefined;
      this.close();
      if (socket.destroyed) return Promise.reject(cannotOpen());
      return Promise.resolve(socket);
    }
    if (this.closed) return Promise.reject(cannotOpen());
    return new Promise<Socket>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        this.close();
      };
      const timer = setTimeout(() => {
        this.log().info({ dataPort: this.port, timeoutMs }, 'passive data connection never came');
        settle();
        reject(cannotOpen());
      }, timeoutMs);
      timer.unref();
      const onAbort = (): void => {
        settle();
        reject(abortReason(signal));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (socket) => {
          settle();
          resolve(socket);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
    });
  }

  /** Stops listening and drops a connection not yet taken. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listening.close();
    this.accepted?.destroy();
    this.accepted = undefined;
    this.waiter?.reject(cannotOpen());
  }

  private onConnection(socket: Socket): void {
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.log().debug({ code: error.code, dataPort: this.port }, 'data connection error'),
    );
    const from = canonicalAddress(socket.remoteAddress ?? '');
    if (from !== this.clientAddress) {
      // Not the client: refuse, and keep the port open for the client's own connection.
      this.log().warn(
        { dataPort: this.port, from: `${from}:${socket.remotePort ?? 0}`, expected: this.clientAddress },
        'passive data connection from a foreign address refused',
      );
      socket.destroy();
      return;
    }
    if (this.closed || this.accepted) {
      socket.destroy();
      return;
    }
    if (this.waiter) return this.waiter.resolve(socket);
    this.accepted = socket;
    // Held for the transfer to come; the port is no longer needed.
    this.listening.close();
  }
}

function cannotOpen(): FtpError {
  return new FtpError(425, "Can't open data connection.");
}
