/**
 * The HTTP side of the primary: liveness, readiness and Prometheus metrics. Later issues add the
 * mail API and web page here.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { HttpConfig } from '../config/schema.js';
import type { Supervisor } from '../supervisor/supervisor.js';

export async function startHttpServer(
  config: HttpConfig,
  supervisor: Supervisor,
): Promise<{ server: FastifyInstance; port: number }> {
  const server = Fastify({ logger: false });

  // Liveness: the primary's event loop answers. Nothing else, so an orchestrator restarts only a
  // process that is truly wedged.
  server.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: every listener bound and every worker up.
  server.get('/readyz', async (_request, reply) => {
    const ready = supervisor.ready;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', listeners: supervisor.boundAddresses });
  });

  server.get('/metrics', async (_request, reply) => {
    const { registry } = supervisor.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  await server.listen({ host: config.host, port: config.port });
  const address = server.server.address();
  return { server, port: typeof address === 'object' && address ? address.port : config.port };
}
