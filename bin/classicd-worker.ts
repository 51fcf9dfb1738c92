#!/usr/bin/env node
/**
 * The worker process entry, forked by the supervisor. Signal handling lives here and in
 * classicd.ts only: a worker ignores the terminal's SIGINT and SIGTERM because the primary, which
 * got the same signal, orchestrates the shutdown and tells each worker when to stop. SIGHUP and
 * SIGUSR1 are the primary's too (it tells the workers to reopen their files); ignored here, a
 * hangup does not kill a worker, and SIGUSR1 does not open Node's debugger port (its default).
 */
import { SERVICES } from '../services/index.js';
import { WorkerRuntime } from '../shared/supervisor/worker-runtime.js';

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('SIGHUP', () => {});
process.on('SIGUSR1', () => {});
new WorkerRuntime(SERVICES).attach();
