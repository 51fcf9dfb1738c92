/**
 * The worker process: starts each enabled service's runtime, then runs the sessions the primary
 * hands it (or, with dispatch shared or brokered, accepts them itself) until told to shut down.
 */
import cluster from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { effectiveDispatch, type ClassicdConfig } from '../config/schema.js';
import type { CommonServiceConfig, UdpGuardConfig } from '../config/service-limits.js';
import { createLogger } from '../log/logger.js';
import {
  tcpListenersOf,
  type ListenerSpec,
  type RefusalReason,
  type ServiceDefinition,
  type ServiceRuntime,
  type WorkerHost,
} from '../service.js';
import { AccessList } from '../net/access-list.js';
import { AdmissionController, type Admission } from './admission.js';
import { AdmissionTable } from '../native/admission-table.js';
import { logUnavailable, TableAdmission } from './table-admission.js';
import { DatagramListener } from './datagram-listener.js';
import type { AdmissionTableGrant, BoundAddress, PrimaryMessage, SessionOutcome, WorkerMessage } from './ipc.js';
import { currentSession, startSession, type LiveSession, type SessionSummary } from './session-runner.js';
import { refuse } from './refusal.js';
import { resolveWorkerCount } from './worker-count.js';
import { dropPrivileges } from './privileges.js';
import { countIn, ReportQueue } from './report-queue.js';
import { newSessionId } from './session-id.js';

const DATAGRAM_REPORT_INTERVAL_MS = 1000;

/** A session this worker admitted itself, to be released when it ends. */
interface Admitted {
  readonly admission: Admission;
  readonly address: string;
}

/** dispatch: brokered. A connection accepted here, waiting for the primary's admission. */
interface AwaitingAdmission {
  readonly definition: ServiceDefinition;
  readonly listener: string;
  readonly socket: Socket;
}

interface StartedService {
  readonly definition: ServiceDefinition;
  readonly config: CommonServiceConfig;
  readonly runtime: ServiceRuntime;
}

/** How long a stopping worker waits for its services to close (flush their files) before it exits. */
const CLOSE_SERVICES_MS = 2000;
/** How long a worker whose primary is gone gives its sessions to clean up before it exits. */
const ORPHAN_EXIT_MS = 3000;

export class WorkerRuntime {
  private log: Logger | undefined;
  private readonly started = new Map<string, StartedService>();
  /** The running sessions, each with the admission this worker made for it (shared, brokered by table). */
  private readonly sessions = new Map<LiveSession, Admitted | undefined>();
  private readonly datagramListeners = new Map<string, DatagramListener>();
  private readonly servers: Server[] = [];
  private shuttingDown = false;
  private readonly reports = new ReportQueue(send);
  private readonly awaitingAdmission = new Map<number, AwaitingAdmission>();
  /** Dispatch brokered: the counts shared with the other processes, and this worker's column. */
  private admissionTable: { readonly table: AdmissionTable; readonly grant: AdmissionTableGrant } | undefined;
  private nextAdmissionId = 1;
  private exiting = false;
  /** The ports this worker's UDP services are bound to (the same in every worker). */
  private readonly udpPorts = new Set<number>();

  constructor(private readonly services: readonly ServiceDefinition[]) {}

  /** Wires the process's IPC channel and fault handlers. Signals are the entry point's business. */
  attach(): void {
    process.on('message', (message: PrimaryMessage, handle?: Socket) => {
      this.onMessage(message, handle).catch((error: unknown) => this.fatal('message handling failed', error));
    });
    // Node's cluster module exits a worker at once when its channel closes unexpectedly (a primary
    // killed): marked as expected first, it leaves the exit to onDisconnect, which cleans up.
    process.prependListener('disconnect', () => {
      if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
    });
    process.on('disconnect', () => this.onDisconnect());
    process.on('uncaughtException', (error) => this.onStrayError(error));
    process.on('unhandledRejection', (reason) => this.onStrayError(reason));
    send({ t: 'attached' });
  }

  private async onMessage(message: PrimaryMessage, handle?: Socket): Promise<void> {
    switch (message.t) {
      case 'init':
        return this.init(message.workerId, message.config, message.admissionTable);
      case 'session':
        if (handle) this.serve(message.svc, message.listener, message.sid, handle);
        return;
      case 'shutdown':
        return this.shutdown(message.graceMs);
      case 'reopen':
        return this.reopen(message.prepared);
      case 'admission':
        return this.onAdmission(message.id, message.sid, message.reason);
    }
  }

