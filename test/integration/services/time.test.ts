import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECONDS_1900_TO_1970 } from '../../../services/time/rfc868.js';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpExchange, udpExchange } from '../../helpers/net.js';

/** The Unix time a four-byte RFC 868 answer stands for, in this 1900-2036 era. */
const toUnixSeconds = (reply: Buffer): number => reply.readUInt32BE(0) - SECONDS_1900_TO_1970;

/** Brackets the exchange with the local clock: the answer must fall between the two readings. */
async function expectNow(exchange: () => Promise<Buffer | undefined>): Promise<void> {
  const before = Math.floor(Date.now() / 1000);
  const reply = await exchange();
  const after = Math.floor(Date.now() / 1000);
  expect(reply).toHaveLength(4);
  const seconds = toUnixSeconds(reply as Buffer);
  expect(seconds).toBeGreaterThanOrEqual(before);
  expect(seconds).toBeLessThanOrEqual(after);
}

describe('time (RFC 868)', () => {
  let server: RunningClassicd;
  beforeAll(async () => {
    server = await startClassicd(testConfig({ time: {} }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('sends four bytes over TCP and closes', async () => {
    await expectNow(() => tcpExchange(server.port('time')));
  });

  it('throws away what the client sends over TCP', async () => {
    await expectNow(() => tcpExchange(server.port('time'), 'ignored input\r\n'));
  });

  it('answers an empty datagram over UDP, as RFC 868 describes', async () => {
    await expectNow(() => udpExchange(server.port('time', 'udp'), Buffer.alloc(0)));
  });

  it('answers any datagram over UDP', async () => {
    await expectNow(() => udpExchange(server.port('time', 'udp'), 'x'));
  });

  it('logs the session with the four bytes it sent', async () => {
    await tcpExchange(server.port('time'));
    const end = await server.waitForLine((line) => line.msg === 'session end' && line.svc === 'time');
    expect(end).toMatchObject({ outcome: 'completed', bytesOut: 4 });
  });
});
