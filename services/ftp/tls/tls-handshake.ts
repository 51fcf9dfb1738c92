/**
 * The server side of one TLS handshake over an accepted TCP socket, for the control connection
 * (after AUTH's 234, or at once on the implicit port) and for data connections.
 *
 * Every TLSSocket made here has an 'error' listener for its whole life: an unhandled TLS error
 * event would take the worker, and every other session in it, down with it (the npm smtp-server
 * once crashed that way on a bad handshake). A failed handshake destroys both the TLS socket and
 * the TCP socket under it, and the caller gets a TlsHandshakeError to turn into a reply.
 */
import type { Socket } from 'node:net';
import { Server as TlsServer, TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { sessionTicketsOf } from './session-tickets.js';

/** A client that connects and then says nothing is not waited for longer than this. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

export class TlsHandshakeError extends Error {
  constructor(
    message: string,
    /** OpenSSL's or Node's code (`ERR_SSL_WRONG_VERSION_NUMBER`, `ECONNRESET`), or `TIMEOUT`/`CLOSED`. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'TlsHandshakeError';
  }
}

export interface ServerTls {
  readonly socket: TLSSocket;
  /** Resolves when the handshake is complete; rejects with TlsHandshakeError (both sockets destroyed). */
  readonly secured: Promise<void>;
}

/**
 * Starts the server side of a handshake on `raw`. The TLSSocket is returned at once, before the
 * handshake, so that the caller can hand it to its reader while the handshake runs.
 */
export function startServerTls(raw: Socket, context: SecureContext, log: Logger, role: 'control' | 'data'): ServerTls {
  const socket = new TLSSocket(raw, { isServer: true, secureContext: context, server: sessionCacheFor(context) });
  let handshakeDone = false;
  socket.on('error', (error: NodeJS.ErrnoException) => {
    // During the handshake the promise below reports it; afterwards a reset or a bad record just
    // ends this connection, which the reader sees as a close.
    if (handshakeDone) log.debug({ role, code: error.code, reason: error.message }, 'tls socket error');
  });
  // When the TLS layer closes, make sure the TCP socket under it does too: the session runner
  // waits for that socket's close.
  socket.once('close', () => raw.destroy());

  const secured = new Promise<void>((resolve, reject) => {
    const fail = (code: string, message: string): void => {
      cleanup();
      socket.destroy();
      raw.destroy();
      reject(new TlsHandshakeError(message, code));
    };
    const onSecure = (): void => {
      handshakeDone = true;
      cleanup();
      resolve();
    };
    const onError = (error: NodeJS.ErrnoException): void => fail(error.code ?? 'ERROR', error.message);
    const onClose = (): void => fail('CLOSED', 'the connection closed during the TLS handshake');
    // The control socket is half-open (session.ts), and the TLS socket takes that from it: a client
    // that sends FIN mid-handshake would otherwise leave it open, holding its session slot until
    // the timeout. No handshake can finish without the client's bytes.
    const onEnd = (): void => fail('CLOSED', 'the client closed its side during the TLS handshake');
    const timer = setTimeout(
      () => fail('TIMEOUT', `no TLS handshake within ${TLS_HANDSHAKE_TIMEOUT_MS} ms`),
      TLS_HANDSHAKE_TIMEOUT_MS,
    );
    timer.unref();
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('secure', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('end', onEnd);
    };
    socket.once('secure', onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('end', onEnd);
    // A reset that arrived before the wrap left a destroyed socket, which sends no more events.
    if (raw.destroyed) fail('CLOSED', 'the connection closed before the TLS handshake');
  });
  return { socket, secured };
}

/** Sessions remembered per secure context for TLS 1.2 resumption by id; the oldest go first. */
const MAX_CACHED_SESSIONS = 256;
const sessionCaches = new WeakMap<SecureContext, TlsServer>();

/**
 * TLS 1.2 clients that send no session tickets (curl's OpenSSL backend sets SSL_OP_NO_TICKET)
 * resume by session id (RFC 5246 7.4.1.2), and Node keeps such sessions only through a tls.Server's
 * newSession/resumeSession events. This server never listens: it only carries the cache. The cache
 * belongs to the secure context, and with requireSessionReuse every control connection has its own
 * context, so a data connection can only resume its own control connection's session.
 */
function sessionCacheFor(context: SecureContext): TlsServer {
  let server = sessionCaches.get(context);
  if (server) return server;
  const sessions = new Map<string, Buffer>();
  server = new TlsServer();
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    // Only the control connection's handshake: a data connection's full handshake is refused, and
    // its session must not let the same stranger in next time (session-tickets.ts).
    if (sessionTicketsOf(context)?.acceptsNewSessions === false) {
      done();
      return;
    }
    if (sessions.size >= MAX_CACHED_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    sessions.set(id.toString('hex'), data);
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (error: Error | null, data: Buffer | null) => void) => {
    done(null, sessions.get(id.toString('hex')) ?? null);
  });
  sessionCaches.set(context, server);
  return server;
}
