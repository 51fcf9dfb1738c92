import { availableParallelism } from 'node:os';
import type { SupervisorConfig } from '../config/schema.js';

/** `auto` is one worker per core. */
export function resolveWorkerCount(workers: SupervisorConfig['workers']): number {
  return workers === 'auto' ? availableParallelism() : workers;
}
