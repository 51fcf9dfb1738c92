/**
 * Prometheus metrics, kept in the primary: it sees every admission and refusal, and workers report
 * session ends and datagram counts to it. Exposed as text on the HTTP /metrics endpoint.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class SupervisorMetrics {
  readonly registry = new Registry();
  readonly sessionsActive = new Gauge({
    name: 'classicd_sessions_active',
    help: 'Sessions open now, by service.',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  readonly sessionsTotal = new Counter({
    name: 'classicd_sessions_total',
    help: 'Sessions admitted since start, by service.',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  readonly sessionEnds = new Counter({
    name: 'classicd_session_ends_total',
    help: 'Sessions ended, by service and how they ended.',
    labelNames: ['service', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'classicd_refusals_total',
    help: 'Connections refused by admission control, by service and reason.',
    labelNames: ['service', 'reason'] as const,
    registers: [this.registry],
  });
  readonly workerRestarts = new Counter({
    name: 'classicd_worker_restarts_total',
    help: 'Workers that died and were replaced.',
    registers: [this.registry],
  });
  readonly workersUp = new Gauge({
    name: 'classicd_workers_up',
    help: 'Worker processes ready to take sessions.',
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'classicd_bytes_received_total',
    help: 'Bytes received from clients, by service and transport.',
    labelNames: ['service', 'transport'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'classicd_bytes_sent_total',
    help: 'Bytes sent to clients, by service and transport.',
    labelNames: ['service', 'transport'] as const,
    registers: [this.registry],
  });
  readonly datagrams = new Counter({
    name: 'classicd_datagrams_total',
    help: 'UDP datagrams received, by service and what became of them.',
    labelNames: ['service', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    // prom-client samples event-loop delay with a timer every 10 ms by default: 100 wake-ups a
    // second that cost an idle primary about 1% of a core. Ten a second still catch any stall
    // long enough to matter to admission.
    collectDefaultMetrics({ register: this.registry, prefix: 'classicd_primary_', eventLoopMonitoringPrecision: 100 });
  }
}
