import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../helpers/classicd.js';
import { httpGet, metricReaches, metricValue, tcpExchange } from '../helpers/net.js';

describe('HTTP endpoints', () => {
  let server: RunningClassicd;
  beforeAll(async () => {
    server = await startClassicd(testConfig({ daytime: {} }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('/healthz answers 200', async () => {
    expect(await httpGet(server.httpPort, '/healthz')).toMatchObject({ status: 200 });
  });

  it('/readyz answers 200 with the bound listeners', async () => {
    const { status, body } = await httpGet(server.httpPort, '/readyz');
    expect(status).toBe(200);
    expect(JSON.parse(body).listeners).toEqual(
      expect.arrayContaining([expect.objectContaining({ svc: 'daytime', transport: 'tcp' })]),
    );
  });

  it('/metrics counts sessions and bytes in Prometheus text format', async () => {
    await tcpExchange(server.port('daytime'));
    await metricReaches(server.httpPort, 'classicd_bytes_sent_total', { service: 'daytime', transport: 'tcp' }, 1);
    const { status, body } = await httpGet(server.httpPort, '/metrics');
    expect(status).toBe(200);
    expect(body).toContain('# TYPE classicd_sessions_total counter');
    expect(metricValue(body, 'classicd_sessions_total', { service: 'daytime' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(body, 'classicd_bytes_sent_total', { service: 'daytime', transport: 'tcp' })).toBeGreaterThan(0);
    expect(metricValue(body, 'classicd_workers_up')).toBe(2);
  });
});
