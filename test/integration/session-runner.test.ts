/**
 * The per-session error boundary, in-process over real sockets: a service that throws closes its
 * own session and no other.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runSession, type SessionSummary } from '../../shared/supervisor/session-runner.js';
import type { SessionContext } from '../../shared/service.js';
import { tcpConnect } from '../helpers/net.js';

const silent = pino({ level: 'silent' });
type Handler = (socket: Socket, context: SessionContext) => Promise<void> | void;

let server: Server | undefined;
afterEach(async () => {
  server?.close();
  server = undefined;
});

/** A server whose every connection runs `handler` under runSession; summaries arrive in order. */
async function serve(
  handlers: Handler[],
  idleTimeoutMs = 30_000,
): Promise<{ port: number; summaries: Promise<SessionSummary>[] }> {
  const summaries: Promise<SessionSummary>[] = [];
  let next = 0;
  server = createServer((socket) => {
    const handler = handlers[next++] as Handler;
    summaries.push(
      runSession({ socket, sid: `s${next}`, svc: 'test', listener: 'main', log: silent, idleTimeoutMs, handler }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, summaries };
}

const echo: Handler = (socket) => pipeline(socket, socket);

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return chunk.toString();
}

describe('runSession', () => {
  it('a listener that throws fails its own session only', async () => {
    const throwing: Handler = (socket) =>
      new Promise(() => {
        socket.on('data', () => {
          throw new Error('bug in a data listener');
        });
      });
    const { port, summaries } = await serve([echo, throwing]);
    const healthy = await tcpConnect(port);
    expect(await roundTrip(healthy, 'one')).toBe('one');
    const doomed = await tcpConnect(port);
    doomed.on('error', () => {});
    doomed.write('boom');
    await once(doomed, 'close');
    expect((await summaries[1])?.outcome).toBe('error');
    expect(await roundTrip(healthy, 'two')).toBe('two');
    healthy.end();
    expect((await summaries[0])?.outcome).toBe('completed');
  });

  it('a handler that rejects closes its session with outcome error', async () => {
    const { port, summaries } = await serve([() => Promise.reject(new Error('refused by the service'))]);
    const client = await tcpConnect(port);
    client.on('error', () => {});
    await once(client, 'close');
    expect(await summaries[0]).toMatchObject({ outcome: 'error' });
  });

  it('a service that returns nothing ends its session with context.finish()', async () => {
    const { port, summaries } = await serve([
      (socket, context) => {
        socket.once('data', (chunk: Buffer) => socket.write(chunk, () => context.finish()));
      },
    ]);
    const client = await tcpConnect(port);
    expect(await roundTrip(client, 'bye')).toBe('bye');
    // finish() half-closes: the client sees the end of the stream, and the session ends with its FIN.
    await once(client, 'end');
    client.end();
    expect(await summaries[0]).toMatchObject({ outcome: 'completed', bytesIn: 3, bytesOut: 3 });
  });

  it('a service that returns nothing fails its session with context.fail()', async () => {
    const { port, summaries } = await serve([
      (socket, context) => {
        socket.once('data', () => context.fail(new Error('the service gave up')));
      },
    ]);
    const client = await tcpConnect(port);
    client.on('error', () => {});
    client.write('x');
    await once(client, 'close');
    expect(await summaries[0]).toMatchObject({ outcome: 'error' });
  });

  it('closes an idle session', async () => {
    const { port, summaries } = await serve([() => new Promise(() => {})], 50);
    const client = await tcpConnect(port);
    await once(client, 'close');
    expect(await summaries[0]).toMatchObject({ outcome: 'idle-timeout' });
  });

  it('an idle handler that throws fails its own session only', async () => {
    const throwingWhenIdle: Handler = (_socket, context) => {
      context.setIdleHandler({
        onIdle: () => {
          throw new Error('bug in an idle handler');
        },
      });
      return new Promise(() => {});
    };
    // The healthy session echoes, and a byte every exchange keeps it from being idle itself.
    const { port, summaries } = await serve([echo, throwingWhenIdle], 50);
    const healthy = await tcpConnect(port);
    expect(await roundTrip(healthy, 'one')).toBe('one');
    const doomed = await tcpConnect(port);
    doomed.on('error', () => {});
    await once(doomed, 'close');
    expect(await summaries[1]).toMatchObject({ outcome: 'error' });
    healthy.end();
    expect((await summaries[0])?.outcome).not.toBe('error');
  });

  it('writes every session line with svc, sid and remote, whether or not the child logger was made', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const log = pino({ level: 'info' }, sink);
    server = createServer((socket) => {
      void runSession({
        socket,
        sid: 'abc',
        svc: 'test',
        listener: 'main',
        log,
        idleTimeoutMs: 30_000,
        handler: (_socket, context) => {
          context.logInfo({ step: 1 }, 'without the child');
          context.log.info({ step: 2 }, 'through the child');
          return Promise.resolve();
        },
      }).then(() => sink.end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const client = await tcpConnect(typeof address === 'object' && address ? address.port : 0);
    const clientPort = client.localPort;
    client.resume();
    await once(sink, 'finish');
    client.destroy();
    expect(lines.map((line) => line.msg)).toEqual([
      'session start',
      'without the child',
      'through the child',
      'session end',
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ svc: 'test', sid: 'abc', remote: `127.0.0.1:${clientPort}` });
    }
  });

  it('counts bytes both ways', async () => {
    const { port, summaries } = await serve([echo]);
    const client = await tcpConnect(port);
    expect(await roundTrip(client, 'hello')).toBe('hello');
    client.end();
    expect(await summaries[0]).toMatchObject({ outcome: 'completed', bytesIn: 5, bytesOut: 5 });
  });
});
