/**
 * One session's data connection: passive (PASV/EPSV) or active (PORT/EPRT), set up by those
 * commands and opened when a transfer needs it (RFC 959 3.2 and 3.3, RFC 2428).
 *
 * The security rules live here, so every way of setting up a connection obeys them:
 * - a passive listener takes a connection only from the control connection's peer address
 *   (passive-listener.ts);
 * - an active connection goes only to the control connection's peer address, and never to a port
 *   below 1024 (RFC 2577 section 3: the "bounce attack", CVE-1999-0017);
 * - data connections use the control connection's IP version, the only one its local address
 *   can reach: another is refused with RFC 2428's 522.
 *
 * A setup is used by one transfer; the next transfer needs a new PASV/EPSV/PORT/EPRT (as vsftpd and
 * every client expect). A new setup replaces the old one.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { canonicalAddress } from '../../../shared/net/cidr.js';
import { formatHostPort } from '../../../shared/net/host-port.js';
import { FtpError } from '../errors.js';
import type { FtpSession } from '../session.js';
import { secureDataSocket } from '../tls/ftp-tls.js';
import { connectActive } from './active-connect.js';
import { PassiveListener } from './passive-listener.js';
import { formatProtocolNotSupported, type HostPort } from './port-arguments.js';
import { ByteRateLimiter } from './throttle.js';
import { abortReason } from './abort-reason.js';

/** RFC 2577 section 3: no data connections to the well-known (privileged) ports. */
const LOWEST_ACTIVE_PORT = 1024;

export interface OpenDataConnection {
  /** What the transfer reads and writes: the TCP socket, or under PROT P the TLS socket over it. */
  readonly socket: Socket | TLSSocket;
  /** The TCP socket itself, for what only the kernel knows (how many bytes really moved). */
  readonly tcp: Socket;
}

type Setup =
  | { readonly kind: 'none' }
  | { readonly kind: 'passive'; readonly listener: PassiveListener }
  | { readonly kind: 'active'; readonly target: HostPort };

export class DataConnections {
  /** The control connection's local address, canonical: where passive listeners bind. */
  readonly localAddress: string;
  /** The control connection's peer, canonical: the only address data connections may involve. */
  readonly clientAddress: string;
  private setup: Setup = { kind: 'none' };
  private limiter: ByteRateLimiter | undefined;

  constructor(private readonly session: FtpSession) {
    // Taken now, from the plain socket: after AUTH TLS the control socket is a TLSSocket.
    this.localAddress = canonicalAddress(session.control.localAddress ?? '');
    this.clientAddress = canonicalAddress(session.context.remoteAddress);
  }

  /** 4 or 6: the control connection's IP version (RFC 2428 "network protocol" 1 or 2). */
  get family(): 4 | 6 {
    return this.localAddress.includes(':') ? 6 : 4;
  }

  /** Whether PASV/EPSV/PORT/EPRT has set up a connection for the next transfer. */
  get ready(): boolean {
    return this.setup.kind !== 'none';
  }

  /** PASV/EPSV: a new listener on the control connection's local address; returns its port. */
  async listenPassive(): Promise<number> {
    this.close();
    // Never an empty host: that would listen on every interface.
    if (!this.localAddress) throw new FtpError(425, 'Cannot listen: the control connection has no local address.');
    const pool = this.session.shared.passivePorts;
    const listening = await pool.listen(this.localAddress).catch((error: unknown) => {
      // Every port of the range is taken: the admin should widen passive.ports (or find who holds them).
      if (error instanceof FtpError) this.session.log.warn({ ports: pool.range }, 'no passive port free');
      throw error;
    });
    const listener = new PassiveListener(listening, this.clientAddress, () => this.session.log);
    const port = listener.port;
    this.setup = { kind: 'passive', listener };
    this.trace({ dataPort: port }, 'passive listener open');
    return port;
  }

