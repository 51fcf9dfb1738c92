/**
 * The keys every service shares: where it listens and who may connect.
 *
 * Defaults do not live here: `config/default.yaml` is the one place that holds them, so this schema
 * only says what a valid value is. Units are in the key names (`idleTimeoutMs`).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCidr } from '../net/cidr.js';

export const hostSchema = z.string().refine((host) => isIP(host) !== 0, { message: 'must be an IPv4 or IPv6 address' });

export const portSchema = z.number().int().min(0).max(65535);

const cidrSchema = z.string().refine((text) => parseCidr(text) !== undefined, {
  message: 'must be an address or CIDR block, such as 10.0.0.0/8 or ::1/128',
});

export const transportSchema = z.enum(['tcp', 'udp']);
export type Transport = z.infer<typeof transportSchema>;

/** Admission limits, applied by the supervisor before a session reaches a worker. */
export const limitsShape = {
  /** Sessions this service may hold open at once, across all workers. */
  maxSessions: z.number().int().positive(),
  /** Sessions one source address may hold open at once (xinetd's per_source). */
  maxSessionsPerIp: z.number().int().positive(),
  /** New connections admitted per second, averaged by a token bucket (xinetd's cps). */
  connectionsPerSecond: z.number().positive(),
  /** A session that neither sends nor receives for this long is closed. */
  idleTimeoutMs: z.number().int().positive(),
  /** When not empty, only these networks may connect (xinetd's only_from). */
  allow: z.array(cidrSchema),
  /** These networks may never connect; deny wins over allow (xinetd's no_access). */
  deny: z.array(cidrSchema),
};

/**
 * How a service's TCP connections reach a worker: `handoff` (the primary admits and passes each
 * one), `brokered` (workers accept, the primary admits each by message), `shared` (workers accept
 * and admit for themselves), or `default` (supervisor.dispatch).
 */
export const dispatchSchema = z.enum(['default', 'handoff', 'brokered', 'shared']);

/** A dispatch mode itself, `default` resolved. */
export type DispatchMode = Exclude<z.infer<typeof dispatchSchema>, 'default'>;

/** What every service has, before its own keys. */
export const commonServiceShape = {
  enabled: z.boolean(),
  host: hostSchema,
  port: portSchema,
  transports: z.array(transportSchema).min(1),
  dispatch: dispatchSchema,
  ...limitsShape,
};

/**
 * UDP services answer datagrams that may carry a forged source. These keys keep them from being
 * used as reflection amplifiers (the chargen/echo loop of CVE-1999-0103).
 */
export const udpGuardSchema = z.strictObject({
  /** Datagrams from source ports below this are dropped: they are other services, not clients. */
  minSourcePort: portSchema,
  /** Replies per second one source address may receive. */
  repliesPerSecondPerSource: z.number().positive(),
  /** How many source addresses the limiter remembers at once; the oldest are forgotten first. */
  trackedSources: z.number().int().positive(),
});
export type UdpGuardConfig = z.infer<typeof udpGuardSchema>;

export const commonServiceSchema = z.strictObject(commonServiceShape);
export type CommonServiceConfig = z.infer<typeof commonServiceSchema>;
export type ServiceLimits = Pick<CommonServiceConfig, keyof typeof limitsShape>;
