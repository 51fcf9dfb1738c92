/**
 * lc and wlc (ipvsadm(8)). lc picks the worker with the fewest active sessions; wlc the one with the
 * fewest per unit of weight, compared by cross-multiplying as IPVS does (C1*W2 < C2*W1) so no
 * division is needed. Ties go to the earlier worker, which keeps picks deterministic.
 */
import type { Scheduler, WorkerLoad } from './scheduler.js';

export function createLeastConnection(): Scheduler {
  return {
    name: 'lc',
    pick(workers) {
      return pickMin(workers, (a, b) => a.activeSessions < b.activeSessions);
    },
  };
}

export function createWeightedLeastConnection(): Scheduler {
  return {
    name: 'wlc',
    pick(workers) {
      return pickMin(workers, (a, b) => a.activeSessions * b.weight < b.activeSessions * a.weight);
    },
  };
}

function pickMin(
  workers: readonly WorkerLoad[],
  better: (candidate: WorkerLoad, best: WorkerLoad) => boolean,
): WorkerLoad | undefined {
  let best: WorkerLoad | undefined;
  for (const worker of workers) {
    if (worker.weight <= 0) continue;
    if (!best || better(worker, best)) best = worker;
  }
  return best;
}
