/**
 * What a protocol service gives the framework. The framework knows nothing about any protocol and a
 * service knows nothing about processes: a service says how to answer one session or one datagram,
 * the supervisor decides where and whether that happens.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { CommonServiceConfig, Transport } from './config/service-limits.js';

/** Why the supervisor turned a connection away; a service may word its refusal per reason. */
export type RefusalReason = 'deny' | 'not-allowed' | 'max-sessions' | 'max-per-ip' | 'rate' | 'shutdown';

export interface SessionContext {
  /** A child logger carrying `svc`, `sid` and `remote`. */
  readonly log: Logger;
  readonly sid: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface Datagram {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
}

/** A service's per-worker state, made once when the worker starts (a quotes file read, say). */
export interface ServiceRuntime {
  /**
   * Runs one TCP session. It resolves or rejects when the service is done with the socket; the
   * framework then closes the socket if the service has not, and a rejection closes only this
   * session, with a log line.
   */
  readonly session?: (socket: Socket, context: SessionContext) => Promise<void>;
  /** Answers one datagram; undefined sends nothing (RFC 863 discard, say). */
  readonly datagram?: (datagram: Datagram) => Buffer | undefined;
}

export interface ServiceDefinition<C extends CommonServiceConfig = CommonServiceConfig> {
  readonly name: string;
  /** The standard port (RFC 1700 / IANA); the default config uses this + 10000. */
  readonly standardPort: number;
  readonly transports: readonly Transport[];
  /** The whole service config: the common keys plus the service's own, strict. */
  readonly configSchema: z.ZodType<C>;
  /** What a refused client hears before the close, if the protocol has such a reply. */
  readonly refusal?: (reason: RefusalReason) => string | undefined;
  readonly start: (config: C, log: Logger) => Promise<ServiceRuntime> | ServiceRuntime;
}

/** Lets a service module declare its definition with its own config type and still be listed. */
export function defineService<C extends CommonServiceConfig>(definition: ServiceDefinition<C>): ServiceDefinition {
  return definition as unknown as ServiceDefinition;
}
