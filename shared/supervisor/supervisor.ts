/**
 * The primary: forks the workers and admits or refuses connections. For a handoff service it owns
 * the listener, picks a worker with the configured scheduler and passes it the still-paused
 * socket; for a brokered one the workers accept and ask it (admitForWorker); a shared one's workers
 * admit for themselves and only report. Protocol-agnostic: services are definitions it was handed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { effectiveDispatch, type ClassicdConfig } from '../config/schema.js';
import type { CommonServiceConfig } from '../config/service-limits.js';
import { tcpListenersOf, type ListenerSpec, type RefusalReason, type ServiceDefinition } from '../service.js';
import { AdmissionController, type Admission } from './admission.js';
import { AdmissionTableOwner } from './admission-table-owner.js';
import type { BoundAddress, SessionTally, WorkerMessage } from './ipc.js';
import { SupervisorMetrics } from './metrics.js';
import { refuse } from './refusal.js';
import { createScheduler, type Scheduler } from './schedulers/index.js';
import { resolveIdentity } from './privileges.js';
import { PrimaryLogs } from './primary-logs.js';
import { WorkerPool, type WorkerSlot } from './worker-pool.js';
import { newSessionId } from './session-id.js';
import { resolveWorkerCount } from './worker-count.js';

/** start() gave up because stop() was called meanwhile (a signal during start-up). */
export class StoppedWhileStarting extends Error {
  constructor() {
    super('stopped while starting');
  }
}

export type StopReason =
  | { readonly kind: 'requested' }
  | { readonly kind: 'restart-intensity'; readonly restarts: number; readonly periodMs: number };

interface PendingConnection {
  readonly definition: ServiceDefinition;
  readonly listener: string;
  readonly socket: Socket;
  readonly address: string;
}

/**
 * A session the primary admitted (handoff, or brokered by message) and counts by id until the
 * worker reports its end or exits. Sessions workers admit themselves come in tallies instead.
 */
interface OpenSession {
  readonly svc: string;
  readonly address: string;
  readonly workerId: number;
}

export interface SupervisorOptions {
  readonly config: ClassicdConfig;
  readonly services: readonly ServiceDefinition[];
  readonly log: Logger;
  /** The worker entry script, forked once per worker. */
  readonly workerEntry: string;
}

export class Supervisor {
  readonly metrics = new SupervisorMetrics();
  /** Resolves once the supervisor has stopped for good, with why. */
  readonly stopped: Promise<StopReason>;
  private resolveStopped!: (reason: StopReason) => void;
  private readonly pool: WorkerPool;
  private readonly scheduler: Scheduler;
  private readonly admissions = new Map<string, Admission>();
  /** Dispatch brokered: the counts the workers share, when the native addon can keep them. */
  private admissionTable: AdmissionTableOwner | undefined;
  private readonly sessions = new Map<string, OpenSession>();
  private readonly servers: Server[] = [];
  /** Admitted connections waiting for a worker to be ready. */
  private readonly waiting: PendingConnection[] = [];
  private readonly enabled: readonly ServiceDefinition[];
  private bound: BoundAddress[] = [];
  private listening = false;
  private stopping: Promise<void> | undefined;
  private stopReason: StopReason = { kind: 'requested' };

  /** While start() waits for the workers: makes it give up (stop() calls it). */
  private abortStart: (() => void) | undefined;
  /** The log files the primary writes for the services (primary-logs.ts); opened by start(). */
  private logs: PrimaryLogs | undefined;

  /** The SIGHUP being handled, if any: the next waits for it. */
  private reopening: Promise<void> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {
    const { config, log } = options;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.enabled = options.services.filter((service) => config.services[service.name]?.enabled);
    this.scheduler = createScheduler(config.supervisor.scheduler);
    this.pool = new WorkerPool(
      config,
      resolveWorkerCount(config.supervisor.workers),
      options.workerEntry,
      log,
      (slot) => ({
        admissionTable: this.admissionTable?.grant(slot.id),
      }),
    );
    this.pool.on('message', (slot, message) => this.onWorkerMessage(slot, message));
    this.pool.on('exit', (slot) => this.onWorkerExit(slot));
    this.pool.on('restart', () => this.metrics.workerRestarts.inc());
    this.pool.on('give-up', (restarts, periodMs) => {
      log.fatal(
        { restarts, periodMs },
        `restart intensity exceeded: ${restarts} worker restarts within ${periodMs} ms; giving up`,
      );
      this.stopReason = { kind: 'restart-intensity', restarts, periodMs };
      void this.stop(0);
    });
  }

