/** The file descriptor under a Node socket, for native code that works on it. */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** The descriptor of a plain TCP socket, or undefined (TLS, closed, not a TCP handle). */
export function plainSocketFd(socket: Socket): number | undefined {
  if (socket instanceof TLSSocket) return undefined;
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
