/**
 * UDP services must not become reflection amplifiers: datagrams from low source ports are dropped
 * and replies per source are rate-limited, each counted in /metrics.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { httpGet, metricReaches, metricValue, udpExchange } from '../../helpers/net.js';

let server: RunningClassicd | undefined;

/** Sends one UDP datagram on 127.0.0.1 with a forged source port, through a raw socket (root). */
async function sendForged({ from, to }: { from: number; to: number }): Promise<void> {
  // IPv4 header (the kernel fills in the length, id and checksum with IP_HDRINCL), then UDP with no
  // checksum, which IPv4 allows (RFC 768).
  const script = [
    'import socket, struct, sys',
    'src, dst = int(sys.argv[1]), int(sys.argv[2])',
    "payload = b'forged'",
    "udp = struct.pack('!HHHH', src, dst, 8 + len(payload), 0) + payload",
    "ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton('127.0.0.1'), socket.inet_aton('127.0.0.1'))",
    's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)',
    "s.sendto(ip + udp, ('127.0.0.1', 0))",
  ].join('\n');
  await promisify(execFile)('python3', ['-c', script, String(from), String(to)]);
}
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('UDP amplification guard', () => {
  it('drops datagrams from source ports below minSourcePort', async () => {
    // Every ephemeral port is below 65535, so this client counts as "privileged" without needing root.
    server = await startClassicd(
      testConfig({ daytime: { udp: { minSourcePort: 65535, repliesPerSecondPerSource: 1000, trackedSources: 100 } } }),
    );
    expect(await udpExchange(server.port('daytime', 'udp'), 'x', 500)).toBeUndefined();
    await metricReaches(
      server.httpPort,
      'classicd_datagrams_total',
      { service: 'daytime', outcome: 'dropped-low-port' },
      1,
    );
  });

  // Ours listen on port + 10000 by default, above minSourcePort: one datagram forged to come from
  // echo's own port would make echo answer itself for ever (or a peer's echo on the same port).
  // Forging a source takes a raw socket, so root, as CI runs.
  it.skipIf(process.getuid?.() !== 0)('drops datagrams from the ports of our own UDP services', async () => {
    server = await startClassicd(testConfig({ echo: {} }, { supervisor: { workers: 1 } }));
    const echo = server.port('echo', 'udp');
    await sendForged({ from: echo, to: echo });
    await metricReaches(
      server.httpPort,
      'classicd_datagrams_total',
      { service: 'echo', outcome: 'dropped-low-port' },
      1,
    );
    const metrics = (await httpGet(server.httpPort, '/metrics')).body;
    expect(metricValue(metrics, 'classicd_datagrams_total', { service: 'echo', outcome: 'answered' })).toBe(0);
  });

  it('drops datagrams from denied networks', async () => {
    server = await startClassicd(testConfig({ daytime: { deny: ['127.0.0.0/8'] } }));
    expect(await udpExchange(server.port('daytime', 'udp'), 'x', 500)).toBeUndefined();
    await metricReaches(server.httpPort, 'classicd_datagrams_total', { service: 'daytime', outcome: 'dropped-acl' }, 1);
  });

  it('rate-limits replies to one source', async () => {
    // One worker, so the whole per-source budget is in one place: one reply, then none for 1000 s.
    server = await startClassicd(
      testConfig(
        { daytime: { udp: { minSourcePort: 1024, repliesPerSecondPerSource: 0.001, trackedSources: 100 } } },
        { supervisor: { workers: 1 } },
      ),
    );
    const port = server.port('daytime', 'udp');
    expect(await udpExchange(port, 'x')).toBeDefined();
    expect(await udpExchange(port, 'x', 500)).toBeUndefined();
    await metricReaches(
      server.httpPort,
      'classicd_datagrams_total',
      { service: 'daytime', outcome: 'dropped-rate' },
      1,
    );
    await metricReaches(server.httpPort, 'classicd_datagrams_total', { service: 'daytime', outcome: 'answered' }, 1);
  });
});
