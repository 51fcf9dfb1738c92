#!/usr/bin/env node
/**
 * The worker process entry, forked by the supervisor. Signal handling lives here and in
 * classicd.ts only: a worker ignores the terminal's SIGINT and SIGTERM because the primary, which
 * got the same signal, orchestrates the shutdown and tells each worker when to stop.
 */
import { SERVICES } from '../services/index.js';
import { WorkerRuntime } from '../shared/supervisor/worker-runtime.js';

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
new WorkerRuntime(SERVICES).attach();