  /** Forks the workers, waits for them, then opens the TCP listeners. Resolves with every bound address. */
  async start(): Promise<readonly BoundAddress[]> {
    const { log } = this.options;
    // First, before anything else is made and before any worker can send a line: a path that
    // cannot be written stops the start here, with nothing to undo.
    const logs = await PrimaryLogs.open(
      this.enabled.map((definition) => ({ definition, config: this.serviceConfig(definition) })),
      // The workers' user, if they switch to one: what it could change is not written as root.
      resolveIdentity(this.options.config.supervisor.user, this.options.config.supervisor.group),
      log,
    );
    if (this.stopping) {
      // A SIGTERM came while they opened: stop() found nothing to close, so this does.
      await logs.close();
      throw new StoppedWhileStarting();
    }
    this.logs = logs;
    const workersReady = new Promise<readonly BoundAddress[]>((resolve, reject) => {
      // stop() while the workers start: nothing more is started, and start() says why.
      this.abortStart = () => reject(new StoppedWhileStarting());
      this.pool.once('ready', resolve);
      this.pool.once('start-failed', (error) => reject(new Error(`a worker could not start: ${error}`)));
      // Workers that die before they are ready exhaust the restart intensity without a start-failed.
      this.pool.once('give-up', () => reject(new Error('workers kept dying before they were ready')));
    });
    // The primary admits for handoff services. Brokered ones are admitted through the shared
    // table by the workers themselves where they can map it, else here by message (counted in the
    // table too, when there is one); workers may ask as soon as they listen, before the pool is ready.
    const brokered = new Map<string, CommonServiceConfig>();
    for (const definition of this.enabled) {
      const config = this.serviceConfig(definition);
      if (!config.transports.includes('tcp')) continue;
      const dispatch = effectiveDispatch(config, this.options.config.supervisor);
      if (dispatch === 'brokered') brokered.set(definition.name, config);
      else if (dispatch === 'handoff')
        this.admissions.set(definition.name, new AdmissionController(config, Date.now()));
    }
    if (this.options.config.supervisor.admissionTable) {
      this.admissionTable = AdmissionTableOwner.create(brokered, this.pool.size, this.options.log);
    }
    for (const [svc, config] of brokered) {
      this.admissions.set(
        svc,
        this.admissionTable?.admissionFor(svc, config) ?? new AdmissionController(config, Date.now()),
      );
    }
    this.pool.start();
    let workerBound: readonly BoundAddress[];
    try {
      workerBound = await workersReady;
    } catch (error) {
      await this.stop(0);
      throw error;
    }
    this.abortStart = undefined;
    this.metrics.workersUp.set(this.pool.readyCount);
    this.bound = [...workerBound];
    // Services with dispatch shared or brokered were bound by the workers, and are in workerBound.
    try {
      for (const definition of this.enabled) {
        const config = this.serviceConfig(definition);
        if (!config.transports.includes('tcp')) continue;
        if (effectiveDispatch(config, this.options.config.supervisor) !== 'handoff') continue;
        for (const listener of tcpListenersOf(definition, config)) {
          this.bound.push(await this.listen(definition, listener));
        }
      }
    } finally {
      // stop() closed the listeners there were when it began; those bound after it are closed
      // here, whether the binding went on or failed.
      if (this.stopping) for (const server of this.servers) server.close();
    }
    if (this.stopping) throw new StoppedWhileStarting();
    this.listening = true;
    for (const address of this.bound) log.info(address, 'listening');
    return this.bound;
  }

  get ready(): boolean {
    return this.listening && !this.stopping && this.pool.allReady;
  }

  get boundAddresses(): readonly BoundAddress[] {
    return this.bound;
  }

  /**
   * SIGHUP: each service's prepareReopen reads here, with the primary's rights, what its workers
   * may not (keys only root reads, once they run as supervisor.user); then the workers reopen their
   * log files and take up the certificates. A worker started later reads them anew anyway.
   * Resolves once the workers have been told.
   */
  reopen(): Promise<void> {
    // One after another: of two SIGHUPs close together, the later reading must reach the workers last.
    this.reopening = this.reopening.then(() => this.reopenNow());
    return this.reopening;
  }

  private async reopenNow(): Promise<void> {
    const log = this.options.log;
    log.info('reopening log files and re-reading certificates');
    await this.logs?.reopen();
    const prepared: Record<string, unknown> = {};
    for (const definition of this.enabled) {
      if (!definition.prepareReopen) continue;
      try {
        prepared[definition.name] = await definition.prepareReopen(this.serviceConfig(definition), log);
      } catch (error) {
        log.error({ err: error, svc: definition.name }, 'could not prepare the reopen; workers reopen what they can');
      }
    }
    this.pool.reopen(prepared);
  }

