/**
 * Runs one TCP session inside a worker: the per-session error boundary, idle timeout, and the
 * start/end log lines (xinetd's log_on_success / log_on_failure).
 *
 * The boundary has two halves. Everything the service does asynchronously runs in the session's
 * AsyncLocalStorage scope, so an exception from a timer or a promise inside it can be traced back
 * to the session (see worker-main.ts). Socket events are emitted by the handle, outside that scope,
 * so `emit` is wrapped: a listener that throws fails its own session and nothing else.
 *
 * Memory: a worker holds thousands of idle sessions, so what one costs is kept small. The socket
 * listeners and the `emit` guard are shared functions that find their session on the socket, not
 * closures made per session; the session is itself the context handed to the service; nothing
 * here waits on a promise while the session sits idle (with AsyncLocalStorage on, every pending
 * promise carries its async ids and store, and every `await` its own closures; work a service
 * hands to endsAfter, a transfer, is counted while it runs); the child logger is made
 * only when the session logs; and idle timeouts share one timer (idle-watch.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Level, Logger } from 'pino';
import type { IdleHandler, SessionContext } from '../service.js';
import { IdleWatch } from './idle-watch.js';
import type { SessionOutcome } from './ipc.js';
import { formatHostPort } from '../net/host-port.js';

const sessionScope = new AsyncLocalStorage<LiveSession>();
const idleWatch = new IdleWatch();

/** After a service's idle goodbye, how long the client gets to read it before the socket is cut. */
const IDLE_GOODBYE_LINGER_MS = 5000;

/** Where a socket keeps its session, for the shared listeners below. */
const SESSION = Symbol('classicd.session');

interface SessionSocket extends Socket {
  [SESSION]: LiveSession;
}

/** The session whose code is running now, if any. */
export function currentSession(): LiveSession | undefined {
  return sessionScope.getStore();
}

export interface SessionSummary {
  readonly outcome: SessionOutcome;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

export interface RunSessionOptions {
  readonly socket: Socket;
  readonly sid: string;
  readonly svc: string;
  readonly listener: string;
  readonly log: Logger;
  readonly idleTimeoutMs: number;
  readonly handler: (socket: Socket, context: SessionContext) => Promise<void> | void;
}

/** Told once a session's socket has closed; one function for all of a worker's sessions. */
export type SessionEndListener = (session: LiveSession, summary: SessionSummary) => void;

/**
 * One running session. It is also the SessionContext its service is given: one object per session
 * instead of two, with its methods on the prototype.
 */
export class LiveSession implements SessionContext {
  readonly listener: string;
  readonly svc: string;
  readonly sid: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly idleTimeoutMs: number;
  private readonly parentLog: Logger;
  private childLog: Logger | undefined;
  private outcomeSoFar: SessionOutcome | undefined;
  private idleHandler: IdleHandler | undefined;
  private readonly startedAt = performance.now();
  /** How many endsAfter() promises have not settled yet. A count, not a chain: a long session may hand over thousands. */
  private pendingWork = 0;
  /** The socket has closed; the session ends once pendingWork is 0. */
  private socketClosed = false;
  private ended = false;
  /** What countBytes() was told. */
  private otherBytesIn = 0;
  private otherBytesOut = 0;

  constructor(
    readonly socket: Socket,
    options: RunSessionOptions,
    private readonly onEnd: SessionEndListener,
  ) {
    this.listener = options.listener;
    this.svc = options.svc;
    this.sid = options.sid;
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.parentLog = options.log;
  }

  /** A child logger carrying `svc`, `sid` and `remote`, made on first use. */
  get log(): Logger {
    this.childLog ??= this.parentLog.child(this.logBindings());
    return this.childLog;
  }

  isLevelEnabled(level: Level): boolean {
    return (this.childLog ?? this.parentLog).isLevelEnabled(level);
  }

  get outcome(): SessionOutcome {
    return this.outcomeSoFar ?? 'completed';
  }

  setIdleHandler(handler: IdleHandler): void {
    this.idleHandler = handler;
  }

  /** Records why the session ended; the first reason wins. */
  settle(outcome: SessionOutcome): void {
    this.outcomeSoFar ??= outcome;
  }

  /**
   * The service is done. Half-close our side and keep reading (and discarding) until the client's
   * FIN, so the socket closes as soon as the client has read everything, without an RST that could
   * destroy unread data in the client's receive queue.
   */
  finish(): void {
    this.settle('completed');
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.removeAllListeners('data');
    socket.resume();
    // end() on a stream the service already ended builds an ERR_STREAM_ALREADY_FINISHED error, stack
    // and all: measurable on sessions as short as daytime's.
    if (!socket.writableEnded) socket.end();
  }

  countBytes(bytesIn: number, bytesOut: number): void {
    this.otherBytesIn += bytesIn;
    this.otherBytesOut += bytesOut;
  }

  endsAfter(work: Promise<unknown>): void {
    this.pendingWork += 1;
    // The work reports its own failures; here it only counts down.
    const settle = (): void => {
      this.pendingWork -= 1;
      if (this.pendingWork === 0 && this.socketClosed) this.end();
    };
    work.then(settle, settle);
  }

  /** An error inside the session: log it, close this session only. */
  fail(error: unknown): void {
    if (this.outcomeSoFar === undefined) this.log.error({ err: error }, 'session failed');
    this.settle('error');
    this.socket.destroy();
  }

  close(outcome: SessionOutcome): void {
    this.settle(outcome);
    this.socket.destroy();
  }

