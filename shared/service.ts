/**
 * What a protocol service gives the framework. The framework knows nothing about any protocol and a
 * service knows nothing about processes: a service says how to answer one session or one datagram,
 * the supervisor decides where and whether that happens.
 */
import type { Socket } from 'node:net';
import type { Level, Logger } from 'pino';
import type { z } from 'zod';
import type { ConfigProblem } from './config/load.js';
import type { CommonServiceConfig, Transport } from './config/service-limits.js';

/** Why the supervisor turned a connection away; a service may word its refusal per reason. */
export type RefusalReason = 'deny' | 'not-allowed' | 'max-sessions' | 'max-per-ip' | 'rate' | 'shutdown';

/** One TCP listener of a service; most have one, named `main` (FTP adds `implicit-tls`). */
export interface ListenerSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** What the service wants done when its session has been idle for `idleTimeoutMs`. */
export type IdleVerdict =
  /** Not idle in the service's eyes (an FTP transfer runs on another connection): keep it. */
  | 'keep'
  /** The service has said its goodbye (FTP's 421) and ended its stream; the socket closes soon. */
  | 'closing';

/**
 * Decides what an idle session does. An object rather than a function, so that a session object
 * can be its own handler: no closure per session.
 */
export interface IdleHandler {
  onIdle(): IdleVerdict;
  /**
   * What counts as activity for the idle timeout, if not every byte in or out of the connection: a
   * number that changes whenever the session does something. FTP counts command lines and reply
   * bytes, as vsftpd restarts its timer per command, so that a client trickling the bytes of a line
   * it never ends is idle all the same.
   */
  activity?(): number;
  /**
   * The worker is shutting down (SIGTERM): a session that can end at a good moment says goodbye
   * and ends (FTP's 421 when no command or transfer is running), rather than waiting for the grace
   * period's end to be cut off. Sessions still running then are closed as before.
   */
  onShutdown?(): void;
}

