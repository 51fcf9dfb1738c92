/**
 * Worker-to-primary reports, batched. A busy worker ends thousands of short sessions a second; one
 * IPC message each cost more than the sessions themselves. Reports wait at most `maxDelayMs` (or
 * until `maxBatch` are queued) and travel as one message. The primary's counts, and the release of
 * admission slots, lag by that much at most.
 *
 * Sessions the worker admitted itself are not reported one by one at all: they are tallied per
 * service (started, ended by outcome, bytes, refusals), and each flush sends one tally a service.
 * The primary needs their numbers, not their ids, and only for /metrics, so a tally waits up to
 * `tallyDelayMs` (or rides along with reports that cannot wait). Waking the primary every 5 ms
 * for them cost it about 15 µs of CPU per FTP login.
 */
import type { SessionTally, WorkerMessage } from './ipc.js';

export class ReportQueue {
  private queued: WorkerMessage[] = [];
  private tallies = new Map<string, SessionTally>();
  private timer: NodeJS.Timeout | undefined;
  private tallyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (message: WorkerMessage) => void,
    private readonly maxDelayMs = 5,
    private readonly maxBatch = 128,
    private readonly tallyDelayMs = 100,
  ) {}

  push(message: WorkerMessage): void {
    this.queued.push(message);
    if (this.queued.length >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** The running tally for `svc`, to add to; it goes out with the next flush. */
  tally(svc: string): SessionTally {
    let tally = this.tallies.get(svc);
    if (!tally) {
      tally = { started: 0, ended: {}, bytesIn: 0, bytesOut: 0, refused: {} };
      this.tallies.set(svc, tally);
    }
    this.tallyTimer ??= setTimeout(() => this.flush(), this.tallyDelayMs);
    return tally;
  }

  flush(): void {
    clearTimeout(this.timer);
    clearTimeout(this.tallyTimer);
    this.timer = undefined;
    this.tallyTimer = undefined;
    const messages = this.queued;
    for (const [svc, tally] of this.tallies) messages.push({ t: 'tally', svc, tally });
    this.queued = [];
    this.tallies = new Map();
    if (messages.length === 0) return;
    this.send(messages.length === 1 ? (messages[0] as WorkerMessage) : { t: 'batch', messages });
  }
}

/** Adds one to a tally's count under `key`. */
export function countIn<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