  /**
   * For the idle watch: the service's own measure (IdleHandler.activity), else bytes in and out so
   * far (what Node's socket timeout is refreshed by).
   */
  activity(): number {
    return this.idleHandler?.activity?.() ?? this.socket.bytesRead + (this.socket.bytesWritten ?? 0);
  }

  /**
   * The socket has been idle for the idle timeout (the idle watch calls this from its timer). Run
   * in the session's scope, like its socket events: a service's idle handler that throws fails its
   * own session, not the worker.
   */
  onIdle(): void {
    sessionScope.run(this, () => {
      try {
        this.handleIdle();
      } catch (error) {
        this.fail(error);
      }
    });
  }

  private handleIdle(): void {
    const verdict = this.idleHandler?.onIdle() ?? 'closing';
    if (verdict === 'keep') return;
    idleWatch.unwatch(this);
    if (this.isLevelEnabled('info')) this.log.info({ idleTimeoutMs: this.idleTimeoutMs }, 'idle timeout');
    if (this.idleHandler) {
      // The service said goodbye; give the words a moment to leave, then make sure.
      this.settle('idle-timeout');
      const socket = this.socket;
      setTimeout(() => socket.destroy(), IDLE_GOODBYE_LINGER_MS).unref();
    } else {
      this.close('idle-timeout');
    }
  }

  /** The worker is shutting down: the service may end the session at a good moment (IdleHandler.onShutdown). */
  askToEnd(): void {
    const handler = this.idleHandler;
    if (!handler?.onShutdown || this.socket.destroyed) return;
    sessionScope.run(this, () => {
      try {
        handler.onShutdown?.();
      } catch (error) {
        this.fail(error);
      }
    });
  }

  onSocketError(error: NodeJS.ErrnoException): void {
    this.settle('reset');
    if (this.isLevelEnabled('debug')) this.log.debug({ code: error.code }, 'socket error');
  }

  /** The socket has closed: the session is over, once the work it was given is done too. */
  onSocketClose(): void {
    idleWatch.unwatch(this);
    this.socketClosed = true;
    if (this.pendingWork === 0) this.end();
  }

  private end(): void {
    if (this.ended) return; // work handed over after the close settles later
    this.ended = true;
    // Taken now, not at the close: work that finished since (an aborted upload) has counted its bytes.
    const summary: SessionSummary = {
      outcome: this.outcome,
      bytesIn: this.socket.bytesRead + this.otherBytesIn,
      bytesOut: this.socket.bytesWritten + this.otherBytesOut,
      durationMs: Math.round(performance.now() - this.startedAt),
    };
    // Its end is settled first (an admission released, in a table other workers read), then
    // logged: whoever acts on the line finds the session gone everywhere.
    this.onEnd(this, summary);
    this.logInfo(summary, 'session end');
  }

  /** An info line with the session's bindings, through its child logger if it has one. */
  logInfo(fields: object, message: string): void {
    if (this.childLog) this.childLog.info(fields, message);
    else if (this.parentLog.isLevelEnabled('info')) this.parentLog.info({ ...this.logBindings(), ...fields }, message);
  }

  private logBindings(): { svc: string; sid: string; remote: string } {
    return { svc: this.svc, sid: this.sid, remote: formatHostPort(this.remoteAddress, this.remotePort) };
  }
}

/**
 * Starts a session on `socket` and returns it at once (so shutdown can find it); `onEnd` is given
 * it and its summary once the socket has closed.
 */
export function startSession(options: RunSessionOptions, onEnd: SessionEndListener): LiveSession {
  const { socket, handler } = options;
  const session = new LiveSession(socket, options, onEnd);
  (socket as SessionSocket)[SESSION] = session;
  socket.emit = guardedEmit as typeof socket.emit;
  // on(), not once(): 'close' comes once anyway, and once() wraps each listener in a bound
  // function and a state object, per socket.
  socket.on('close', onSocketClose);
  socket.on('error', onSocketError);
  idleWatch.watch(session);
  session.logInfo({ listener: options.listener }, 'session start');

  let done: Promise<void> | void;
  try {
    done = sessionScope.run(session, () => handler(socket, session));
  } catch (error) {
    // A handler that throws before returning its promise fails its own session, like one that rejects.
    session.fail(error);
    return session;
  }
  done?.then(
    () => session.finish(),
    (error: unknown) => session.fail(error),
  );
  return session;
}

/** startSession, as a promise of the summary. */
export function runSession(options: RunSessionOptions): Promise<SessionSummary> {
  return new Promise((resolve) => startSession(options, (_session, summary) => resolve(summary)));
}

// The socket listeners: shared by every session, each finds its own on the socket (`this`).

function onSocketClose(this: SessionSocket): void {
  const session = this[SESSION];
  // After every other 'close' listener, as when this waited on a promise: one that throws (and so
  // fails the session) still counts in the outcome.
  queueMicrotask(() => session.onSocketClose());
}

function onSocketError(this: SessionSocket, error: NodeJS.ErrnoException): void {
  this[SESSION].onSocketError(error);
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- applied with each socket as `this` below
const emitOnSocket = Socket.prototype.emit;

/** Every event of a session's socket is emitted in its scope; a listener that throws fails it. */
function guardedEmit(this: SessionSocket, event: string | symbol, ...args: unknown[]): boolean {
  const session = this[SESSION];
  try {
    return sessionScope.run(session, () => Reflect.apply(emitOnSocket, this, [event, ...args]) as boolean);
  } catch (error) {
    session.fail(error);
    return false;
  }
}
