import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { httpGet, metricValue, tcpExchange, udpExchange } from '../../helpers/net.js';

describe('discard (RFC 863)', () => {
  let server: RunningClassicd;
  beforeAll(async () => {
    server = await startClassicd(testConfig({ discard: {} }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('reads everything over TCP, answers nothing, and closes when the client does', async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    const reply = await tcpExchange(server.port('discard'), payload);
    expect(reply).toHaveLength(0);
    const end = await server.waitForLine(
      (line) => line.msg === 'session end' && line.svc === 'discard' && line.bytesIn === payload.length,
    );
    expect(end).toMatchObject({ outcome: 'completed', bytesOut: 0 });
  });

  it('receives a datagram over UDP and answers nothing', async () => {
    const port = server.port('discard', 'udp');
    // An answer would arrive within milliseconds on loopback; the bounded wait is only a backstop.
    expect(await udpExchange(port, 'thrown away', 500)).toBeUndefined();
    // It did arrive and was deliberately left unanswered: workers report datagram counts to the
    // primary once a second, so poll /metrics until the count shows up.
    let unanswered = 0;
    for (let attempt = 0; attempt < 100 && unanswered === 0; attempt += 1) {
      if (attempt > 0) await delay(100);
      const { body } = await httpGet(server.httpPort, '/metrics');
      unanswered = metricValue(body, 'classicd_datagrams_total', { service: 'discard', outcome: 'unanswered' });
    }
    expect(unanswered).toBe(1);
  });
});
