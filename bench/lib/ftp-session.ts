/**
 * A bare FTP client for the load generator: one control connection, replies parsed as RFC 959
 * section 4.2 shapes them, EPSV data connections (RFC 2428), binary RETR into a byte counter and
 * binary STOR from one shared buffer. Nothing is read from or written to disk on this side, so the
 * client is not what limits a transfer. Every wait is bounded by the caller's deadline.
 */
import { connect, type Socket } from 'node:net';

export const HOST = '127.0.0.1';

export interface Reply {
  readonly code: number;
  readonly text: string;
}

export class FtpError extends Error {
  constructor(
    message: string,
    /** A short, stable label for error tallies: a reply code, an errno code, TIMEOUT, CLOSED. */
    readonly label: string,
  ) {
    super(message);
  }
}

/** Rejects with TIMEOUT after `ms` unless `promise` settles first. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new FtpError(`${what}: no answer within ${ms} ms`, 'TIMEOUT')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Connects; with `sink`, the socket reads into one reused buffer and hands each read's length to
 * `sink` (net.connect's `onread`), so a download costs the client no allocation per chunk.
 */
function openSocket(port: number, sink?: (bytes: number) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: HOST,
      port,
      ...(sink ? { onread: { buffer: READ_BUFFER, callback: (bytes: number) => (sink(bytes), true) } } : {}),
    });
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(new FtpError(`connect :${port}: ${error.message}`, error.code ?? 'ERROR'));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** Where every download in this process reads into: the bytes are counted, never looked at. */
const READ_BUFFER = Buffer.alloc(1024 * 1024);

export class FtpSession {
  private buffered = '';
  private firstLine: string | undefined;
  private readonly replies: Reply[] = [];
  private waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  private closedError: FtpError | undefined;
  private binary = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.receive(text));
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(new FtpError(error.message, error.code ?? 'ERROR')));
    socket.on('close', () => this.fail(new FtpError('control connection closed', 'CLOSED')));
  }

  /** Connects and reads the greeting, which must be 220. */
  static async open(port: number): Promise<FtpSession> {
    const session = new FtpSession(await openSocket(port));
    const greeting = await session.reply();
    if (greeting.code !== 220) {
      session.destroy();
      throw new FtpError(`greeting: ${greeting.code} ${greeting.text}`, String(greeting.code));
    }
    return session;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** The next reply. */
  reply(): Promise<Reply> {
    const next = this.replies.shift();
    if (next) return Promise.resolve(next);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Sends a command and reads its reply; throws unless the reply's code is one of `expected`. */
  async command(line: string, ...expected: number[]): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    const reply = await this.reply();
    if (expected.length > 0 && !expected.includes(reply.code)) {
      throw new FtpError(`${line.split(' ')[0]}: ${reply.code} ${reply.text}`, String(reply.code));
    }
    return reply;
  }

  async loginAnonymous(): Promise<void> {
    const user = await this.command('USER anonymous', 230, 331);
    if (user.code === 331) await this.command('PASS bench@example.org', 230);
  }

  /**
   * EPSV, then a connection to the port it names (on the control connection's host); TYPE I first,
   * once. With `sink`, what arrives on the connection is counted into it and dropped.
   */
  async openData(sink?: (bytes: number) => void): Promise<Socket> {
    if (!this.binary) {
      await this.command('TYPE I', 200);
      this.binary = true;
    }
    const reply = await this.command('EPSV', 229);
    const match = /\((.)\1\1(\d+)\1\)/.exec(reply.text);
    if (!match) throw new FtpError(`EPSV: unparsable reply ${reply.text}`, 'EPSV');
    return openSocket(Number(match[2]), sink);
  }

  /**
   * RETR `path` into a counter. Resolves with the bytes received once both the data connection has
   * ended and the final reply is 226 (or 250).
   */
  async retrieve(path: string): Promise<number> {
    let bytes = 0;
    const data = await this.openData((count) => (bytes += count));
    const ended = new Promise<void>((resolve, reject) => {
      data.once('end', resolve);
      data.once('error', (error: NodeJS.ErrnoException) =>
        reject(new FtpError(`RETR data: ${error.message}`, error.code ?? 'ERROR')),
      );
    });
    ended.catch(() => undefined); // a refused RETR is reported by its reply, not by the data socket
    try {
      await this.command(`RETR ${path}`, 150, 125);
      await ended;
      const final = await this.reply();
      if (final.code !== 226 && final.code !== 250) {
        throw new FtpError(`RETR: ${final.code} ${final.text}`, String(final.code));
      }
      return bytes;
    } finally {
      data.destroy();
    }
  }

  /**
   * STOR `path` with `size` bytes taken round and round from `source`, honouring backpressure.
   * Resolves once the final reply (226) has come: the server has the whole file.
   */
  async store(path: string, size: number, source: Buffer): Promise<void> {
    const data = await this.openData();
    try {
      await this.command(`STOR ${path}`, 150, 125);
      await new Promise<void>((resolve, reject) => {
        let sent = 0;
        data.once('error', (error: NodeJS.ErrnoException) =>
          reject(new FtpError(`STOR data: ${error.message}`, error.code ?? 'ERROR')),
        );
        const pump = (): void => {
          while (sent < size) {
            const length = Math.min(source.length, size - sent);
            sent += length;
            if (!data.write(length === source.length ? source : source.subarray(0, length))) {
              data.once('drain', pump);
              return;
            }
          }
          data.end(resolve);
        };
        pump();
      });
      const final = await this.reply();
      if (final.code !== 226 && final.code !== 250) {
        throw new FtpError(`STOR: ${final.code} ${final.text}`, String(final.code));
      }
    } finally {
      data.destroy();
    }
  }

  /** QUIT, and wait for the server to close (bounded by the caller). */
  async quit(): Promise<void> {
    if (this.closed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.write('QUIT\r\n');
    await closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.buffered += text;
    let end: number;
    while ((end = this.buffered.indexOf('\n')) !== -1) {
      const line = this.buffered.slice(0, end).replace(/\r$/, '');
      this.buffered = this.buffered.slice(end + 1);
      // A reply is complete on a line with the first line's code and a space (RFC 959 4.2).
      if (this.firstLine === undefined) {
        if (line[3] === '-') {
          this.firstLine = line;
          continue;
        }
      } else if (!(line.startsWith(this.firstLine.slice(0, 3)) && line[3] === ' ')) {
        continue;
      }
      this.firstLine = undefined;
      this.deliver({ code: Number(line.slice(0, 3)), text: line.slice(4) });
    }
  }

  private deliver(reply: Reply): void {
    const waiter = this.waiting;
    if (waiter) {
      this.waiting = undefined;
      waiter.resolve(reply);
    } else {
      this.replies.push(reply);
    }
  }

  private fail(error: FtpError): void {
    this.closedError ??= error;
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.reject(error);
  }
}
