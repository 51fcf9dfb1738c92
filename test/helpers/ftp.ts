/**
 * A minimal FTP client for tests, over plain `net` sockets: send a command, read a reply (RFC 959
 * section 4.2, multi-line included), open passive data connections. Every wait is bounded and ends
 * on an event, never on a sleep.
 *
 *   const ftp = await FtpClient.connect(server.port('ftp'));
 *   await ftp.login();                          // anonymous
 *   const data = await ftp.epsv();              // or ftp.pasv()
 *   expect((await ftp.command('RETR f')).code).toBe(150);
 *   const bytes = await readAll(data);
 *   expect((await ftp.reply()).code).toBe(226);
 *   ftp.close();
 */
import { connect, createServer, type Socket } from 'node:net';
import { encodeRawBytes } from '../../shared/text/raw-bytes.js';
import { FtpReplyReader, type FtpReply } from './ftp-replies.js';

export type { FtpReply } from './ftp-replies.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  readonly host?: string;
  /** Bind the client's side here, e.g. `127.0.0.2` to come from another address on lo. */
  readonly localAddress?: string;
}

export class FtpClient {
  private readonly replies = new FtpReplyReader();
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.replies.feedBytes(chunk));
    socket.on('error', () => undefined); // seen as a close; tests assert on replies
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.replies.end();
        resolve();
      }),
    );
  }

  /** Connects and reads the 220 greeting (available as `greeting`). */
  static async connect(port: number, options: ConnectOptions = {}): Promise<FtpClient & { greeting: FtpReply }> {
    const socket = await connectSocket(port, options.host ?? '127.0.0.1', options.localAddress);
    const client = new FtpClient(socket) as FtpClient & { greeting: FtpReply };
    client.greeting = await client.reply();
    return client;
  }

  /** Sends one command line (CRLF added); `\uDCE9` in it is the raw byte 0xE9 (raw-bytes.ts). */
  send(line: string): void {
    this.socket.write(encodeRawBytes(`${line}\r\n`));
  }

  /** Sends a command and resolves with its (first) reply. */
  async command(line: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FtpReply> {
    this.send(line);
    return this.reply(timeoutMs);
  }

  /** Sends a command and throws unless the reply has the expected code. */
  async expect(line: string, code: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FtpReply> {
    const reply = await this.command(line, timeoutMs);
    if (reply.code !== code) throw new Error(`${line.split(' ')[0]}: expected ${code}, got ${reply.lines.join(' | ')}`);
    return reply;
  }

  /** Telnet option answers (IAC WONT/DONT <option>) the server has sent so far, outside the replies. */
  get telnetAnswers(): number {
    return this.replies.optionAnswers;
  }

  /** The next reply from the server; rejects if none comes within `timeoutMs` or the connection closes. */
  reply(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FtpReply> {
    return this.replies.next(timeoutMs);
  }

  /** USER + PASS; anonymous by default. */
  async login(user = 'anonymous', password = 'test@example.org'): Promise<void> {
    const first = await this.command(`USER ${user}`);
    if (first.code === 230) return;
    if (first.code !== 331) throw new Error(`USER: ${first.lines.join(' | ')}`);
    await this.expect(`PASS ${password}`, 230);
  }

  /** PASV, then the host and port from the 227 reply (RFC 959 4.1.2). */
  async pasvAddress(): Promise<{ host: string; port: number }> {
    const reply = await this.expect('PASV', 227);
    const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
    if (!match) throw new Error(`unparsable 227: ${reply.text}`);
    const [h1, h2, h3, h4, p1, p2] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    return { host: `${h1}.${h2}.${h3}.${h4}`, port: p1 * 256 + p2 };
  }

  /** EPSV, then the port from the 229 reply (RFC 2428 section 3); the host is the control peer's. */
  async epsvPort(argument = ''): Promise<number> {
    const reply = await this.expect(argument ? `EPSV ${argument}` : 'EPSV', 229);
    const match = /\((.)\1\1(\d+)\1\)/.exec(reply.text);
    if (!match) throw new Error(`unparsable 229: ${reply.text}`);
    return Number(match[2]);
  }

  /** PASV and connect to the advertised address. */
  async pasv(options: { localAddress?: string } = {}): Promise<Socket> {
    const { host, port } = await this.pasvAddress();
    return connectSocket(port, host, options.localAddress);
  }

  /** EPSV and connect to the control connection's peer on the given port. */
  async epsv(options: { localAddress?: string } = {}): Promise<Socket> {
    const port = await this.epsvPort();
    return connectSocket(port, this.socket.remoteAddress ?? '127.0.0.1', options.localAddress);
  }

  /** QUIT and wait for the server to close. */
  async quit(): Promise<void> {
    await this.command('QUIT');
    await this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function connectSocket(port: number, host = '127.0.0.1', localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Everything a data connection delivers until it closes. A reset after data counts as the end;
 * the bytes so far are returned (tests check the control reply to tell the two apart).
 */
export function readAll(socket: Socket, timeoutMs = 60_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`data connection still open after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Writes all of `data` and closes our side, honouring backpressure; resolves when the socket closes. */
export function writeAll(socket: Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.end(data);
    socket.resume(); // nothing is expected back; let the close arrive
  });
}

/**
 * Whether this machine lets a program listen on `host` (IPv6 tests ask about `::1`: a container
 * or kernel without IPv6 has none). Resolves false rather than throwing.
 */
export function canListenOn(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port: 0 }, () => probe.close(() => resolve(true)));
  });
}
