import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargenBlock, chargenLine, LINE_BYTES, MAX_DATAGRAM_BYTES } from '../../../services/chargen/pattern.js';
import { startClassicd, testConfig, type LogLine, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpConnect, udpExchange } from '../../helpers/net.js';
import { untilStalled } from './kernel-queues.js';

/** Reads exactly `count` bytes from the stream's start, then leaves the socket to the caller. */
function readBytes(socket: Socket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length < count) return;
      socket.off('data', onData);
      socket.pause();
      resolve(Buffer.concat(chunks).subarray(0, count));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed after ${length} of ${count} bytes`)));
  });
}

/**
 * Room above the kernel buffers for what Node holds on each side (a stream buffer and a write block)
 * and for the few blocks the server may still write between our resume and its seeing our FIN.
 */
const STREAM_SLACK_BYTES = 4 * 1024 * 1024;

/** Resumes a paused socket, closes our side, and counts what arrives until the server closes; gives up past `limit`. */
function readAllThenClose(socket: Socket, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.on('data', () => {
      if (socket.bytesRead > limit) socket.destroy();
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(socket.bytesRead));
    socket.resume();
    socket.end();
  });
}

/** The most a connection's kernel buffers can hold: Linux's autotuning ceilings for send and receive. */
function kernelBufferCeiling(): number {
  const max = (file: string): number => Number(readFileSync(file, 'ascii').trim().split(/\s+/)[2]);
  return max('/proc/sys/net/ipv4/tcp_wmem') + max('/proc/sys/net/ipv4/tcp_rmem');
}

describe('chargen (RFC 864)', () => {
  let server: RunningClassicd;
  const sessionEnd = (socket: Socket): Promise<LogLine> => {
    const remote = `127.0.0.1:${socket.localPort}`;
    return server.waitForLine((line) => line.msg === 'session end' && line.svc === 'chargen' && line.remote === remote);
  };

  beforeAll(async () => {
    server = await startClassicd(testConfig({ chargen: { udp: { repliesPerSecondPerSource: 10_000 } } }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('streams the rotating pattern over TCP, line after line, across block boundaries', async () => {
    const socket = await tcpConnect(server.port('chargen'));
    // Over two of the service's 9-cycle write blocks, so the seams between writes are checked too.
    const lines = 2 * 9 * 95 + 10;
    const received = await readBytes(socket, lines * LINE_BYTES);
    socket.destroy();
    const text = received.toString('ascii');
    for (let n = 0; n < lines; n += 1) {
      const line = text.slice(n * LINE_BYTES, (n + 1) * LINE_BYTES);
      if (line !== chargenLine(n)) expect.fail(`line ${n} is ${JSON.stringify(line)}`);
    }
    expect(text.slice(0, 2 * LINE_BYTES)).toBe(
      ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n' +
        '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n',
    );
  });

  it('survives a rude abort (RFC 864 says clients do that)', async () => {
    const socket = await tcpConnect(server.port('chargen'));
    const ended = sessionEnd(socket);
    await readBytes(socket, 10_000);
    socket.resetAndDestroy();
    expect((await ended).outcome).toMatch(/^(reset|completed)$/);
  });

  it('stops and closes when the client closes its side, throwing away what it sent', async () => {
    const socket = await tcpConnect(server.port('chargen'));
    const ended = sessionEnd(socket);
    await readBytes(socket, 10_000);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.resume();
    socket.end('thrown away\r\n');
    await closed;
    expect(await ended).toMatchObject({ outcome: 'completed', bytesIn: 13 });
  });

  it('holds back while a client does not read, instead of queueing without limit', async () => {
    // The client stops reading at once. A server that honours write()'s return value fills the
    // kernel's socket buffers, then waits for 'drain' and queues nothing more in the worker; one
    // that ignores it keeps queueing in the worker's memory for as long as the stall lasts. Once the
    // buffers are full the client reads everything and closes: the bytes it gets (what the kernel
    // held plus whatever the worker had queued) show which server this is. A bounded server's count
    // cannot exceed the kernel's buffer ceilings, however long the stall; an unbounded one passes
    // them within milliseconds of stalling.
    const port = server.port('chargen');
    const socket = await tcpConnect(port);
    socket.pause();
    const ended = sessionEnd(socket);
    const stalled = await untilStalled(socket.localPort as number, port);
    const limit = kernelBufferCeiling() + STREAM_SLACK_BYTES;
    const received = await readAllThenClose(socket, limit);
    expect(received).toBeGreaterThanOrEqual(stalled.rx);
    expect(received).toBeLessThanOrEqual(limit);
    expect(await ended).toMatchObject({ outcome: 'completed', bytesOut: received });
  });

  it('answers each datagram with 0 to 512 characters of the pattern over UDP', async () => {
    const pattern = chargenBlock(1);
    const lengths: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const reply = await udpExchange(server.port('chargen', 'udp'), 'ignored');
      expect(reply).toBeDefined();
      const bytes = reply as Buffer;
      expect(bytes.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
      expect(bytes.equals(pattern.subarray(0, bytes.length))).toBe(true);
      lengths.push(bytes.length);
    }
    // Random lengths: twenty equal ones would be a 1 in 513^19 chance.
    expect(new Set(lengths).size).toBeGreaterThan(1);
  });
});
