/**
 * Workers die; sessions elsewhere never notice. The restart is counted, and past the restart
 * intensity the primary gives up loudly and exits non-zero.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { httpGet, metricReaches, metricValue, tcpConnect, tcpExchange } from '../../helpers/net.js';

let server: RunningClassicd | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.stop();
  server = undefined;
});

async function echoSession(port: number): Promise<Socket> {
  const socket = await tcpConnect(port);
  socket.on('error', () => {});
  sockets.push(socket);
  return socket;
}

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return chunk.toString();
}

/** The worker pid that is running session `sid`'s start line for the n-th echo session. */
async function workerPidOfNthSession(running: RunningClassicd, n: number): Promise<number> {
  const starts: number[] = [];
  await running.waitForLine((line) => {
    if (line.msg === 'session start' && line.svc === 'echo') starts.push(line.pid as number);
    return starts.length >= n;
  });
  return running.lines.filter((line) => line.msg === 'session start' && line.svc === 'echo')[n - 1]?.pid as number;
}

/**
 * dispatch brokered, two workers, one session allowed per address: starts the server and holds that
 * one echo session; says which worker runs it.
 */
async function holdTheOneAllowedSession(): Promise<{
  running: RunningClassicd;
  port: number;
  held: Socket;
  workerPid: number;
}> {
  const running = await startClassicd(
    testConfig({ echo: { dispatch: 'brokered', maxSessionsPerIp: 1 } }, { supervisor: { workers: 2 } }),
  );
  server = running; // for afterEach
  const port = running.port('echo');
  const held = await echoSession(port);
  expect(await roundTrip(held, 'a')).toBe('a');
  // The worker admitted it through the shared table; the primary hears of it in the worker's next
  // tally (100 ms at most), and only a session it has heard of can be counted as ended by a
  // worker's death.
  await metricReaches(running.httpPort, 'classicd_sessions_total', { service: 'echo' }, 1);
  return { running, port, held, workerPid: await workerPidOfNthSession(running, 1) };
}

describe('fault isolation', () => {
  it('a worker killed with SIGKILL is replaced; sessions on the other worker carry on', async () => {
    server = await startClassicd(
      testConfig({ echo: { dispatch: 'handoff' }, daytime: {} }, { supervisor: { workers: 2, scheduler: 'rr' } }),
    );
    const port = server.port('echo');
    const first = await echoSession(port);
    expect(await roundTrip(first, 'a')).toBe('a');
    const second = await echoSession(port);
    expect(await roundTrip(second, 'b')).toBe('b');
    const victimPid = await workerPidOfNthSession(server, 1);
    const survivorPid = await workerPidOfNthSession(server, 2);
    expect(victimPid).not.toBe(survivorPid); // rr put them on different workers

    const readyBefore = server.lines.filter((line) => line.msg === 'worker ready').length;
    process.kill(victimPid, 'SIGKILL');
    await once(first, 'close');
    await server.waitForLine((line) => line.msg === 'worker died' && line.workerPid === victimPid);
    await server.waitForLine(
      (line) =>
        line.msg === 'worker ready' && server!.lines.filter((l) => l.msg === 'worker ready').length > readyBefore,
    );

    // The session on the other worker never noticed.
    expect(await roundTrip(second, 'still here')).toBe('still here');
    // New connections are served, by both workers.
    for (let i = 0; i < 4; i++) expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
    const fresh = await echoSession(port);
    expect(await roundTrip(fresh, 'new')).toBe('new');

    const metrics = (await httpGet(server.httpPort, '/metrics')).body;
    expect(metricValue(metrics, 'classicd_worker_restarts_total')).toBe(1);
    expect(metricValue(metrics, 'classicd_session_ends_total', { service: 'echo', outcome: 'worker-exit' })).toBe(1);
    expect((await httpGet(server.httpPort, '/readyz')).status).toBe(200);
  });

  it('dispatch: brokered: max per IP holds across workers, where shared would count per worker', async () => {
    const { running, port, held, workerPid: holder } = await holdTheOneAllowedSession();
    process.kill(holder, 'SIGSTOP'); // only the other worker can accept now
    try {
      expect((await tcpExchange(port, 'second')).length).toBe(0);
    } finally {
      process.kill(holder, 'SIGCONT');
    }
    const refused = await running.waitForLine((line) => line.msg === 'connection refused');
    expect(refused).toMatchObject({ svc: 'echo', reason: 'max-per-ip', proc: 'worker' });
    expect(refused.pid).not.toBe(holder);
    expect(await roundTrip(held, 'still served')).toBe('still served');
  });

  it("dispatch: brokered: a dead worker's sessions no longer count against the limits", async () => {
    const { running, port, held, workerPid: victimPid } = await holdTheOneAllowedSession();
    expect((await tcpExchange(port, 'refused')).length).toBe(0); // the one session allowed is held
    process.kill(victimPid, 'SIGKILL');
    await once(held, 'close');
    const died = await running.waitForLine((line) => line.msg === 'worker died' && line.workerPid === victimPid);
    expect(died.sessionsLost).toBe(1); // admitted by the worker itself, known to the primary by its tally
    const fresh = await echoSession(port);
    expect(await roundTrip(fresh, 'admitted again')).toBe('admitted again');
    const metrics = (await httpGet(running.httpPort, '/metrics')).body;
    expect(metricValue(metrics, 'classicd_session_ends_total', { service: 'echo', outcome: 'worker-exit' })).toBe(1);
  });

  it('past the restart intensity the primary stops and exits non-zero', async () => {
    server = await startClassicd(
      testConfig({ echo: {} }, { supervisor: { workers: 1, restartIntensity: 1, restartPeriodMs: 600_000 } }),
    );
    const workerPid = async (nth: number): Promise<number> => {
      const line = await server!.waitForLine(
        (l) => l.msg === 'worker ready' && server!.lines.filter((x) => x.msg === 'worker ready').length >= nth,
      );
      return (
        (server!.lines.filter((l) => l.msg === 'worker ready')[nth - 1]?.workerPid as number) ??
        (line.workerPid as number)
      );
    };
    process.kill(await workerPid(1), 'SIGKILL'); // the first restart is allowed
    process.kill(await workerPid(2), 'SIGKILL'); // the second is one too many
    const { code } = await server.exited;
    expect(code).toBe(1);
    const fatal = server.lines.find((line) => line.level === 60);
    expect(fatal?.msg).toMatch(/restart intensity exceeded: 2 worker restarts within 600000 ms/);
  });
});
