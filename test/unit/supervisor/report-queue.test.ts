/**
 * Worker reports: messages within 5 ms, in one batch; tallies of the worker's own sessions within
 * 100 ms, or sooner with a message that goes anyway. Driven by fake timers, not by waiting.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerMessage } from '../../../shared/supervisor/ipc.js';
import { countIn, ReportQueue } from '../../../shared/supervisor/report-queue.js';

let sent: WorkerMessage[];
let queue: ReportQueue;
beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  queue = new ReportQueue((message) => sent.push(message), 5, 128, 100);
});
afterEach(() => vi.useRealTimers());

const end = (sid: string): WorkerMessage => ({
  t: 'session-end',
  svc: 'ftp',
  sid,
  bytesIn: 1,
  bytesOut: 2,
  outcome: 'completed',
});

describe('ReportQueue', () => {
  it('sends one tally per service, summed, once its delay is up', () => {
    for (let i = 0; i < 3; i++) queue.tally('ftp').started += 1;
    countIn(queue.tally('ftp').ended, 'completed');
    countIn(queue.tally('daytime').refused, 'rate');
    vi.advanceTimersByTime(99);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([
      {
        t: 'batch',
        messages: [
          {
            t: 'tally',
            svc: 'ftp',
            tally: { started: 3, ended: { completed: 1 }, bytesIn: 0, bytesOut: 0, refused: {} },
          },
          {
            t: 'tally',
            svc: 'daytime',
            tally: { started: 0, ended: {}, bytesIn: 0, bytesOut: 0, refused: { rate: 1 } },
          },
        ],
      },
    ]);
    queue.tally('ftp').started += 1; // a fresh tally after a flush
    vi.advanceTimersByTime(100);
    expect(sent[1]).toMatchObject({ t: 'tally', svc: 'ftp', tally: { started: 1 } });
  });

  it('sends messages within their 5 ms, taking the tallies along', () => {
    queue.tally('ftp').started += 1;
    queue.push(end('a'));
    queue.push(end('b'));
    vi.advanceTimersByTime(5);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      t: 'batch',
      messages: [{ sid: 'a' }, { sid: 'b' }, { t: 'tally', svc: 'ftp', tally: { started: 1 } }],
    });
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1); // nothing left, nothing sent
  });

  it('sends a lone message as itself, and a full batch at once', () => {
    queue.push(end('a'));
    vi.advanceTimersByTime(5);
    expect(sent).toEqual([end('a')]);
    const small = new ReportQueue((message) => sent.push(message), 5, 2, 100);
    small.push(end('b'));
    small.push(end('c'));
    expect(sent[1]).toEqual({ t: 'batch', messages: [end('b'), end('c')] });
  });
});
