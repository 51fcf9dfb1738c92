/**
 * Runs one TCP session inside a worker: the per-session error boundary, idle timeout, and the
 * start/end log lines (xinetd's log_on_success / log_on_failure).
 *
 * The boundary has two halves. Everything the service does asynchronously runs in the session's
 * AsyncLocalStorage scope, so an exception from a timer or a promise inside it can be traced back
 * to the session (see worker-main.ts). Socket events are emitted by the handle, outside that scope,
 * so `emit` is wrapped: a listener that throws fails its own session and nothing else.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { IdleVerdict, SessionContext } from '../service.js';
import type { SessionOutcome } from './ipc.js';

const sessionScope = new AsyncLocalStorage<LiveSession>();

/** After a service's idle goodbye, how long the client gets to read it before the socket is cut. */
const IDLE_GOODBYE_LINGER_MS = 5000;

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

export class LiveSession {
  private outcomeSoFar: SessionOutcome | undefined;

  constructor(
    readonly socket: Socket,
    readonly log: Logger,
  ) {}

  get outcome(): SessionOutcome {
    return this.outcomeSoFar ?? 'completed';
  }

  /** Records why the session ended; the first reason wins. */
  settle(outcome: SessionOutcome): void {
    this.outcomeSoFar ??= outcome;
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
}

export interface RunSessionOptions {
  readonly socket: Socket;
  readonly sid: string;
  readonly svc: string;
  readonly listener: string;
  readonly log: Logger;
  readonly idleTimeoutMs: number;
  readonly handler: (socket: Socket, context: SessionContext) => Promise<void>;
  /** Called as soon as the session exists, so shutdown can find it. */
  readonly onStart?: (session: LiveSession) => void;
}

export async function runSession(options: RunSessionOptions): Promise<SessionSummary> {
  const { socket, sid, svc, idleTimeoutMs, handler } = options;
  const startedAt = performance.now();
  const remoteAddress = socket.remoteAddress ?? '?';
  const remotePort = socket.remotePort ?? 0;
  const log = options.log.child({ svc, sid, remote: `${remoteAddress}:${remotePort}` });
  const session = new LiveSession(socket, log);
  options.onStart?.(session);
  guardSocketEvents(socket, session);

  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    session.settle('reset');
    log.debug({ code: error.code }, 'socket error');
  });
  let idleHandler: (() => IdleVerdict) | undefined;
  // Not setTimeout(ms, callback): that adds the callback with once(), and a service that answered
  // `keep` must be asked again after the next idle period.
  socket.setTimeout(idleTimeoutMs);
  socket.on('timeout', () => {
    const verdict = idleHandler?.() ?? 'closing';
    if (verdict === 'keep') return;
    log.info({ idleTimeoutMs }, 'idle timeout');
    if (idleHandler) {
      // The service said goodbye; give the words a moment to leave, then make sure.
      session.settle('idle-timeout');
      setTimeout(() => socket.destroy(), IDLE_GOODBYE_LINGER_MS).unref();
    } else {
      session.close('idle-timeout');
    }
  });
  log.info({ listener: options.listener }, 'session start');

  const context: SessionContext = {
    listener: options.listener,
    log,
    sid,
    remoteAddress,
    remotePort,
    setIdleHandler: (handler) => {
      idleHandler = handler;
    },
  };
  sessionScope
    .run(session, () => handler(socket, context))
    .then(
      () => finishGracefully(socket, session),
      (error: unknown) => session.fail(error),
    );

  await closed;
  const summary: SessionSummary = {
    outcome: session.outcome,
    bytesIn: socket.bytesRead,
    bytesOut: socket.bytesWritten,
    durationMs: Math.round(performance.now() - startedAt),
  };
  log.info(summary, 'session end');
  return summary;
}

/**
 * The service is done. Half-close our side and keep reading (and discarding) until the client's
 * FIN, so the socket closes as soon as the client has read everything, without an RST that could
 * destroy unread data in the client's receive queue.
 */
function finishGracefully(socket: Socket, session: LiveSession): void {
  session.settle('completed');
  if (socket.destroyed) return;
  socket.removeAllListeners('data');
  socket.resume();
  // end() on a stream the service already ended builds an ERR_STREAM_ALREADY_FINISHED error, stack
  // and all: measurable on sessions as short as daytime's.
  if (!socket.writableEnded) socket.end();
}

function guardSocketEvents(socket: Socket, session: LiveSession): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with its own `this` below
  const emit = socket.emit;
  socket.emit = function guardedEmit(this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    try {
      return sessionScope.run(session, () => Reflect.apply(emit, this, [event, ...args]) as boolean);
    } catch (error) {
      session.fail(error);
      return false;
    }
  } as typeof socket.emit;
}
