/**
 * Admission control with service-wide limits: per-IP cap, connection rate, allow/deny, each refused
 * and counted. Every test runs with dispatch handoff (the primary accepts and admits) and brokered
 * (two workers accept), both through the shared admission table and by asking the primary.
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

/** Refusals counted, once there is one: a worker's reach the primary in its next batch of reports. */
async function refusals(reason: string, service: string): Promise<number> {
  const labels = { service, reason };
  await metricReaches(server!.httpPort, 'classicd_refusals_total', labels, 1);
  return metricValue((await httpGet(server!.httpPort, '/metrics')).body, 'classicd_refusals_total', labels);
}

describe.each([
  { dispatch: 'handoff', admissionTable: true },
  { dispatch: 'brokered', admissionTable: true },
  { dispatch: 'brokered', admissionTable: false },
])('admission control, dispatch $dispatch, admissionTable $admissionTable', ({ dispatch, admissionTable }) => {
  const twoWorkers = { supervisor: { workers: 2, admissionTable } };

  it('refuses a second session from one address past maxSessionsPerIp, and counts it', async () => {
    server = await startClassicd(testConfig({ echo: { dispatch, maxSessionsPerIp: 1 } }, twoWorkers));
    const port = server.port('echo');
    const held = await tcpConnect(port);
    sockets.push(held);
    held.write('x');
    await once(held, 'data'); // admitted and served

    // The small services have no refusal message: the connection just closes.
    expect((await tcpExchange(port, 'y')).length).toBe(0);
    expect(await refusals('max-per-ip', 'echo')).toBe(1);
    const refusedLine = await server.waitForLine((line) => line.msg === 'connection refused');
    // handoff: the primary holds the socket and refuses; brokered: the worker holding it does.
    expect(refusedLine).toMatchObject({
      svc: 'echo',
      reason: 'max-per-ip',
      proc: dispatch === 'handoff' ? 'primary' : 'worker',
    });

    held.end();
    // The primary releases the slot when the worker's report arrives, which may be after its log line.
    await metricReaches(server.httpPort, 'classicd_session_ends_total', { service: 'echo', outcome: 'completed' }, 1);
    const again = await tcpConnect(port);
    sockets.push(again);
    again.write('z');
    const [chunk] = (await once(again, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('z');
  });

  it('refuses past connectionsPerSecond, and counts it', async () => {
    // One token, refilled once in a thousand seconds: the second connection is refused however slow the machine.
    server = await startClassicd(testConfig({ daytime: { dispatch, connectionsPerSecond: 0.001 } }, twoWorkers));
    const port = server.port('daytime');
    expect((await tcpExchange(port)).length).toBeGreaterThan(0);
    expect((await tcpExchange(port)).length).toBe(0);
    expect(await refusals('rate', 'daytime')).toBe(1);
  });

  it('refuses denied networks and those outside the allow list', async () => {
    server = await startClassicd(
      testConfig(
        {
          daytime: { dispatch, deny: ['127.0.0.0/8'] },
          time: { dispatch, allow: ['10.0.0.0/8'] },
        },
        twoWorkers,
      ),
    );
    expect((await tcpExchange(server.port('daytime'))).length).toBe(0);
    expect((await tcpExchange(server.port('time'))).length).toBe(0);
    expect(await refusals('deny', 'daytime')).toBe(1);
    expect(await refusals('not-allowed', 'time')).toBe(1);
  });

  it('with maxSessions reached, refuses everyone until a session ends', async () => {
    server = await startClassicd(testConfig({ echo: { dispatch, maxSessions: 1 } }, twoWorkers));
    const port = server.port('echo');
    const held = await tcpConnect(port);
    sockets.push(held);
    held.write('x');
    await once(held, 'data');
    expect((await tcpExchange(port, 'y')).length).toBe(0);
    expect(await refusals('max-sessions', 'echo')).toBe(1);
  });
});
