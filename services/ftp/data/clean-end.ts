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
 * A TLS data connection is not probed: its clean end is the client's close_notify, which is the
 * TLS layer's to check.
 */
import type { Socket } from 'node:net';

/** Resolves true after a clean end (FIN), false after a reset; ends our side either way. */
export function endedCleanly(socket: Socket): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  if ((socket as { encrypted?: boolean }).encrypted) {
    socket.end();
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    socket.write(Buffer.alloc(0), (error) => {
      socket.end();
      resolve(!error);
    });
  });
}
