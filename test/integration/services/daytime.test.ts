import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpExchange, udpExchange } from '../../helpers/net.js';

const CTIME =
  /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\r\n$/;

describe('daytime (RFC 867)', () => {
  let server: RunningClassicd;
  beforeAll(async () => {
    server = await startClassicd(testConfig({ daytime: { format: 'ctime' } }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('sends one line over TCP and closes', async () => {
    const reply = await tcpExchange(server.port('daytime'));
    expect(reply.toString('ascii')).toMatch(CTIME);
  });

  it('throws away what the client sends over TCP', async () => {
    const reply = await tcpExchange(server.port('daytime'), 'ignored input\r\n');
    expect(reply.toString('ascii')).toMatch(CTIME);
  });

  it('answers any datagram over UDP', async () => {
    const reply = await udpExchange(server.port('daytime', 'udp'), 'x');
    expect(reply?.toString('ascii')).toMatch(CTIME);
  });

  it('logs a start and an end line for each session', async () => {
    await tcpExchange(server.port('daytime'));
    const end = await server.waitForLine((line) => line.msg === 'session end' && line.svc === 'daytime');
    expect(end).toMatchObject({ outcome: 'completed', bytesOut: 26 });
    expect(typeof end.sid).toBe('string');
    expect(String(end.remote)).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
