/** The scheduler registry: config names to constructors. */
import { createLeastConnection, createWeightedLeastConnection } from './least-connection.js';
import { createRoundRobin } from './round-robin.js';
import type { Scheduler } from './scheduler.js';
import { createWeightedRoundRobin } from './weighted-round-robin.js';

export type { PickContext, Scheduler, WorkerLoad } from './scheduler.js';

export const SCHEDULER_NAMES = ['rr', 'wrr', 'lc', 'wlc'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

const constructors: Record<SchedulerName, () => Scheduler> = {
  rr: createRoundRobin,
  wrr: createWeightedRoundRobin,
  lc: createLeastConnection,
  wlc: createWeightedLeastConnection,
};

export function createScheduler(name: SchedulerName): Scheduler {
  return constructors[name]();
}
