/**
 * Messages between the primary and its workers, over the child-process IPC channel. Sockets ride
 * along as the message's handle, so the worker owns the connection and no byte is proxied.
 */
import type { ClassicdConfig } from '../config/schema.js';
import type { RefusalReason } from '../service.js';

export type SessionOutcome = 'completed' | 'error' | 'idle-timeout' | 'reset' | 'shutdown';

/**
 * dispatch: brokered, with the native addon. The admission table to map (at `path`), the column
 * this worker counts in, and each brokered service's index in the table.
 */
export interface AdmissionTableGrant {
  readonly path: string;
  readonly column: number;
  readonly services: Readonly<Record<string, number>>;
}

export type PrimaryMessage =
  | {
      readonly t: 'init';
      readonly workerId: number;
      readonly config: ClassicdConfig;
      readonly admissionTable?: AdmissionTableGrant;
    }
  /** A connected socket, still paused, for service `svc`; its handle travels with the message. */
  | { readonly t: 'session'; readonly svc: string; readonly sid: string; readonly listener: string }
  | { readonly t: 'shutdown'; readonly graceMs: number }
  /** SIGHUP: reopen log files and take up certificates, given what the primary read, per service. */
  | { readonly t: 'reopen'; readonly prepared: Readonly<Record<string, unknown>> }
  /**
   * dispatch: brokered. The answer to the worker's `admit` number `id`: the session id when
   * admitted (the primary now counts the session until its session-end), else why not.
   */
  | { readonly t: 'admission'; readonly id: number; readonly sid?: string; readonly reason?: RefusalReason };

export interface DatagramCounts {
  readonly received: number;
  readonly answered: number;
  readonly droppedAcl: number;
  /** From a port below the guard's minSourcePort, or from one of our own UDP services' ports. */
  readonly droppedLowPort: number;
  readonly droppedRate: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * Counts for one service, summed over a report interval: what the primary needs from sessions a
 * worker admitted itself, without a message for each of them (report-queue.ts).
 */
export interface SessionTally {
  started: number;
  ended: Partial<Record<SessionOutcome, number>>;
  bytesIn: number;
  bytesOut: number;
  refused: Partial<Record<RefusalReason, number>>;
}

export interface BoundAddress {
  readonly svc: string;
  /** For TCP, which of the service's listeners (`main` unless the service has more). */
  readonly listener?: string;
  readonly transport: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

export type WorkerMessage =
  /**
   * The worker listens now. A child process drops IPC messages that arrive before it has a
   * 'message' listener, and an ESM entry attaches it only after loading, so the primary sends
   * `init` in answer to this rather than at fork time.
   */
  | { readonly t: 'attached' }
  | { readonly t: 'ready'; readonly bound: readonly BoundAddress[] }
  | { readonly t: 'start-failed'; readonly error: string }
  /** dispatch: brokered. A worker has accepted a connection from `address`: may it serve it? */
  | { readonly t: 'admit'; readonly id: number; readonly svc: string; readonly address: string }
  /**
   * The end of a session the primary counts by its id (one it handed over or admitted by message),
   * so it can release its admission.
   */
  | {
      readonly t: 'session-end';
      readonly svc: string;
      readonly sid: string;
      readonly bytesIn: number;
      readonly bytesOut: number;
      readonly outcome: SessionOutcome;
    }
  /** A line for the service's log `log` (ServiceDefinition.primaryLogs), which the primary writes. */
  | { readonly t: 'log-line'; readonly svc: string; readonly log: string; readonly line: string }
  /** What the worker's own admissions (dispatch shared, brokered by table) came to since its last. */
  | { readonly t: 'tally'; readonly svc: string; readonly tally: SessionTally }
  /** Several of the reports above, sent together (report-queue.ts). */
  | { readonly t: 'batch'; readonly messages: readonly WorkerMessage[] }
  | { readonly t: 'datagrams'; readonly svc: string; readonly counts: DatagramCounts };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string';
}