  /**
   * A stop already under way, hurried: every session is closed now rather than at the end of the
   * grace period (a second SIGTERM or Ctrl-C). The workers still let each closed session clean up
   * (an upload's temporary file) before they exit.
   */
  hurry(): Promise<void> {
    const stopping = this.stop();
    this.options.log.info({ sessions: this.pool.sessionCount }, 'closing every session now');
    this.pool.hurry();
    return stopping;
  }

  /** Stops accepting, lets sessions finish for up to `graceMs`, then closes them. */
  stop(graceMs = this.options.config.supervisor.shutdownGraceMs): Promise<void> {
    this.stopping ??= (async () => {
      this.abortStart?.();
      this.options.log.info({ graceMs, sessions: this.pool.sessionCount }, 'shutting down');
      // close() stops accepting at once. Its callback is not awaited: for a server whose sockets
      // were sent to workers, Node calls it only once the workers have closed every one of them.
      for (const server of this.servers) server.close();
      for (const pending of this.waiting.splice(0)) pending.socket.destroy();
      await this.pool.stop(graceMs);
      // The workers have sent their last lines (an exiting worker flushes its reports first).
      await this.logs?.close();
      this.options.log.info('stopped');
      this.resolveStopped(this.stopReason);
    })();
    return this.stopping;
  }

