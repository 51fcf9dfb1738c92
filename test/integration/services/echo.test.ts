import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpConnect, tcpExchange, udpExchange } from '../../helpers/net.js';

describe('echo (RFC 862)', () => {
  let server: RunningClassicd;
  beforeAll(async () => {
    server = await startClassicd(testConfig({ echo: {} }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('sends back what the client sends over TCP, and closes when the client does', async () => {
    const reply = await tcpExchange(server.port('echo'), 'hello, echo\r\n');
    expect(reply.toString('ascii')).toBe('hello, echo\r\n');
  });

  it('round-trips a few MB byte for byte', async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const reply = await tcpExchange(server.port('echo'), payload);
    expect(reply.length).toBe(payload.length);
    expect(reply.equals(payload)).toBe(true);
    const end = await server.waitForLine(
      (line) => line.msg === 'session end' && line.svc === 'echo' && line.bytesIn === payload.length,
    );
    expect(end).toMatchObject({ outcome: 'completed', bytesOut: payload.length });
  });

  it('answers each piece as it arrives, before the client closes', async () => {
    const socket = await tcpConnect(server.port('echo'));
    try {
      for (const text of ['first\r\n', 'second\r\n']) {
        const answered = new Promise<string>((resolve) =>
          socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
        );
        socket.write(text);
        expect(await answered).toBe(text);
      }
    } finally {
      socket.destroy();
    }
  });

  it('returns a datagram over UDP', async () => {
    const payload = randomBytes(1000);
    const reply = await udpExchange(server.port('echo', 'udp'), payload);
    expect(reply?.equals(payload)).toBe(true);
  });

  it('returns an empty datagram over UDP', async () => {
    const reply = await udpExchange(server.port('echo', 'udp'), Buffer.alloc(0));
    expect(reply).toEqual(Buffer.alloc(0));
  });
});
