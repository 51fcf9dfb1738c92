/**
 * Worker-to-primary reports, batched. A busy worker ends thousands of short sessions a second; one
 * IPC message each cost more than the sessions themselves. Reports wait at most `maxDelayMs` (or
 * until `maxBatch` are queued) and travel as one message. The primary's counts, and the release of
 * admission slots, lag by that much at most.
 */
import type { WorkerMessage } from './ipc.js';

export class ReportQueue {
  private queued: WorkerMessage[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (message: WorkerMessage) => void,
    private readonly maxDelayMs = 5,
    private readonly maxBatch = 128,
  ) {}

  push(message: WorkerMessage): void {
    this.queued.push(message);
    if (this.queued.length >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queued.length === 0) return;
    const messages = this.queued;
    this.queued = [];
    this.send(messages.length === 1 ? (messages[0] as WorkerMessage) : { t: 'batch', messages });
  }
}
