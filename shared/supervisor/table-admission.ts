/**
 * Admission against the counts every classicd process shares (shared/native/admission-table.ts):
 * what AdmissionController decides, with the service-wide limits, from any process. The allow and
 * deny lists need no shared state and are checked here first, as AdmissionController does.
 */
import type { Logger } from 'pino';
import { AccessList } from '../net/access-list.js';
import { canonicalAddress } from '../net/cidr.js';
import type { ServiceLimits } from '../config/service-limits.js';
import type { AdmissionTable, AdmissionTableLimits } from '../native/admission-table.js';
import { ADMITTED, type Admission, type AdmissionDecision } from './admission.js';

type Limits = Pick<ServiceLimits, 'maxSessions' | 'maxSessionsPerIp' | 'connectionsPerSecond' | 'allow' | 'deny'>;

/** The table's view of a service's limits: the same one-second burst AdmissionController allows. */
export function tableLimitsOf(limits: Limits): AdmissionTableLimits {
  return {
    maxSessions: limits.maxSessions,
    maxPerIp: limits.maxSessionsPerIp,
    ratePerSecond: limits.connectionsPerSecond,
    burst: Math.max(1, limits.connectionsPerSecond),
  };
}

/** What a process that admits through the table does when the table could not take a call. */
export function logUnavailable(log: Logger, svc: string): (call: 'admit' | 'release') => void {
  return (call) => log.error({ svc, call }, 'admission table unavailable (its lock was held too long)');
}

/** The calls TableAdmission makes of the table. */
export type AdmissionCounts = Pick<AdmissionTable, 'admit' | 'release' | 'active'>;

export class TableAdmission implements Admission {
  private readonly access: AccessList;
  /** Addresses whose release the table could not take yet, oldest first. */
  private readonly unreleased: string[] = [];

  /**
   * `column` is this process's own; `onUnavailable` hears of a call the table could not take (its
   * lock held past its wait): the connection is refused as max-sessions; a release is kept and
   * retried before the next admission or release, so the count is not left too high.
   */
  constructor(
    private readonly table: AdmissionCounts,
    private readonly service: number,
    private readonly column: number,
    limits: Pick<ServiceLimits, 'allow' | 'deny'>,
    private readonly onUnavailable: (call: 'admit' | 'release') => void,
  ) {
    this.access = new AccessList(limits);
  }

  get activeSessions(): number {
    return this.table.active(this.service);
  }

  admit(address: string, nowMs: number): AdmissionDecision {
    const client = canonicalAddress(address);
    const refusal = this.access.check(client);
    if (refusal) return { admitted: false, reason: refusal };
    this.retryReleases();
    const verdict = this.table.admit(this.service, this.column, client, nowMs);
    if (verdict === 'admitted') return ADMITTED;
    if (verdict !== 'unavailable') return { admitted: false, reason: verdict };
    this.onUnavailable('admit');
    return { admitted: false, reason: 'max-sessions' };
  }

  release(address: string): void {
    const client = canonicalAddress(address);
    if (this.retryReleases() && this.table.release(this.service, this.column, client)) return;
    this.unreleased.push(client);
    this.onUnavailable('release');
  }

  /** Takes the releases the table missed, oldest first; true once none is left. */
  private retryReleases(): boolean {
    while (this.unreleased.length > 0) {
      if (!this.table.release(this.service, this.column, this.unreleased[0]!)) return false;
      this.unreleased.shift();
    }
    return true;
  }
}