  private async init(workerId: number, config: ClassicdConfig, grant?: AdmissionTableGrant): Promise<void> {
    const log = createLogger(config.log, { base: { proc: 'worker', worker: workerId } });
    this.log = log;
    if (grant) this.admissionTable = openAdmissionTable(grant, log);
    const bound: BoundAddress[] = [];
    try {
      // Every service starts first, while the worker may still read what needs root (keys, logs);
      // then it drops to supervisor.user, before any listener can hand it a session.
      for (const definition of this.services) {
        const serviceConfig = config.services[definition.name];
        if (!serviceConfig?.enabled) continue;
        const runtime = await definition.start(
          serviceConfig,
          log.child({ svc: definition.name }),
          this.hostFor(definition.name),
        );
        this.started.set(definition.name, { definition, config: serviceConfig, runtime });
      }
      // Told to stop while its services started (a signal during start-up): it takes no session.
      if (this.shuttingDown) return this.exit();
      const identity = dropPrivileges(config.supervisor.user, config.supervisor.group);
      if (identity) {
        log.info({ user: config.supervisor.user, ...identity }, 'worker running as an unprivileged user');
        for (const { runtime } of this.started.values()) await runtime.afterSwitchingUser?.();
      }
      for (const { definition, config: serviceConfig, runtime } of this.started.values()) {
        const workers = resolveWorkerCount(config.supervisor.workers);
        if (serviceConfig.transports.includes('udp') && runtime.datagram) {
          bound.push(await this.bindDatagrams(definition.name, serviceConfig, runtime.datagram, workers));
        }
        const dispatch = effectiveDispatch(serviceConfig, config.supervisor);
        if (serviceConfig.transports.includes('tcp') && dispatch !== 'handoff') {
          bound.push(...(await this.acceptForSelf(definition, serviceConfig, workers, dispatch)));
        }
      }
    } catch (error) {
      log.error({ err: error }, 'worker start failed');
      send({ t: 'start-failed', error: (error as Error).message });
      process.exitCode = 1;
      process.disconnect?.();
      return;
    }
    setInterval(() => this.reportDatagrams(), DATAGRAM_REPORT_INTERVAL_MS).unref();
    // Lines logged while starting (a self-signed certificate's warning, say) go out before the
    // primary can announce readiness: logs are buffered, and readers expect that order.
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    send({ t: 'ready', bound });
  }

  private async bindDatagrams(
    svc: string,
    config: CommonServiceConfig,
    answer: NonNullable<ServiceRuntime['datagram']>,
    workers: number,
  ): Promise<BoundAddress> {
    const guard = (config as CommonServiceConfig & { udp: UdpGuardConfig }).udp;
    const listener = new DatagramListener({
      svc,
      host: config.host,
      port: config.port,
      guard,
      access: new AccessList(config),
      rateShare: 1 / workers,
      answer,
      log: this.requireLog(),
      ownPorts: this.udpPorts,
    });
    const address = await listener.bind();
    this.udpPorts.add(address.port);
    this.datagramListeners.set(svc, listener);
    return { svc, transport: 'udp', address: address.address, port: address.port };
  }

  /**
   * dispatch shared or brokered: this worker accepts on the listening socket it shares with the
   * others. With shared it admits for itself, with its share of the service-wide limits; with
   * brokered it applies the whole limits, through the table every process shares, or else by
   * asking the primary (docs/architecture.md says why).
   */
  private async acceptForSelf(
    definition: ServiceDefinition,
    config: CommonServiceConfig,
    workers: number,
    dispatch: 'shared' | 'brokered',
  ): Promise<BoundAddress[]> {
    const admission =
      dispatch === 'shared'
        ? new AdmissionController(
            {
              ...config,
              maxSessions: Math.max(1, Math.ceil(config.maxSessions / workers)),
              connectionsPerSecond: config.connectionsPerSecond / workers,
            },
            Date.now(),
          )
        : this.tableAdmission(definition.name, config);
    const bound: BoundAddress[] = [];
    for (const listener of tcpListenersOf(definition, config)) {
      const onConnection = admission
        ? (socket: Socket) => this.admitHere(definition, listener.name, admission, socket)
        : (socket: Socket) => this.askToAdmit(definition, listener.name, socket);
      bound.push(await this.listenForSelf(definition, listener, onConnection));
    }
    return bound;
  }

