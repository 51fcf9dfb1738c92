/**
 * FTP (RFC 959 and its extensions: 2389, 2428, 3659, 4217, 2640, 7151). See README.md for what is
 * implemented and what is deliberately not.
 */
import type { Socket } from 'node:net';
import { defineService, type SessionContext } from '../../shared/service.js';
import { ftpConfigSchema, type FtpConfig } from './config.js';
import { checkRootsAsWorkerUser, warnAboutAnonymousRoot, warnAboutUserRoots } from './fs/root-checks.js';
import { ftpPreflight } from './preflight.js';
import { prepareFtpReopen, reopenFtp, type FtpReopen } from './reopen.js';
import { createFtpShared, type FtpShared } from './runtime.js';
import { FtpSession } from './session.js';
import { XFERLOG } from './xferlog.js';
import { acceptImplicitTls } from './tls/control-tls.js';
import { bindControlContext } from './tls/session-context.js';

/** The listener for implicit FTPS: TLS from the first byte, before the greeting. */
export const IMPLICIT_TLS_LISTENER = 'implicit-tls';

export const ftpService = defineService({
  name: 'ftp',
  standardPort: 21,
  transports: ['tcp'],
  configSchema: ftpConfigSchema,
  preflight: ftpPreflight,
  prepareReopen: prepareFtpReopen,
  // Written by the primary, which keeps its rights and the file's owner (xferlog.ts).
  primaryLogs: (config: FtpConfig) => ({ [XFERLOG]: config.xferlog }),
  tcpListeners: (config: FtpConfig) => [
    { name: 'main', host: config.host, port: config.port },
    ...(config.tls.enabled && config.tls.implicitPort > 0
      ? [{ name: IMPLICIT_TLS_LISTENER, host: config.host, port: config.tls.implicitPort }]
      : []),
  ],
  // RFC 959 4.2: 421 "Service not available, closing control connection".
  refusal: (reason) => {
    switch (reason) {
      case 'max-sessions':
        return '421 Too many users, please try again later.\r\n';
      case 'max-per-ip':
        return '421 Too many connections from your address.\r\n';
      case 'rate':
        return '421 Too many connections per second, please slow down.\r\n';
      case 'shutdown':
        return '421 Server shutting down.\r\n';
      default:
        return '421 Service not available.\r\n';
    }
  },
  async start(config, log, host) {
    await warnAboutAnonymousRoot(config.anonymous, log);
    await warnAboutUserRoots(config.users, log);
    const shared = await createFtpShared(config, log, host);
    return {
      // Sessions return nothing and call context.finish() themselves (see FtpSession.start).
      session: (socket, context) => {
        if (context.listener === IMPLICIT_TLS_LISTENER) startImplicitTlsSession(socket, shared, context);
        else new FtpSession(socket, shared, context).start();
      },
      // SIGHUP: the certificate after a renewal (reopen.ts); the primary reopens the xferlog.
      reopen: (prepared) => reopenFtp(shared, prepared as FtpReopen | undefined),
      async afterSwitchingUser() {
        for (const { problem, path } of await checkRootsAsWorkerUser(config)) log.warn({ path }, problem);
      },
    };
  },
});

/**
 * Implicit FTPS (the port 990 convention; RFC 4217 describes only the explicit AUTH form): the
 * handshake comes first, then the greeting over TLS. Data protection starts at P, as vsftpd's
 * implicit_ssl does and as clients expect; they send PBSZ 0 and PROT P all the same (curl does).
 */
function startImplicitTlsSession(socket: Socket, shared: FtpShared, context: SessionContext): void {
  if (!shared.tls) return context.finish(); // the listener exists only with TLS on
  acceptImplicitTls(socket, shared.tls, context.log).then(
    (secured) => {
      if (!secured) return context.finish();
      // Guarded: a throw in a promise's callback would otherwise escape the session.
      try {
        const session = new FtpSession(secured.socket, shared, context, true);
        bindControlContext(session, secured.context);
        session.dataProtection = 'P';
        session.start();
      } catch (error) {
        context.fail(error);
      }
    },
    (error: unknown) => context.fail(error),
  );
}