  private listen(definition: ServiceDefinition, listener: ListenerSpec): Promise<BoundAddress> {
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) =>
      this.onConnection(definition, listener.name, socket),
    );
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listener.host, port: listener.port }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.options.log.error({ err: error, svc: definition.name }, 'listener error'));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : listener.port;
        resolve({ svc: definition.name, listener: listener.name, transport: 'tcp', address: listener.host, port });
      });
    });
  }

  private onConnection(definition: ServiceDefinition, listener: string, socket: Socket): void {
    const svc = definition.name;
    const address = socket.remoteAddress;
    if (address === undefined) {
      socket.destroy(); // the client is already gone
      return;
    }
    const admission = this.admissions.get(svc) as AdmissionController;
    const decision = this.stopping
      ? ({ admitted: false, reason: 'shutdown' } as const)
      : admission.admit(address, Date.now());
    if (!decision.admitted) return this.turnAway(definition, socket, decision.reason);

    this.dispatch({ definition, listener, socket, address });
  }

  /**
   * Hands an admitted connection to a worker. When none can take it (a per-session spare still
   * starting, a worker being replaced) it waits, paused, until one is ready; admission has already
   * counted it, so maxSessions bounds the queue.
   */
  private dispatch(pending: PendingConnection): void {
    const { definition, listener, socket, address } = pending;
    const svc = definition.name;
    const slot = this.scheduler.pick(this.pool.available(), { clientAddress: address }) as WorkerSlot | undefined;
    if (!slot) {
      this.waiting.push(pending);
      return;
    }
    const sid = newSessionId();
    this.openSession(sid, { svc, address, workerId: slot.id });
    if (this.options.config.supervisor.isolation === 'per-session') this.pool.dedicate(slot);
    slot.send({ t: 'session', svc, sid, listener }, socket, (error) => {
      if (!error) return;
      this.options.log.warn({ err: error, svc, sid, worker: slot.id }, 'could not hand the session to its worker');
      socket.destroy();
      this.closeSession(sid, 'handoff-failed');
    });
  }

  private turnAway(definition: ServiceDefinition, socket: Socket, reason: RefusalReason): void {
    this.metrics.refusals.inc({ service: definition.name, reason });
    refuse(socket, definition, reason, this.options.log);
  }

  private onWorkerMessage(slot: WorkerSlot, message: WorkerMessage): void {
    switch (message.t) {
      case 'batch':
        for (const each of message.messages) this.onWorkerMessage(slot, each);
        return;
      case 'ready': {
        this.metrics.workersUp.set(this.pool.readyCount);
        const waiting = this.waiting.splice(0);
        for (const pending of waiting) {
          if (pending.socket.destroyed) this.admissions.get(pending.definition.name)?.release(pending.address);
          else this.dispatch(pending);
        }
        return;
      }
      case 'admit':
        return this.admitForWorker(slot, message.id, message.svc, message.address);
      case 'session-end':
        this.metrics.bytesReceived.inc({ service: message.svc, transport: 'tcp' }, message.bytesIn);
        this.metrics.bytesSent.inc({ service: message.svc, transport: 'tcp' }, message.bytesOut);
        this.closeSession(message.sid, message.outcome);
        if (slot.dedicated && slot.sessions.size === 0) this.pool.retire(slot);
        return;
      case 'tally':
        return this.countTally(slot, message.svc, message.tally);
      case 'log-line':
        return this.logs?.append(message.svc, message.log, message.line);
      case 'datagrams': {
        const { svc, counts } = message;
        this.metrics.bytesReceived.inc({ service: svc, transport: 'udp' }, counts.bytesIn);
        this.metrics.bytesSent.inc({ service: svc, transport: 'udp' }, counts.bytesOut);
        this.metrics.datagrams.inc({ service: svc, outcome: 'answered' }, counts.answered);
        this.metrics.datagrams.inc({ service: svc, outcome: 'dropped-acl' }, counts.droppedAcl);
        this.metrics.datagrams.inc({ service: svc, outcome: 'dropped-low-port' }, counts.droppedLowPort);
        this.metrics.datagrams.inc({ service: svc, outcome: 'dropped-rate' }, counts.droppedRate);
        this.metrics.datagrams.inc(
          { service: svc, outcome: 'unanswered' },
          counts.received - counts.answered - counts.droppedAcl - counts.droppedLowPort - counts.droppedRate,
        );
        return;
      }
      case 'attached':
      case 'start-failed':
        return;
    }
  }

  /**
   * dispatch: brokered. A worker has accepted a connection and asks: the primary decides, as for a
   * handoff, so the limits are the service's whole limits; the socket never leaves the worker. An
   * admitted session is counted until the worker reports its end, or exits.
   */
  private admitForWorker(slot: WorkerSlot, id: number, svc: string, address: string): void {
    // A worker already gone (its exit handled before this message) would never end the session.
    if (this.pool.slot(slot.id) !== slot || !slot.worker.isConnected()) return;
    const admission = this.admissions.get(svc);
    if (!admission) this.options.log.error({ svc, worker: slot.id }, 'admission asked for a service not brokered here');
    const decision =
      this.stopping || !admission
        ? ({ admitted: false, reason: 'shutdown' } as const)
        : admission.admit(address, Date.now());
    if (!decision.admitted) {
      this.metrics.refusals.inc({ service: svc, reason: decision.reason });
      slot.send({ t: 'admission', id, reason: decision.reason });
      return;
    }
    const sid = newSessionId();
    this.openSession(sid, { svc, address, workerId: slot.id });
    slot.send({ t: 'admission', id, sid });
  }

  private onWorkerExit(slot: WorkerSlot): void {
    this.admissionTable?.reclaim(slot.id);
    this.metrics.workersUp.set(this.pool.readyCount);
    for (const sid of [...slot.sessions]) this.closeSession(sid, 'worker-exit');
    for (const [service, running] of slot.selfAdmitted) {
      if (running <= 0) continue;
      this.metrics.sessionsActive.dec({ service }, running);
      this.metrics.sessionEnds.inc({ service, outcome: 'worker-exit' }, running);
    }
    slot.selfAdmitted.clear();
  }

  /** Sessions a worker admitted itself (dispatch shared, brokered by table), counted in bulk. */
  private countTally(slot: WorkerSlot, service: string, tally: SessionTally): void {
    const { metrics } = this;
    let ended = 0;
    for (const [outcome, count] of Object.entries(tally.ended)) {
      metrics.sessionEnds.inc({ service, outcome }, count);
      ended += count;
    }
    for (const [reason, count] of Object.entries(tally.refused)) metrics.refusals.inc({ service, reason }, count);
    if (tally.started > 0) metrics.sessionsTotal.inc({ service }, tally.started);
    if (tally.bytesIn > 0) metrics.bytesReceived.inc({ service, transport: 'tcp' }, tally.bytesIn);
    if (tally.bytesOut > 0) metrics.bytesSent.inc({ service, transport: 'tcp' }, tally.bytesOut);
    const change = tally.started - ended;
    if (change > 0) metrics.sessionsActive.inc({ service }, change);
    else if (change < 0) metrics.sessionsActive.dec({ service }, -change);
    slot.selfAdmitted.set(service, (slot.selfAdmitted.get(service) ?? 0) + change);
  }

  private openSession(sid: string, session: OpenSession): void {
    this.sessions.set(sid, session);
    this.pool.slot(session.workerId)?.sessions.add(sid);
    this.metrics.sessionsTotal.inc({ service: session.svc });
    this.metrics.sessionsActive.inc({ service: session.svc });
  }

  private closeSession(sid: string, outcome: string): void {
    const session = this.sessions.get(sid);
    if (!session) return;
    this.sessions.delete(sid);
    this.pool.slot(session.workerId)?.sessions.delete(sid);
    this.admissions.get(session.svc)?.release(session.address);
    this.metrics.sessionsActive.dec({ service: session.svc });
    this.metrics.sessionEnds.inc({ service: session.svc, outcome });
  }

  private serviceConfig(definition: ServiceDefinition): CommonServiceConfig {
    return this.options.config.services[definition.name] as CommonServiceConfig;
  }
}
