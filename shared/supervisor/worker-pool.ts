/**
 * The worker processes: forking, readiness, the session ledger each worker carries, and replacing
 * workers that die, under OTP-style restart intensity.
 *
 * Workers are forked through the cluster module (with SCHED_NONE, so it never balances on its own)
 * because that is what lets every worker bind a UDP socket, or with dispatch shared or brokered a
 * TCP one, on a handle the primary holds but never reads.
 */
import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ClassicdConfig } from '../config/schema.js';
import type { BoundAddress, PrimaryMessage, WorkerMessage } from './ipc.js';
import { isWorkerMessage } from './ipc.js';
import { RestartIntensity } from './restart-intensity.js';
import type { WorkerLoad } from './schedulers/index.js';

type InitMessage = Extract<PrimaryMessage, { t: 'init' }>;

/**
 * glibc gives freed heap back to the kernel eagerly, and a worker streaming data frees and refills
 * its read buffers constantly: an echo of 1 GiB took 200,000 page faults and twice bare Node's
 * system time. Keeping 32 MiB before trimming removes most of them. Only set if the user has not.
 */
const MALLOC_TUNING: Record<string, string> =
  process.env.MALLOC_TRIM_THRESHOLD_ === undefined ? { MALLOC_TRIM_THRESHOLD_: String(32 * 1024 * 1024) } : {};

/**
 * The workers' Node flags: the primary's own, except its semi-space size (bin/classicd.ts sets
 * the primary's), then V8's young-generation semi-space size from the config. V8's default
 * (16 MiB) is sized for throughput; a worker holding thousands of idle sessions then keeps tens of
 * MiB of young-generation pages resident, which the idle-session bench (when it still counted from
 * an idle server) charged as ~15 KB per FTP session against ~6 KB at 4 MiB, with no change in
 * throughput (docs/benchmarks.md). 0 leaves V8's default.
 */
export function workerExecArgv(semiSpaceMiB: number, primaryArgv: readonly string[] = process.execArgv): string[] {
  const inherited = primaryArgv.filter((flag) => !/^--max[-_]semi[-_]space[-_]size(=|$)/.test(flag));
  return semiSpaceMiB > 0 ? [...inherited, `--max-semi-space-size=${semiSpaceMiB}`] : inherited;
}

/** After the grace period, workers get this much longer to exit before SIGKILL. */
const FORCE_KILL_MARGIN_MS = 5000;

export class WorkerSlot implements WorkerLoad {
  ready = false;
  /** Leaving on purpose (shutdown, or a per-session worker whose session ended): no restart. */
  retiring = false;
  /** Per-session isolation: this worker has had its one session. */
  dedicated = false;
  /** Sessions the primary counts by id: handed to this worker, or admitted for it by message. */
  readonly sessions = new Set<string>();
  /** Per service, sessions this worker admitted itself and is running, from its tallies. */
  readonly selfAdmitted = new Map<string, number>();

  /** Resolves once the worker has exited and its channel is drained (fork() settles it). */
  readonly gone: Promise<void>;
  private resolveGone!: () => void;

  constructor(
    readonly id: number,
    readonly worker: Worker,
    readonly weight: number,
  ) {
    this.gone = new Promise((resolve) => (this.resolveGone = resolve));
  }

  markGone(): void {
    this.resolveGone();
  }

  get activeSessions(): number {
    let running = this.sessions.size;
    for (const count of this.selfAdmitted.values()) running += count;
    return running;
  }

  send(message: PrimaryMessage, handle?: import('node:net').Socket, onSent?: (error: Error | null) => void): void {
    if (!this.worker.isConnected()) {
      onSent?.(new Error('worker is not connected'));
      return;
    }
    if (handle) this.worker.send(message, handle, { keepOpen: false }, onSent);
    else this.worker.send(message, onSent);
  }
}

