/** The dispatch and isolation modes each serve sessions end to end. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { httpGet, metricReaches, metricValue, tcpExchange, udpExchange } from '../../helpers/net.js';

let server: RunningClassicd | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('dispatch and isolation', () => {
  it('dispatch: shared lets workers accept for themselves, and the primary still counts', async () => {
    server = await startClassicd(testConfig({ daytime: { dispatch: 'shared' } }, { supervisor: { workers: 2 } }));
    for (let i = 0; i < 6; i++) expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
    expect(await udpExchange(server.port('daytime', 'udp'), 'x')).toBeDefined();
    expect(await metricReaches(server.httpPort, 'classicd_sessions_total', { service: 'daytime' }, 6)).toBe(6);
  });

  it.each([true, false])(
    'dispatch: brokered lets workers accept under service-wide limits, and counts (admissionTable %s)',
    async (admissionTable) => {
      server = await startClassicd(
        testConfig({ daytime: { dispatch: 'brokered' } }, { supervisor: { workers: 2, admissionTable } }),
      );
      for (let i = 0; i < 6; i++) expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
      expect(await metricReaches(server.httpPort, 'classicd_sessions_total', { service: 'daytime' }, 6)).toBe(6);
    },
  );

  it('dispatch: brokered with the admission table admits in the worker: served while the primary is stopped', async () => {
    server = await startClassicd(testConfig({ daytime: { dispatch: 'brokered' } }, { supervisor: { workers: 2 } }));
    const primary = server.child;
    // Without the table each connection waits for the primary's answer, which a stopped primary never gives.
    primary.kill('SIGSTOP');
    try {
      for (let i = 0; i < 4; i++) expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
    } finally {
      primary.kill('SIGCONT');
    }
    expect(await metricReaches(server.httpPort, 'classicd_sessions_total', { service: 'daytime' }, 4)).toBe(4);
  });

  it('isolation: per-session gives each session a fresh worker process and reaps it', async () => {
    server = await startClassicd(
      testConfig({ daytime: { dispatch: 'handoff' } }, { supervisor: { isolation: 'per-session', workers: 2 } }),
    );
    for (let i = 0; i < 4; i++) expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
    await server.waitForLine(() => server!.lines.filter((line) => line.msg === 'session end').length >= 4);
    const pids = server.lines.filter((line) => line.msg === 'session start').map((line) => line.pid);
    expect(new Set(pids).size).toBe(4);
    const metrics = (await httpGet(server.httpPort, '/metrics')).body;
    expect(metricValue(metrics, 'classicd_worker_restarts_total')).toBe(0);
  });

  it.each([
    ['shared', 'worker'],
    ['brokered', 'worker'], // the primary decides; the worker holding the socket refuses
    ['handoff', 'primary'],
  ])('dispatch: default follows supervisor.dispatch %s (refused by the %s)', async (mode, refuser) => {
    server = await startClassicd(
      testConfig({ daytime: { dispatch: 'default', deny: ['127.0.0.0/8'] } }, { supervisor: { dispatch: mode } }),
    );
    expect((await tcpExchange(server.port('daytime'))).length).toBe(0);
    const refused = await server.waitForLine((line) => line.msg === 'connection refused');
    expect(refused.proc).toBe(refuser);
  });

  it.each([
    [3, '--max-semi-space-size=3'],
    [0, undefined],
  ])('workerSemiSpaceMiB %d gives the workers %s', async (workerSemiSpaceMiB, flag) => {
    server = await startClassicd(testConfig({ daytime: {} }, { supervisor: { workers: 1, workerSemiSpaceMiB } }));
    const ready = await server.waitForLine((line) => line.msg === 'worker ready');
    const argv = readFileSync(`/proc/${String(ready.workerPid)}/cmdline`, 'utf8').split('\0');
    expect(argv.find((arg) => arg.startsWith('--max-semi-space-size'))).toBe(flag);
    expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
  });

  it.each(['rr', 'wrr', 'lc', 'wlc'])('scheduler %s serves sessions', async (scheduler) => {
    server = await startClassicd(
      testConfig({ daytime: { dispatch: 'handoff' } }, { supervisor: { scheduler, workerWeights: [1, 2] } }),
    );
    for (let i = 0; i < 3; i++) expect((await tcpExchange(server.port('daytime'))).length).toBeGreaterThan(0);
  });
});
