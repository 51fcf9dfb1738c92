/**
 * Turning a connection away: the protocol's own refusal where it has one (FTP and SMTP answer 421),
 * then a close. The small services have none and just close (RFC 867 and friends define no error).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { RefusalReason, ServiceDefinition } from '../service.js';
import { formatHostPort } from '../net/host-port.js';

export function refuse(socket: Socket, definition: ServiceDefinition, reason: RefusalReason, log: Logger): void {
  log.info(
    { svc: definition.name, remote: formatHostPort(socket.remoteAddress, socket.remotePort), reason },
    'connection refused',
  );
  socket.on('error', () => socket.destroy());
  const text = definition.refusal?.(reason);
  if (!text) {
    socket.destroy();
    return;
  }
  // Read and discard what the client sent, so closing does not reset the connection and take our
  // reply with it; a client that never closes its side is cut off after a few seconds.
  socket.resume();
  socket.setTimeout(REFUSAL_LINGER_MS, () => socket.destroy());
  socket.end(text);
}

const REFUSAL_LINGER_MS = 5000;
