/**
 * TLS on the control connection: the upgrade after AUTH's 234 (RFC 4217 section 4), and the
 * handshake before the greeting on the implicit-FTPS port.
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { FtpError } from '../errors.js';
import type { FtpSession } from '../session.js';
import type { FtpTls } from './ftp-tls.js';
import { bindControlContext } from './session-context.js';
import { startServerTls, TlsHandshakeError } from './tls-handshake.js';

/**
 * Wraps the session's plain control connection in TLS, after the 234 has been sent. On a failed
 * handshake the connection is gone and the error is a 421, which ends the session (RFC 959 4.2).
 */
export async function upgradeControlConnection(session: FtpSession, tls: FtpTls): Promise<void> {
  const raw: Socket = session.control;
  const context = tls.newControlContext();
  const { socket, secured } = startServerTls(raw, context, session.log, 'control');
  try {
    // Bytes the client sent after AUTH, before reading our 234, are refused here (RFC 4217 4.1).
    session.useSecureControl(socket);
  } catch (error) {
    secured.catch(() => undefined);
    socket.destroy();
    raw.destroy();
    session.log.info('data arrived after AUTH before the 234 reply; closing');
    throw error;
  }
  bindControlContext(session, context);
  try {
    await secured;
  } catch (error) {
    if (!(error instanceof TlsHandshakeError)) throw error;
    session.log.info({ code: error.code, reason: error.message }, 'tls handshake failed on the control connection');
    throw new FtpError(421, 'TLS negotiation failed; closing control connection.');
  }
  logSecured(session.log, socket, 'control connection secured');
}

/**
 * The handshake that opens a connection on the implicit-FTPS port, before anything is said.
 * Undefined (and a log line) when it fails; the connection is closed by then.
 */
export async function acceptImplicitTls(
  raw: Socket,
  tls: FtpTls,
  log: Logger,
): Promise<{ socket: TLSSocket; context: SecureContext } | undefined> {
  const context = tls.newControlContext();
  const { socket, secured } = startServerTls(raw, context, log, 'control');
  try {
    await secured;
  } catch (error) {
    if (!(error instanceof TlsHandshakeError)) throw error;
    log.info({ code: error.code, reason: error.message }, 'tls handshake failed on the implicit FTPS port');
    return undefined;
  }
  logSecured(log, socket, 'implicit tls connection secured');
  return { socket, context };
}

function logSecured(log: Logger, socket: TLSSocket, message: string): void {
  log.info({ protocol: socket.getProtocol(), cipher: socket.getCipher()?.name }, message);
}
