/**
 * What the kernel holds for a loopback TCP connection, read from Linux's /proc/net/tcp: lets a test
 * see that a stalled connection's buffers have filled, as an observed state rather than a guessed
 * sleep.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export interface Queues {
  /** Bytes the sender's kernel holds, sent but unacknowledged or not yet sent. */
  readonly tx: number;
  /** Bytes the receiver's kernel holds that the application has not read. */
  readonly rx: number;
}

/** The queues of the IPv4 socket bound to `localPort` and connected to `remotePort`, if it exists. */
export function socketQueues(localPort: number, remotePort: number): Queues | undefined {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(localPort)}`;
  const remote = `:${hex(remotePort)}`;
  for (const line of readFileSync('/proc/net/tcp', 'ascii').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!fields[1]?.endsWith(local) || !fields[2]?.endsWith(remote)) continue;
    const [tx, rx] = (fields[4] ?? '0:0').split(':').map((value) => parseInt(value, 16));
    return { tx: tx ?? 0, rx: rx ?? 0 };
  }
  return undefined;
}

/**
 * Resolves once a client that has stopped reading has full buffers on both ends: the client's
 * receive queue and the server's send queue hold data and have stopped growing between two looks.
 * The interval only paces the looks; rejects after `attempts` of them.
 */
export async function untilStalled(
  clientPort: number,
  serverPort: number,
  attempts = 100,
  intervalMs = 100,
): Promise<Queues> {
  let previous: Queues | undefined;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const client = socketQueues(clientPort, serverPort);
    const server = socketQueues(serverPort, clientPort);
    const now = client && server ? { tx: server.tx, rx: client.rx } : undefined;
    if (now && previous && now.rx > 0 && now.tx > 0 && now.rx === previous.rx && now.tx === previous.tx) return now;
    previous = now;
    await delay(intervalMs);
  }
  throw new Error(`the connection ${clientPort} -> ${serverPort} did not stall; last seen ${JSON.stringify(previous)}`);
}
