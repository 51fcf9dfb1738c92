/** SIGTERM: stop accepting, let running sessions finish within the grace period, then exit 0. */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpConnect } from '../../helpers/net.js';

let server: RunningClassicd | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.stop();
  server = undefined;
});

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return chunk.toString();
}

describe('graceful shutdown', () => {
  it('lets a running session finish, refuses new ones, then exits 0', async () => {
    // handoff: the primary's listener closes the moment the signal lands. (With dispatch: shared the
    // workers' listeners close through the cluster module a moment later, which this test would race.)
    server = await startClassicd(
      testConfig({ echo: { dispatch: 'handoff' } }, { supervisor: { shutdownGraceMs: 60_000 } }),
    );
    const port = server.port('echo');
    const session = await tcpConnect(port);
    sockets.push(session);
    expect(await roundTrip(session, 'before')).toBe('before');

    server.child.kill('SIGTERM');
    await server.waitForLine((line) => line.msg === 'waiting for sessions to finish');
    // The session goes on after the signal...
    expect(await roundTrip(session, 'after')).toBe('after');
    // ...while the listener is closed to newcomers.
    await expect(tcpConnect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    session.end();
    const { code } = await server.exited;
    expect(code).toBe(0);
    const end = server.lines.find((line) => line.msg === 'session end' && line.svc === 'echo');
    expect(end?.outcome).toBe('completed');
  });

  it('closes sessions still open when the grace period ends', async () => {
    server = await startClassicd(testConfig({ echo: {} }, { supervisor: { shutdownGraceMs: 200 } }));
    const session = await tcpConnect(server.port('echo'));
    sockets.push(session);
    session.on('error', () => {});
    expect(await roundTrip(session, 'hi')).toBe('hi');
    server.child.kill('SIGTERM');
    await once(session, 'close');
    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(server.lines.find((line) => line.msg === 'session end')?.outcome).toBe('shutdown');
  });
});
