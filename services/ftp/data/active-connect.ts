/**
 * Opening an active (PORT/EPRT) data connection: the server connects to the client (RFC 959 3.2).
 *
 * The connection leaves from the control connection's local address, so the client sees the data
 * connection come from the server it talks to. It does not leave from port 20 (L-1, RFC 959 3.2):
 * that would need privileges, and clients do not check it.
 */
import { connect, type Socket } from 'node:net';
import { FtpError } from '../errors.js';
import type { HostPort } from './port-arguments.js';
import { abortReason } from './abort-reason.js';

export function connectActive(
  target: HostPort,
  localAddress: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const socket = connect({ host: target.address, port: target.port, localAddress, family: target.family });
    // Paused before it connects, so Node starts no read: the transfer decides how the data
    // connection is read (an upload may hand the descriptor to native code).
    socket.pause();
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const onConnect = (): void => {
      settle();
      resolve(socket);
    };
    const onError = (error?: NodeJS.ErrnoException): void => {
      settle();
      socket.destroy();
      // The system's reason travels as the error's systemCode, for the log (ECONNREFUSED, ...).
      reject(new FtpError(425, "Can't open data connection.", error?.code ?? 'ETIMEDOUT'));
    };
    const onAbort = (): void => {
      settle();
      socket.destroy();
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => onError(), timeoutMs);
    timer.unref();
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
