/**
 * What a TCP connection has really moved, as the kernel counts it (native/src/tcp_progress.c):
 * the bytes the peer has acknowledged, or those received from it. Node's own socket timeout sees
 * only Node's reads and writes, and a slow client can drain a send buffer of several MiB for
 * minutes without Node writing a byte; this count moves all the while.
 */
import type { Socket } from 'node:net';
import { nativeAddon } from './addon.js';
import { plainSocketFd } from './socket-fd.js';

/** Which way: bytes sent and acknowledged by the peer, or bytes received from it. */
export type TcpDirection = 'sent' | 'received';

/** The count for a plain TCP socket, or undefined where it is unknown (no addon, closed socket). */
export function tcpBytesMoved(socket: Socket, direction: TcpDirection): number | undefined {
  const addon = nativeAddon();
  const fd = plainSocketFd(socket);
  if (!addon || fd === undefined) return undefined;
  const moved = addon.tcpBytesMoved(fd, direction === 'received');
  return moved >= 0 ? moved : undefined;
}
