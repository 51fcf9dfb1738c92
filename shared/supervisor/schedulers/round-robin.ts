/** rr: each worker in turn, skipping those with weight 0 (ipvsadm(8) "Round Robin"). */
import type { Scheduler, WorkerLoad } from './scheduler.js';

export function createRoundRobin(): Scheduler {
  let lastId = -1;
  return {
    name: 'rr',
    pick(workers) {
      const live = workers.filter((worker) => worker.weight > 0);
      if (live.length === 0) return undefined;
      // Continue after the worker picked last time, by id, so a restart does not reset the order.
      const next = live.find((worker) => worker.id > lastId) ?? live[0];
      lastId = (next as WorkerLoad).id;
      return next;
    },
  };
}
