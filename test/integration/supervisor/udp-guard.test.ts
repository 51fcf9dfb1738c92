/**
 * UDP services must not become reflection amplifiers: datagrams from low source ports are dropped
 * and replies per source are rate-limited, each counted in /metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { metricReaches, udpExchange } from '../../helpers/net.js';

let server: RunningClassicd | undefined;
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