export interface WorkerPoolEvents {
  message: [slot: WorkerSlot, message: WorkerMessage];
  /** A worker is gone; its sessions are gone with it. */
  exit: [slot: WorkerSlot];
  /** A worker died unexpectedly and a new one was forked in its place. */
  restart: [dead: WorkerSlot];
  /** The restart intensity was exceeded. */
  'give-up': [restarts: number, periodMs: number];
  'start-failed': [error: string];
  ready: [bound: readonly BoundAddress[]];
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots = new Map<number, WorkerSlot>();
  private readonly intensity: RestartIntensity;
  private nextId = 1;
  private stopping = false;
  /** During stop(): when the workers still there are killed. */
  private forceKill: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ClassicdConfig,
    /** Workers kept running (per-session isolation forks spares beyond it). */
    readonly size: number,
    workerEntry: string,
    private readonly log: Logger,
    /** What a worker's init carries besides its id and the config (its admission-table column). */
    private readonly initExtras: (slot: WorkerSlot) => Pick<InitMessage, 'admissionTable'> = () => ({}),
  ) {
    super();
    this.intensity = new RestartIntensity(config.supervisor.restartIntensity, config.supervisor.restartPeriodMs);
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: workerEntry,
      serialization: 'json',
      execArgv: workerExecArgv(config.supervisor.workerSemiSpaceMiB),
    });
  }

  start(): void {
    for (let i = 0; i < this.size; i++) this.fork();
  }

  /** Workers that can take a new session now. */
  available(): WorkerSlot[] {
    const perSession = this.config.supervisor.isolation === 'per-session';
    return [...this.slots.values()].filter(
      (slot) => slot.ready && !slot.retiring && !(perSession && (slot.dedicated || slot.sessions.size > 0)),
    );
  }

  /** Sessions running in every worker, as far as the primary has heard. */
  get sessionCount(): number {
    let running = 0;
    for (const slot of this.slots.values()) running += slot.activeSessions;
    return running;
  }

  get readyCount(): number {
    return [...this.slots.values()].filter((slot) => slot.ready && !slot.retiring).length;
  }

  get allReady(): boolean {
    return !this.stopping && this.readyCount >= this.size;
  }

  slot(id: number): WorkerSlot | undefined {
    return this.slots.get(id);
  }

  /** Per-session isolation: the worker now belongs to one session; keep a spare ready behind it. */
  dedicate(slot: WorkerSlot): void {
    slot.dedicated = true;
    this.fork();
  }

  /** Per-session isolation: the session ended, so the worker goes (inetd's fork-per-connection). */
  retire(slot: WorkerSlot): void {
    slot.retiring = true;
    slot.send({ t: 'shutdown', graceMs: 0 });
  }

  /** SIGHUP: every worker reopens its services' files (ServiceRuntime.reopen). */
  reopen(prepared: Readonly<Record<string, unknown>>): void {
    for (const slot of this.slots.values()) if (slot.ready) slot.send({ t: 'reopen', prepared });
  }

  /** During stop(): every worker closes its sessions now (they still clean up before it exits). */
  hurry(): void {
    for (const slot of this.slots.values()) slot.send({ t: 'shutdown', graceMs: 0 });
    this.forceKillAfter(0);
  }

  /**
   * Asks every worker to finish; resolves when all have exited and their channels are drained (as
   * fork() settles a worker: Node can report an exit before the last messages, such as the
   * xferlog lines of the transfers the shutdown stopped), killing stragglers after grace.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const exits = [...this.slots.values()].map((slot) => slot.gone);
    for (const slot of this.slots.values()) {
      slot.retiring = true;
      slot.send({ t: 'shutdown', graceMs });
    }
    this.forceKillAfter(graceMs);
    return Promise.all(exits).then(() => clearTimeout(this.forceKill));
  }

  /** Kills the workers still there `graceMs` plus a margin from now (replacing an earlier deadline). */
  private forceKillAfter(graceMs: number): void {
    clearTimeout(this.forceKill);
    this.forceKill = setTimeout(() => {
      for (const slot of this.slots.values()) {
        this.log.warn(
          { worker: slot.id, workerPid: slot.worker.process.pid },
          'worker did not exit in time; killing it',
        );
        slot.worker.process.kill('SIGKILL');
      }
    }, graceMs + FORCE_KILL_MARGIN_MS);
    this.forceKill.unref();
  }

  private fork(): void {
    if (this.stopping) return; // a stop during start-up: nothing more is started
    const id = this.nextId++;
    const weights = this.config.supervisor.workerWeights;
    const weight = weights[(id - 1) % Math.max(1, this.size)] ?? 1;
    const worker = cluster.fork({ CLASSICD_WORKER_ID: String(id), ...MALLOC_TUNING });
    const slot = new WorkerSlot(id, worker, weights.length > 0 ? weight : 1);
    this.slots.set(id, slot);
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.onMessage(slot, message);
    });
    // Gone once it has exited and its channel is drained: Node can report the exit before it has
    // delivered the worker's last messages (its final tally, say), which would then be counted
    // for a worker whose sessions were already counted as ended by its exit.
    let exit: { code: number | null; signal: string | null } | undefined;
    let drained = false;
    const settle = (): void => {
      if (!exit || !drained) return;
      this.onExit(slot, exit.code, exit.signal);
      slot.markGone();
    };
    worker.on('exit', (code, signal) => {
      exit = { code, signal };
      settle();
    });
    worker.on('disconnect', () => {
      drained = true;
      settle();
    });
    worker.on('error', (error) => this.log.warn({ err: error, worker: id }, 'worker channel error'));
    this.log.debug({ worker: id, workerPid: worker.process.pid }, 'worker forked');
  }

  private onMessage(slot: WorkerSlot, message: WorkerMessage): void {
    if (message.t === 'attached') {
      // A worker that attaches once the pool is stopping missed its shutdown (a child drops
      // messages sent before it listens): it gets one now instead of its init.
      if (this.stopping || slot.retiring) slot.send({ t: 'shutdown', graceMs: 0 });
      else slot.send({ t: 'init', workerId: slot.id, config: this.config, ...this.initExtras(slot) });
    } else if (message.t === 'ready') {
      slot.ready = true;
      this.log.info({ worker: slot.id, workerPid: slot.worker.process.pid }, 'worker ready');
      if (this.allReady) this.emit('ready', message.bound);
    } else if (message.t === 'start-failed') {
      this.emit('start-failed', message.error);
    }
    this.emit('message', slot, message);
  }

  private onExit(slot: WorkerSlot, code: number | null, signal: string | null): void {
    this.slots.delete(slot.id);
    const expected = this.stopping || slot.retiring;
    const sessionsLost = slot.activeSessions; // before the listeners forget them
    // Listeners first: once `worker died` is out, the dead worker's sessions no longer count (its
    // admission-table column is cleared), whoever reads the line and tries again.
    this.emit('exit', slot);
    if (!expected) {
      this.log.error(
        { worker: slot.id, workerPid: slot.worker.process.pid, code, signal, sessionsLost },
        'worker died',
      );
    }
    if (expected) return;
    if (!this.intensity.allowRestart(Date.now())) {
      this.emit('give-up', this.intensity.recentRestarts, this.config.supervisor.restartPeriodMs);
      return;
    }
    this.fork();
    this.emit('restart', slot);
  }
}
