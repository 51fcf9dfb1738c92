/**
 * TLS on a data connection after PROT P. RFC 4217 makes the FTP server the TLS server on data
 * connections too, whichever side opened the TCP connection.
 *
 * The handshake runs after the 150 reply: Python's ftplib starts it only once it has read the 150.
 * With `tls.requireSessionReuse` (vsftpd's require_ssl_reuse) the handshake must resume a TLS
 * session issued on this control connection; otherwise whoever reaches the data port first (the
 * data connection "stealing" RFC 4217's security discussion warns of) could receive or supply the
 * file. The session's control connection has a secure context, and so ticket keys, of its own
 * (ftp-tls.ts), so `isSessionReused()` on that context can only be true for a ticket that this
 * control connection's chain of handshakes issued. README.md says what that does and does not cover.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { FtpError } from '../errors.js';
import type { FtpSession } from '../session.js';
import { controlContextOf } from './session-context.js';
import { sessionTicketsOf } from './session-tickets.js';
import { startServerTls, TlsHandshakeError } from './tls-handshake.js';

/**
 * Server-side TLS on an accepted (or connected) data socket. Rejects with an FtpError carrying the
 * final reply for the transfer; the data connection is closed by then.
 */
export async function secureDataSocket(raw: Socket, session: FtpSession, download: boolean): Promise<TLSSocket> {
  const tls = session.shared.tls;
  const context = controlContextOf(session);
  if (!tls || !context || !session.isSecure) {
    // PROT P is only accepted after AUTH, so this is a bug elsewhere rather than a client error.
    raw.destroy();
    throw new FtpError(425, 'Cannot open a protected data connection: the control connection is not protected.');
  }
  const { socket, secured } = startServerTls(raw, context, session.log, 'data');
  sessionTicketsOf(context)?.dataHandshakeStarted(socket, download);
  try {
    await secured;
  } catch (error) {
    if (!(error instanceof TlsHandshakeError)) throw error;
    session.log.info({ code: error.code, reason: error.message }, 'tls handshake failed on the data connection');
    throw new FtpError(425, 'TLS negotiation on the data connection failed.');
  }
  if (tls.config.requireSessionReuse && !socket.isSessionReused()) {
    session.log.info("data connection refused: its tls session does not resume the control connection's");
    await closeGracefully(socket);
    // vsftpd's wording, which FTPS clients and their users already know.
    throw new FtpError(522, 'SSL connection failed: session reuse required.');
  }
  if (session.context.isLevelEnabled('debug')) {
    session.log.debug({ protocol: socket.getProtocol(), resumed: socket.isSessionReused() }, 'data connection tls');
  }
  return socket;
}

/** How long a refused data connection's close_notify may take to leave before the socket is cut. */
const CLOSE_NOTIFY_WAIT_MS = 2000;

/**
 * Ends the TLS stream with close_notify before destroying it, so that the client sees an orderly
 * end of the data and goes on to read the 522 (Python's ftplib otherwise raises an SSL error from
 * unwrap() instead of showing the reply).
 */
function closeGracefully(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CLOSE_NOTIFY_WAIT_MS);
    timer.unref();
    socket.once('close', done);
    socket.end(done);
  });
}
