/**
 * Did the client end its upload, or was the connection reset?
 *
 * In stream mode the end of the file is the client closing the data connection (RFC 959 3.4.1), so
 * a FIN commits the upload and a reset must not. Node reports a reset as ECONNRESET, except when it
 * arrives while the kernel still holds data we have not read yet (the disk slower than the
 * network): libuv then sees POLLHUP after a partial read and reports a plain end of stream.
 *
 * The kernel still knows the difference. After a FIN the socket is in CLOSE_WAIT and accepts a
 * write; after a reset it is closed and a write fails (ECONNRESET, or EPIPE). A zero-length write
 * asks without sending anything. It must happen before our own FIN, so the socket of an upload is
 * made half-open (`allowHalfOpen`) and ended here.
 *
 * Under TLS the probe goes to the TCP socket underneath: a reset with data still queued reaches
 * Node's TLS layer as a plain end too, and zero bytes leave the TLS stream as it was. A client
 * that ends with a TCP FIN and no close_notify is taken as a clean end, as vsftpd does by default
 * (strict_ssl_read_eof=NO): many FTPS clients close so. Our side then ends with close_notify.
 */
import type { Socket } from 'node:net';

/**
 * Resolves true after a clean end (FIN), false after a reset; ends our side either way. `tcp` is
 * the TCP socket under `socket` (the same socket without TLS).
 */
export function endedCleanly(socket: Socket, tcp: Socket): Promise<boolean> {
  if (socket.destroyed || tcp.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    tcp.write(Buffer.alloc(0), (error) => {
      socket.end();
      resolve(!error);
    });
  });
}