  private async listenForSelf(
    definition: ServiceDefinition,
    listener: ListenerSpec,
    onConnection: (socket: Socket) => void,
  ): Promise<BoundAddress> {
    const server = createServer({ pauseOnConnect: true }, onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listener.host, port: listener.port }, () => resolve());
    });
    this.servers.push(server);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listener.port;
    return { svc: definition.name, listener: listener.name, transport: 'tcp', address: listener.host, port };
  }

  /**
   * dispatch: brokered. The service's whole limits from the table all processes share, or
   * undefined when this worker has no table (no addon, or it could not map it): it asks the
   * primary for each connection instead.
   */
  private tableAdmission(svc: string, config: CommonServiceConfig): TableAdmission | undefined {
    const service = this.admissionTable?.grant.services[svc];
    if (!this.admissionTable || service === undefined) return undefined;
    const { table, grant } = this.admissionTable;
    return new TableAdmission(table, service, grant.column, config, logUnavailable(this.requireLog(), svc));
  }

  /** dispatch: shared, or brokered through the shared table. */
  private admitHere(definition: ServiceDefinition, listener: string, admission: Admission, socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const decision = this.shuttingDown
      ? ({ admitted: false, reason: 'shutdown' } as const)
      : admission.admit(address, Date.now());
    if (!decision.admitted) {
      refuse(socket, definition, decision.reason, this.requireLog());
      countIn(this.reports.tally(definition.name).refused, decision.reason);
      return;
    }
    this.serve(definition.name, listener, newSessionId(), socket, { admission, address });
  }

  /**
   * dispatch: brokered, without the shared table. The socket stays here, paused, while the primary
   * decides (one message each way). The primary counts refusals itself; the worker says the
   * protocol's refusal (FTP's 421).
   */
  private askToAdmit(definition: ServiceDefinition, listener: string, socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined) {
      socket.destroy(); // the client is already gone
      return;
    }
    if (this.shuttingDown) {
      refuse(socket, definition, 'shutdown', this.requireLog());
      countIn(this.reports.tally(definition.name).refused, 'shutdown');
      return;
    }
    const id = this.nextAdmissionId++;
    this.awaitingAdmission.set(id, { definition, listener, socket });
    send({ t: 'admit', id, svc: definition.name, address });
  }

  private onAdmission(id: number, sid: string | undefined, reason: RefusalReason | undefined): void {
    const awaiting = this.awaitingAdmission.get(id);
    this.awaitingAdmission.delete(id);
    if (!awaiting) {
      this.requireLog().error({ id, sid }, 'an admission for no connection waiting here');
      if (sid !== undefined) this.reportEndWithoutSession('unknown', sid, 'error');
      return;
    }
    const { definition, listener, socket } = awaiting;
    if (sid === undefined) refuse(socket, definition, reason ?? 'shutdown', this.requireLog());
    // A client that left while it waited is found out by the session itself: a paused socket
    // reads nothing, so it cannot know yet.
    else this.serve(definition.name, listener, sid, socket);
    this.exitIfDone();
  }

  /** A session the primary counts ended before it began here: tell it, so it releases the slot. */
  private reportEndWithoutSession(svc: string, sid: string, outcome: SessionOutcome): void {
    this.reports.push({
      t: 'session-end',
      svc,
      sid,
      bytesIn: 0,
      bytesOut: 0,
      outcome,
    });
  }

  /** No session running and none waiting for its admission. */
  private get idle(): boolean {
    return this.sessions.size === 0 && this.awaitingAdmission.size === 0;
  }

  private exitIfDone(): void {
    if (this.shuttingDown && this.idle) this.exit();
  }

  /** `admitted`: the admission this worker made for the session itself (dispatch: shared). */
  private serve(svc: string, listener: string, sid: string, socket: Socket, admitted?: Admitted): void {
    const service = this.started.get(svc);
    const handler = service?.runtime.session;
    if (!service || !handler) {
      this.requireLog().error({ svc, sid }, 'session for a service this worker does not run');
      socket.destroy();
      if (admitted) admitted.admission.release(admitted.address);
      else this.reportEndWithoutSession(svc, sid, 'error'); // so the primary releases what it counted
      return;
    }
    // Admitted here: the primary learns of it from the service's tally, not by its id.
    if (admitted) this.reports.tally(svc).started += 1;
    const session = startSession(
      { socket, sid, svc, listener, log: this.requireLog(), idleTimeoutMs: service.config.idleTimeoutMs, handler },
      this.onSessionEnd,
    );
    this.sessions.set(session, admitted);
  }

  /** One function for every session's end (no closure kept per session). */
  private readonly onSessionEnd = (session: LiveSession, summary: SessionSummary): void => {
    try {
      const admitted = this.sessions.get(session);
      this.sessions.delete(session);
      if (admitted) {
        admitted.admission.release(admitted.address);
        const tally = this.reports.tally(session.svc);
        countIn(tally.ended, summary.outcome);
        tally.bytesIn += summary.bytesIn;
        tally.bytesOut += summary.bytesOut;
      } else {
        this.reports.push({
          t: 'session-end',
          svc: session.svc,
          sid: session.sid,
          ...summary,
        });
      }
      this.exitIfDone();
    } catch (error) {
      this.fatal('session end failed', error);
    }
  };

  /** Each service's reopen(), one after another; one that fails is logged and the others go on. */
  private async reopen(prepared: Readonly<Record<string, unknown>>): Promise<void> {
    const log = this.requireLog();
    for (const [svc, { runtime }] of this.started) {
      if (!runtime.reopen) continue;
      try {
        await runtime.reopen(prepared[svc]);
        log.info({ svc }, 'reopened');
      } catch (error) {
        log.error({ err: error, svc }, 'could not reopen; going on as before');
      }
    }
  }

  /**
   * The channel to the primary has closed: this worker's own exit() closed it, or the primary is
   * gone (killed, or a bug). Then nobody will hand us work or collect our reports, but the sessions
   * still running must clean up (an upload's temporary file) before the process goes: they are
   * closed now, and the worker exits once they are done, or after ORPHAN_EXIT_MS.
   */
  private onDisconnect(): void {
    if (this.exiting || this.sessions.size === 0) process.exit();
    setTimeout(() => process.exit(), ORPHAN_EXIT_MS).unref();
    void this.shutdown(0);
  }

  private async shutdown(graceMs: number): Promise<void> {
    if (this.shuttingDown) {
      // A second, hurried shutdown (the primary's second signal): close what is left now.
      if (graceMs === 0) for (const session of this.sessions.keys()) session.close('shutdown');
      return;
    }
    this.shuttingDown = true;
    this.reportDatagrams();
    // Listeners stop accepting at once; their close callbacks wait for every session, so they are
    // not awaited here.
    for (const server of this.servers) server.close();
    await Promise.all([...this.datagramListeners.values()].map((listener) => listener.close()));
    if (this.idle) return this.exit();
    this.log?.info({ sessions: this.sessions.size, graceMs }, 'waiting for sessions to finish');
    for (const session of this.sessions.keys()) session.askToEnd();
    setTimeout(() => {
      this.log?.info({ sessions: this.sessions.size }, 'grace period over; closing sessions');
      for (const session of this.sessions.keys()) session.close('shutdown');
    }, graceMs).unref();
  }

  private reportDatagrams(): void {
    for (const [svc, listener] of this.datagramListeners) {
      const counts = listener.takeCounts();
      if (counts) send({ t: 'datagrams', svc, counts });
    }
  }

  private onStrayError(error: unknown): void {
    const session = currentSession();
    if (session) {
      session.fail(error);
      return;
    }
    this.fatal('uncaught error outside any session', error);
  }

  /** An error nobody owns leaves the worker in an unknown state: exit, and the primary replaces it. */
  private fatal(what: string, error: unknown): void {
    const line = { err: error };
    if (this.log) this.log.fatal(line, what);
    else console.error(what, error);
    this.log?.flush();
    process.exit(70); // EX_SOFTWARE
  }

  /**
   * Services close first (whatever they flush), within CLOSE_SERVICES_MS; then the last reports,
   * with the log lines for the primary's files (FTP's xferlog lines for the transfers the shutdown
   * stopped), and the worker's own log lines; then the channel, whose end exits the process.
   */
  private exit(): void {
    if (this.exiting) return;
    this.exiting = true;
    const closing = [...this.started.values()].map(({ runtime }) =>
      runtime.close ? runtime.close().catch(() => undefined) : Promise.resolve(),
    );
    const bound = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_SERVICES_MS).unref());
    void Promise.race([Promise.all(closing), bound]).then(() => {
      this.reports.flush();
      this.log?.flush();
      // Its 'disconnect' exits the process; an orphan, whose channel is gone already, exits here.
      if (process.connected) process.disconnect?.();
      else process.exit();
    });
  }

  /** What the services get besides sessions: their log lines go to the primary with the reports. */
  private hostFor(svc: string): WorkerHost {
    return { appendToLog: (log, line) => this.reports.push({ t: 'log-line', svc, log, line }) };
  }

  private requireLog(): Logger {
    if (!this.log) throw new Error('worker used before init');
    return this.log;
  }
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/** The primary's admission table, mapped here; undefined (and a log line) if it cannot be. */
function openAdmissionTable(
  grant: AdmissionTableGrant,
  log: Logger,
): { readonly table: AdmissionTable; readonly grant: AdmissionTableGrant } | undefined {
  try {
    const table = AdmissionTable.open(grant.path);
    return table ? { table, grant } : undefined;
  } catch (error) {
    log.warn({ err: error }, 'could not map the admission table; brokered connections are admitted by message');
    return undefined;
  }
}