export interface SessionContext {
  /** Which of the service's listeners accepted this connection. */
  readonly listener: string;
  /**
   * Replaces the default idle behaviour (close at once). The handler may write a goodbye and end
   * the stream, then answer `closing`; or answer `keep`.
   */
  setIdleHandler(handler: IdleHandler): void;
  /**
   * A child logger carrying `svc`, `sid` and `remote`, made on first use: a session that logs
   * nothing costs no logger. Check isLevelEnabled first on paths every command takes.
   */
  readonly log: Logger;
  /** Whether the session's logger would write at `level` (asking does not make the logger). */
  isLevelEnabled(level: Level): boolean;
  /**
   * One info line with the session's bindings, without making the child logger: for a line most
   * sessions write once (FTP's login), which would otherwise keep a logger for the session's life
   * (about 470 bytes of an idle FTP session at level info).
   */
  logInfo(fields: object, message: string): void;
  /**
   * For services whose session() returns nothing: the service is done with the socket, which is
   * then closed gracefully (as when a returned promise resolves).
   */
  finish(): void;
  /** For services whose session() returns nothing: the session failed; it is logged and closed. */
  fail(error: unknown): void;
  /**
   * Work the session must finish even though its socket may close first (a broken upload's
   * temporary file removed, an append cut back). The session counts as over, its admission is
   * released and its end logged, only once `work` settles; and a worker that is shutting down
   * exits only then, rather than leaving the work half done.
   */
  endsAfter(work: Promise<unknown>): void;
  /**
   * Bytes the session moved on connections of its own besides the socket it was given (FTP's data
   * connections): added to its totals in the end line and the metrics.
   */
  countBytes(bytesIn: number, bytesOut: number): void;
  readonly sid: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface Datagram {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
}

/** What a worker offers its services besides sessions. */
export interface WorkerHost {
  /**
   * Appends `line` (with its newline) to the service's log `name` (one of its primaryLogs), which
   * the primary writes: the workers, which may run as supervisor.user, never hold the file.
   */
  appendToLog(name: string, line: string): void;
}

/** A service's per-worker state, made once when the worker starts (a quotes file read, say). */
export interface ServiceRuntime {
  /**
   * Runs one TCP session. A returned promise resolves or rejects when the service is done with the
   * socket; the framework then closes the socket if the service has not, and a rejection closes
   * only this session, with a log line. A service that returns nothing says the same with
   * context.finish() or context.fail(): FTP does, so that its thousands of sessions waiting for a
   * command hold no pending promise. Either way, the socket's close ends the session.
   */
  readonly session?: (socket: Socket, context: SessionContext) => Promise<void> | void;
  /** Answers one datagram; undefined sends nothing (RFC 863 discard, say). */
  readonly datagram?: (datagram: Datagram) => Buffer | undefined;
  /**
   * SIGHUP: reopen the files the service writes (after logrotate moved them) and take up the ones
   * it was configured from (a renewed certificate), given `prepared`, what the service's
   * prepareReopen read in the primary. Sessions already running keep what they have. A failure
   * leaves the service as it was; it is logged, and the service goes on.
   */
  readonly reopen?: (prepared: unknown) => Promise<void>;
  /**
   * Called once the worker has switched to supervisor.user: a check of what the service will need
   * to reach as that user (FTP's roots), whose start-up checks ran as root and saw everything.
   */
  readonly afterSwitchingUser?: () => Promise<void>;
  /** The worker is about to exit: flush and close what the service writes (a log file). */
  readonly close?: () => Promise<void>;
}

export interface ServiceDefinition<C extends CommonServiceConfig = CommonServiceConfig> {
  readonly name: string;
  /** The standard port (RFC 1700 / IANA); the default config uses this + 10000. */
  readonly standardPort: number;
  readonly transports: readonly Transport[];
  /** The whole service config: the common keys plus the service's own, strict. */
  readonly configSchema: z.ZodType<C>;
  /** The TCP listeners; by default one, `main`, on the service's host and port. */
  readonly tcpListeners?: (config: C) => readonly ListenerSpec[];
  /** What a refused client hears before the close, if the protocol has such a reply. */
  readonly refusal?: (reason: RefusalReason) => string | undefined;
  readonly start: (config: C, log: Logger, host: WorkerHost) => Promise<ServiceRuntime> | ServiceRuntime;
  /**
   * Log files the primary keeps for the service, by name (`xferlog`), each a path, or empty for
   * off. Workers append to them with WorkerHost.appendToLog; the primary opens them at start (a
   * path it cannot write stops the start), reopens them on SIGHUP and closes them at the end.
   */
  readonly primaryLogs?: (config: C) => Readonly<Record<string, string>>;
  /**
   * For `check-config`: what would make start() fail that the schema cannot see (a certificate
   * file that cannot be read, a log that cannot be written), each with its key path under the
   * service (`tls.cert`).
   */
  readonly preflight?: (config: C) => Promise<readonly ConfigProblem[]>;
  /**
   * SIGHUP, in the primary, which keeps the user classicd started as: read what the workers may no
   * longer read once they run as supervisor.user (a key only root may read). The result, which must
   * survive IPC, goes to every worker's ServiceRuntime.reopen. (The primaryLogs are the primary's
   * own to reopen.)
   */
  readonly prepareReopen?: (config: C, log: Logger) => Promise<unknown>;
}

/** Lets a service module declare its definition with its own config type and still be listed. */
export function defineService<C extends CommonServiceConfig>(definition: ServiceDefinition<C>): ServiceDefinition {
  return definition as unknown as ServiceDefinition;
}

/** The TCP listeners of a service with its config. */
export function tcpListenersOf(definition: ServiceDefinition, config: CommonServiceConfig): readonly ListenerSpec[] {
  return definition.tcpListeners?.(config) ?? [{ name: 'main', host: config.host, port: config.port }];
}
