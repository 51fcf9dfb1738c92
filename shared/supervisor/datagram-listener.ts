/**
 * A UDP service inside a worker. Every worker binds the same address through the cluster module's
 * shared handle, so the kernel spreads datagrams over the workers and the primary reads none.
 *
 * Small UDP services are the classic reflection amplifiers (chargen/echo, CVE-1999-0103): a forged
 * source makes us flood a victim. As xinetd does, datagrams from ports below `minSourcePort` (other
 * services, not clients) are dropped, and replies per source are rate-limited. So are datagrams
 * from the ports our own UDP services use: ours listen on port + 10000 by default, where xinetd's
 * check does not reach, and one forged datagram from 127.0.0.1:10007 to echo on 10007, or from a
 * peer's echo service on the same port, would otherwise bounce between the two for ever (the rate
 * limit slows such a loop but never breaks it).
 */
import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { UdpGuardConfig } from '../config/service-limits.js';
import { AccessList } from '../net/access-list.js';
import { SourceRateLimiter } from '../net/source-rate-limiter.js';
import type { Datagram } from '../service.js';
import type { DatagramCounts } from './ipc.js';

export interface DatagramListenerOptions {
  readonly svc: string;
  readonly host: string;
  readonly port: number;
  readonly guard: UdpGuardConfig;
  /** The service's allow/deny lists hold for datagrams as for connections. */
  readonly access: AccessList;
  /** This worker's share of the per-source reply rate (1 / number of workers). */
  readonly rateShare: number;
  readonly answer: (datagram: Datagram) => Buffer | undefined;
  readonly log: Logger;
  /** The ports of every UDP service of ours; datagrams from them are dropped. */
  readonly ownPorts: ReadonlySet<number>;
}

type MutableCounts = { -readonly [K in keyof DatagramCounts]: DatagramCounts[K] };

export class DatagramListener {
  private readonly socket: DatagramSocket;
  private readonly limiter: SourceRateLimiter;
  private counts: MutableCounts = emptyCounts();

  constructor(private readonly options: DatagramListenerOptions) {
    this.socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
    this.limiter = new SourceRateLimiter(
      options.guard.repliesPerSecondPerSource * options.rateShare,
      options.guard.trackedSources,
    );
    this.socket.on('message', (data, rinfo) => this.onDatagram({ data, address: rinfo.address, port: rinfo.port }));
    this.socket.on('error', (error) => options.log.warn({ err: error, svc: options.svc }, 'udp socket error'));
  }

  bind(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      // exclusive: false lets every worker share the handle the primary's cluster module holds.
      this.socket.bind({ address: this.options.host, port: this.options.port, exclusive: false }, () => {
        this.socket.off('error', reject);
        resolve(this.socket.address());
      });
    });
  }

  /** The counts since the last call. */
  takeCounts(): DatagramCounts | undefined {
    if (this.counts.received === 0) return undefined;
    const counts = this.counts;
    this.counts = emptyCounts();
    return counts;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onDatagram(datagram: Datagram): void {
    const { log, svc, guard } = this.options;
    this.counts.received += 1;
    this.counts.bytesIn += datagram.data.length;
    if (this.options.access.check(datagram.address)) {
      this.counts.droppedAcl += 1;
      return;
    }
    if (datagram.port < guard.minSourcePort || this.options.ownPorts.has(datagram.port)) {
      this.counts.droppedLowPort += 1;
      log.debug({ svc, remote: `${datagram.address}:${datagram.port}` }, 'udp datagram from a service port dropped');
      return;
    }
    if (!this.limiter.allow(datagram.address, Date.now())) {
      this.counts.droppedRate += 1;
      return;
    }
    let reply: Buffer | undefined;
    try {
      reply = this.options.answer(datagram);
    } catch (error) {
      log.error({ err: error, svc, remote: `${datagram.address}:${datagram.port}` }, 'udp answer failed');
      return;
    }
    if (!reply) return;
    this.counts.answered += 1;
    this.counts.bytesOut += reply.length;
    this.socket.send(reply, datagram.port, datagram.address);
  }
}

function emptyCounts(): MutableCounts {
  return { received: 0, answered: 0, droppedAcl: 0, droppedLowPort: 0, droppedRate: 0, bytesIn: 0, bytesOut: 0 };
}
