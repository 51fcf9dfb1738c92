/**
 * Admission control for one service: who may connect, and whether there is room. xinetd's
 * only_from / no_access / instances / per_source / cps, applied before a session costs anything.
 * Pure bookkeeping; the caller owns sockets and clocks.
 */
import { AccessList } from '../net/access-list.js';
import { canonicalAddress } from '../net/cidr.js';
import type { ServiceLimits } from '../config/service-limits.js';
import type { RefusalReason } from '../service.js';
import { TokenBucket } from './token-bucket.js';

export type AdmissionDecision =
  { readonly admitted: true } | { readonly admitted: false; readonly reason: RefusalReason };

export const ADMITTED: AdmissionDecision = Object.freeze({ admitted: true });

/** Admits sessions and counts them until released: in one process, or shared (table-admission.ts). */
export interface Admission {
  readonly activeSessions: number;
  /** Decides, and on admission counts the session until `release` is called for it. */
  admit(address: string, nowMs: number): AdmissionDecision;
  release(address: string): void;
}

export class AdmissionController implements Admission {
  private readonly access: AccessList;
  private readonly rate: TokenBucket;
  private readonly perIp = new Map<string, number>();
  private active = 0;

  constructor(
    private readonly limits: Pick<
      ServiceLimits,
      'maxSessions' | 'maxSessionsPerIp' | 'connectionsPerSecond' | 'allow' | 'deny'
    >,
    nowMs: number,
  ) {
    this.access = new AccessList(limits);
    // A burst of one second's worth, and at least one, as xinetd's cps counts per second.
    this.rate = new TokenBucket(limits.connectionsPerSecond, Math.max(1, limits.connectionsPerSecond), nowMs);
  }

  get activeSessions(): number {
    return this.active;
  }

  /** Decides, and on admission counts the session until `release` is called for it. */
  admit(address: string, nowMs: number): AdmissionDecision {
    const client = canonicalAddress(address);
    const refusal = this.access.check(client);
    if (refusal) return { admitted: false, reason: refusal };
    if (this.active >= this.limits.maxSessions) return { admitted: false, reason: 'max-sessions' };
    const fromClient = this.perIp.get(client) ?? 0;
    if (fromClient >= this.limits.maxSessionsPerIp) return { admitted: false, reason: 'max-per-ip' };
    // The rate is checked last so that refused connections do not use up tokens.
    if (!this.rate.tryTake(nowMs)) return { admitted: false, reason: 'rate' };
    this.active += 1;
    this.perIp.set(client, fromClient + 1);
    return ADMITTED;
  }

  release(address: string): void {
    const client = canonicalAddress(address);
    const fromClient = this.perIp.get(client) ?? 0;
    if (fromClient <= 1) this.perIp.delete(client);
    else this.perIp.set(client, fromClient - 1);
    this.active = Math.max(0, this.active - 1);
  }
}