  /**
   * PORT/EPRT: remembers where to connect, after the anti-bounce checks (RFC 2577 section 3).
   * Refusals are 504, "command not implemented for that parameter", as RFC 2577 suggests.
   */
  setActive(target: HostPort, verb: string): void {
    const address = canonicalAddress(target.address);
    const family = address.includes(':') ? 6 : 4;
    if (family !== this.family) {
      // The connection would leave from the control connection's local address, which cannot
      // reach another IP version: RFC 2428 section 2's 522, naming the protocol that works.
      this.session.log.info(
        { cmd: verb, target: formatHostPort(address, target.port), client: this.clientAddress },
        'active data connection in another network protocol refused',
      );
      throw new FtpError(
        522,
        `${formatProtocolNotSupported(this.family)}: data goes over your control connection's IP version.`,
      );
    }
    if (address !== this.clientAddress) {
      this.session.log.warn(
        { cmd: verb, target: formatHostPort(address, target.port), client: this.clientAddress },
        'active data connection to a foreign address refused',
      );
      throw new FtpError(504, `${verb} refused: data connections go only to your own address.`);
    }
    if (target.port < LOWEST_ACTIVE_PORT) {
      this.session.log.warn(
        { cmd: verb, target: formatHostPort(address, target.port) },
        'active data connection to a privileged port refused',
      );
      throw new FtpError(504, `${verb} refused: ports below ${LOWEST_ACTIVE_PORT} are not allowed.`);
    }
    this.close();
    this.setup = { kind: 'active', target: { family, address, port: target.port } };
  }

  /**
   * The data connection for the transfer that has just sent its 1xx reply: accepts (passive) or
   * makes (active) it, and wraps it in TLS under PROT P (RFC 4217 section 9). The setup is spent.
   * Rejects with 425 when no connection comes, or with the signal's reason on ABOR. `download`: the
   * server sends on it (RETR, listings), which decides the TLS session tickets it gets (session-tickets.ts).
   */
  async open(signal: AbortSignal, download: boolean): Promise<OpenDataConnection> {
    const setup = this.setup;
    this.setup = { kind: 'none' };
    const { config } = this.session;
    let raw: Socket;
    switch (setup.kind) {
      case 'none':
        throw new FtpError(425, 'Use PORT, EPRT, PASV or EPSV first.');
      case 'passive':
        raw = await setup.listener.take(config.passive.acceptTimeoutMs, signal);
        this.trace(
          { peer: formatHostPort(raw.remoteAddress, raw.remotePort), dataPort: raw.localPort },
          'data connection accepted',
        );
        break;
      case 'active': {
        const target = formatHostPort(setup.target.address, setup.target.port);
        raw = await connectActive(setup.target, this.localAddress, config.active.connectTimeoutMs, signal).catch(
          (error: unknown) => {
            // The client's 425 says nothing more; the admin's or tester's line says why.
            if (error instanceof FtpError)
              this.session.log.info({ target, code: error.systemCode }, 'active data connection failed');
            throw error;
          },
        );
        this.trace({ target, from: formatHostPort(raw.localAddress, raw.localPort) }, 'data connection made');
        raw.on('error', (error: NodeJS.ErrnoException) =>
          this.session.log.debug({ code: error.code }, 'data connection error'),
        );
        break;
      }
    }
    if (this.session.dataProtection !== 'P') return { socket: raw, tcp: raw };
    // The client may start its handshake only after our 150 (Python's ftplib does): the caller has
    // sent it before calling open(). ABOR during the handshake cuts it short.
    const onAbort = (): void => {
      raw.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return { socket: await secureDataSocket(raw, this.session, download), tcp: raw };
    } catch (error) {
      raw.destroy();
      throw signal.aborted ? abortReason(signal) : error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** A line of the protocol trace (debug), which follows the data connections as well as the commands. */
  private trace(fields: Record<string, unknown>, message: string): void {
    if (this.session.context.isLevelEnabled('debug')) this.session.log.debug(fields, message);
  }

  /** The session's byte budget for `bytesPerSecond` (0: none); kept across its transfers. */
  rateLimiter(bytesPerSecond: number): ByteRateLimiter | undefined {
    if (bytesPerSecond <= 0) return undefined;
    if (this.limiter?.bytesPerSecond !== bytesPerSecond) this.limiter = new ByteRateLimiter(bytesPerSecond);
    return this.limiter;
  }

  /**
   * Forgets the setup and stops any passive listener (with a connection it holds). A data
   * connection already in a transfer belongs to that transfer, which its abort signal ends.
   */
  close(): void {
    if (this.setup.kind === 'passive') this.setup.listener.close();
    this.setup = { kind: 'none' };
  }
}
