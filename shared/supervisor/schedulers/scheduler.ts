/**
 * The scheduler interface: given the workers that can take a session now, pick one.
 * Algorithms follow LVS/IPVS (ipvsadm(8)); a worker here plays the part of a real server.
 */

export interface WorkerLoad {
  /** Stable for the worker's life; a restarted worker gets a new one. */
  readonly id: number;
  /** Relative capacity; 0 takes no new sessions (IPVS quiesce). */
  readonly weight: number;
  /** Sessions the worker holds now, as it last reported plus those dispatched since. */
  readonly activeSessions: number;
}

export interface PickContext {
  /** The client's address, for the hashing and locality schedulers. */
  readonly clientAddress: string;
}

export interface Scheduler {
  readonly name: string;
  /** Undefined when no worker can take a session (none up, or every weight is 0). */
  pick(workers: readonly WorkerLoad[], context: PickContext): WorkerLoad | undefined;
}
