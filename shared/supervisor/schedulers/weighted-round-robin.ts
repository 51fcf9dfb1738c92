/**
 * wrr: IPVS's interleaved weighted round robin (net/netfilter/ipvs/ip_vs_wrr.c). A current weight
 * `cw` steps down by the gcd of the weights each time the list wraps; a worker is picked when its
 * weight reaches `cw`. Over one cycle each worker gets sessions in proportion to its weight, spread
 * out rather than in bursts.
 */
import type { Scheduler, WorkerLoad } from './scheduler.js';

export function createWeightedRoundRobin(): Scheduler {
  let index = -1;
  let currentWeight = 0;
  return {
    name: 'wrr',
    pick(workers) {
      const maxWeight = Math.max(0, ...workers.map((worker) => worker.weight));
      if (maxWeight === 0) return undefined;
      const step = workers.reduce((acc, worker) => (worker.weight > 0 ? gcd(acc, worker.weight) : acc), 0);
      // At most one full pass per weight level; the bound keeps a bad state from spinning.
      for (let tries = 0; tries <= workers.length * (maxWeight / step + 1); tries++) {
        index = (index + 1) % workers.length;
        if (index === 0) {
          currentWeight -= step;
          if (currentWeight <= 0) currentWeight = maxWeight;
        }
        const worker = workers[index] as WorkerLoad;
        if (worker.weight >= currentWeight) return worker;
      }
      return undefined;
    },
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
