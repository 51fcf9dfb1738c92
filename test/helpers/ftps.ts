/**
 * A small FTPS client for tests (RFC 4217): the control connection can start plain and be upgraded
 * after AUTH's 234, or be TLS from the first byte (implicit FTPS); data connections can be wrapped
 * in TLS that resumes the control connection's session, or deliberately not.
 * Certificates are not verified: the servers under test use a self-signed one.
 *
 *   const ftp = await FtpsClient.connect(port);
 *   await ftp.authTls();
 *   await ftp.login();
 *   await ftp.expect('PBSZ 0', 200);
 *   await ftp.expect('PROT P', 200);
 *   const raw = await ftp.epsv();
 *   ftp.send('RETR /pub/readme.txt');
 *   const data = ftp.secureData(raw);          // resumes the control session
 *   ...
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { connectSocket } from './ftp.js';
import { FtpReplyReader, type FtpReply } from './ftp-replies.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export type Reply = FtpReply;

export class FtpsClient {
  greeting!: Reply;
  /** The newest TLS session (ticket) the control connection received, for data connections to resume. */
  tlsSession: Buffer | undefined;
  private socket: Socket;
  private readonly replies = new FtpReplyReader();
  private ended = false;
  private readonly onData = (chunk: Buffer): void => this.replies.feed(chunk.toString('utf8'));
  private readonly onClose = (): void => {
    this.ended = true;
    this.replies.end();
  };

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  static async connect(port: number, options: { implicit?: boolean } = {}): Promise<FtpsClient> {
    const socket = options.implicit ? await secureClient({ port }) : await connectSocket(port);
    const client = new FtpsClient(socket);
    if (options.implicit) client.watchSessions(socket as TLSSocket);
    client.greeting = await client.reply();
    return client;
  }

  get control(): Socket {
    return this.socket;
  }

  get secure(): boolean {
    return 'encrypted' in this.socket;
  }

  /** Resolves when the server has closed the control connection. */
  get closed(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async command(line: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Reply> {
    this.send(line);
    return this.reply(timeoutMs);
  }

  async expect(line: string, code: number): Promise<Reply> {
    const reply = await this.command(line);
    if (reply.code !== code) throw new Error(`${line}: expected ${code}, got ${reply.lines.join(' | ')}`);
    return reply;
  }

  reply(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Reply> {
    return this.replies.next(timeoutMs);
  }

  /** AUTH TLS (or SSL, TLS-C...), then the handshake on the control connection. */
  async authTls(mechanism = 'TLS', options: ConnectionOptions = {}): Promise<TLSSocket> {
    await this.expect(`AUTH ${mechanism}`, 234);
    const plain = this.socket;
    this.detach(plain);
    const secured = await secureClient({ ...options, socket: plain });
    this.socket = secured;
    this.attach(secured);
    this.watchSessions(secured);
    return secured;
  }

  async login(user = 'anonymous', password = 'test@example.org'): Promise<void> {
    await this.expect(`USER ${user}`, 331);
    await this.expect(`PASS ${password}`, 230);
  }

  /** EPSV and a plain TCP connection to the port it names. */
  async epsv(): Promise<Socket> {
    const reply = await this.expect('EPSV', 229);
    const match = /\((.)\1\1(\d+)\1\)/.exec(reply.text);
    if (!match) throw new Error(`unparsable 229: ${reply.text}`);
    return connectSocket(Number(match[2]));
  }

  /**
   * TLS over a data connection; `reuse: false` offers no session, as Python's unpatched FTP_TLS.
   * The host is the control connection's: without one, Node 22 and later send the server name
   * `localhost`, and OpenSSL will not resume a session for another name than it was made for.
   */
  secureData(raw: Socket, options: { reuse?: boolean } = {}): TLSSocket {
    const session = options.reuse === false ? undefined : this.tlsSession;
    const socket = tlsConnect({
      socket: raw,
      host: '127.0.0.1',
      rejectUnauthorized: false,
      ...(session ? { session } : {}),
    });
    socket.on('error', () => undefined); // the test reads the outcome from the replies and readAll
    return socket;
  }

  close(): void {
    this.socket.destroy();
  }

  private watchSessions(socket: TLSSocket): void {
    socket.on('session', (session: Buffer) => (this.tlsSession = session));
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => undefined);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
  }
}

/** A TLS client connection (to a port, or over a connected socket) with the handshake done. */
export function secureClient(options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', rejectUnauthorized: false, ...options }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
