import { describe, expect, it } from 'vitest';
import { createScheduler, SCHEDULER_NAMES, type WorkerLoad } from '../../../shared/supervisor/schedulers/index.js';

const context = { clientAddress: '127.0.0.1' };
const worker = (id: number, weight = 1, activeSessions = 0): WorkerLoad => ({ id, weight, activeSessions });

/** Picks `count` times, counting each pick as a new session on the picked worker. */
function distribute(name: (typeof SCHEDULER_NAMES)[number], workers: WorkerLoad[], count: number): number[] {
  const scheduler = createScheduler(name);
  const loads = workers.map((w) => ({ ...w }));
  const picks: number[] = [];
  for (let i = 0; i < count; i++) {
    const picked = scheduler.pick(loads, context);
    if (!picked) throw new Error('no pick');
    picks.push(picked.id);
    const entry = loads.find((w) => w.id === picked.id) as { activeSessions: number };
    entry.activeSessions += 1;
  }
  return picks;
}

describe('schedulers', () => {
  it.each(SCHEDULER_NAMES)('%s picks nothing when there are no workers or every weight is 0', (name) => {
    const scheduler = createScheduler(name);
    expect(scheduler.pick([], context)).toBeUndefined();
    expect(scheduler.pick([worker(1, 0), worker(2, 0)], context)).toBeUndefined();
  });

  it('rr takes each worker in turn and skips weight 0', () => {
    expect(distribute('rr', [worker(1), worker(2), worker(3)], 6)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(distribute('rr', [worker(1), worker(2, 0), worker(3)], 4)).toEqual([1, 3, 1, 3]);
  });

  it('rr continues after the last pick when a worker is replaced', () => {
    const scheduler = createScheduler('rr');
    expect(scheduler.pick([worker(1), worker(2)], context)?.id).toBe(1);
    // Worker 2 died and worker 3 replaced it.
    expect(scheduler.pick([worker(1), worker(3)], context)?.id).toBe(3);
    expect(scheduler.pick([worker(1), worker(3)], context)?.id).toBe(1);
  });

  it('wrr interleaves in proportion to weight, as IPVS does', () => {
    // ip_vs_wrr.c with weights 4, 3, 2: A A B A B C A B C (one cycle of 9).
    const picks = distribute('wrr', [worker(1, 4), worker(2, 3), worker(3, 2)], 9);
    expect(picks).toEqual([1, 1, 2, 1, 2, 3, 1, 2, 3]);
  });

  it('wrr with equal weights is round robin', () => {
    expect(distribute('wrr', [worker(1, 2), worker(2, 2)], 4)).toEqual([1, 2, 1, 2]);
  });

  it('lc picks the worker with the fewest active sessions', () => {
    const scheduler = createScheduler('lc');
    expect(scheduler.pick([worker(1, 1, 5), worker(2, 1, 2), worker(3, 1, 9)], context)?.id).toBe(2);
    expect(distribute('lc', [worker(1, 1, 3), worker(2)], 4)).toEqual([2, 2, 2, 1]);
  });

  it('wlc weighs active sessions by worker weight', () => {
    const scheduler = createScheduler('wlc');
    // 6/3 = 2 beats 3/1 = 3.
    expect(scheduler.pick([worker(1, 1, 3), worker(2, 3, 6)], context)?.id).toBe(2);
    // Over many picks the heavier worker takes three times the sessions.
    const picks = distribute('wlc', [worker(1, 1), worker(2, 3)], 400);
    expect(picks.filter((id) => id === 2).length).toBe(300);
  });

  it('wlc never picks a weight-0 (quiesced) worker', () => {
    const scheduler = createScheduler('wlc');
    expect(scheduler.pick([worker(1, 0, 0), worker(2, 1, 100)], context)?.id).toBe(2);
  });
});
