import { afterAll, describe, expect, it } from 'vitest';
import { AdmissionTable } from '../../../shared/native/admission-table.js';
import { nativeAddon } from '../../../shared/native/addon.js';
import { AdmissionController, type Admission } from '../../../shared/supervisor/admission.js';
import { TableAdmission, tableLimitsOf, type AdmissionCounts } from '../../../shared/supervisor/table-admission.js';
import { RestartIntensity } from '../../../shared/supervisor/restart-intensity.js';
import { TokenBucket } from '../../../shared/supervisor/token-bucket.js';
import { SourceRateLimiter } from '../../../shared/net/source-rate-limiter.js';

const limits = {
  maxSessions: 100,
  maxSessionsPerIp: 100,
  connectionsPerSecond: 1000,
  allow: [] as string[],
  deny: [] as string[],
};

type Limits = typeof limits;

/** A table for one service, one column; kept mapped until the file's tests are done. */
const tables: AdmissionTable[] = [];
afterAll(() => void tables.splice(0));
function tableAdmission(serviceLimits: Limits, nowMs: number): Admission {
  const table = AdmissionTable.create([tableLimitsOf(serviceLimits)], 1, nowMs) as AdmissionTable;
  tables.push(table);
  return new TableAdmission(table, 0, 0, serviceLimits, () => {
    throw new Error('the table was unavailable');
  });
}

// The same decisions in one process and from the table all processes share (without the native
// addon there is no table, and classicd admits by message instead).
describe.each([
  { kind: 'AdmissionController', make: (l: Limits, nowMs: number): Admission => new AdmissionController(l, nowMs) },
  ...(nativeAddon() ? [{ kind: 'TableAdmission', make: tableAdmission }] : []),
])('$kind', ({ make }) => {
  it('admits, counts and releases', () => {
    const admission = make(limits, 0);
    expect(admission.admit('127.0.0.1', 0)).toEqual({ admitted: true });
    expect(admission.activeSessions).toBe(1);
    admission.release('127.0.0.1');
    expect(admission.activeSessions).toBe(0);
  });

  it('refuses past maxSessions until one is released', () => {
    const admission = make({ ...limits, maxSessions: 2 }, 0);
    admission.admit('10.0.0.1', 0);
    admission.admit('10.0.0.2', 0);
    expect(admission.admit('10.0.0.3', 0)).toEqual({ admitted: false, reason: 'max-sessions' });
    admission.release('10.0.0.1');
    expect(admission.admit('10.0.0.3', 0).admitted).toBe(true);
  });

  it('caps sessions per source address, counting mapped IPv4 as IPv4', () => {
    const admission = make({ ...limits, maxSessionsPerIp: 2 }, 0);
    expect(admission.admit('10.0.0.1', 0).admitted).toBe(true);
    expect(admission.admit('::ffff:10.0.0.1', 0).admitted).toBe(true);
    expect(admission.admit('10.0.0.1', 0)).toEqual({ admitted: false, reason: 'max-per-ip' });
    expect(admission.admit('10.0.0.2', 0).admitted).toBe(true);
    admission.release('::ffff:10.0.0.1');
    expect(admission.admit('10.0.0.1', 0).admitted).toBe(true);
  });

  it('limits the connection rate with a one-second burst', () => {
    const admission = make({ ...limits, connectionsPerSecond: 3 }, 0);
    const at = (ms: number) => admission.admit('10.0.0.1', ms);
    expect([at(0), at(0), at(0)].every((d) => d.admitted)).toBe(true);
    expect(at(0)).toEqual({ admitted: false, reason: 'rate' });
    expect(at(200)).toEqual({ admitted: false, reason: 'rate' });
    // One token flows in every 333 ms.
    expect(at(334).admitted).toBe(true);
  });

  it('does not spend rate tokens on refused connections', () => {
    const admission = make({ ...limits, connectionsPerSecond: 1, deny: ['10.0.0.0/8'] }, 0);
    expect(admission.admit('10.0.0.1', 0).admitted).toBe(false);
    expect(admission.admit('192.0.2.1', 0).admitted).toBe(true);
  });

  it('applies allow and deny lists, deny winning', () => {
    const admission = make({ ...limits, allow: ['10.0.0.0/8'], deny: ['10.6.0.0/16'] }, 0);
    expect(admission.admit('10.1.1.1', 0).admitted).toBe(true);
    expect(admission.admit('10.6.1.1', 0)).toEqual({ admitted: false, reason: 'deny' });
    expect(admission.admit('192.0.2.1', 0)).toEqual({ admitted: false, reason: 'not-allowed' });
  });
});

describe('TokenBucket', () => {
  it('refills at its rate up to the burst', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    // A long pause refills only up to the burst.
    expect([bucket.tryTake(10_000), bucket.tryTake(10_000), bucket.tryTake(10_000)]).toEqual([true, true, false]);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 1000);
    expect(bucket.tryTake(1000)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
  });
});

describe('SourceRateLimiter', () => {
  it('limits each source on its own', () => {
    const limiter = new SourceRateLimiter(1, 100);
    expect(limiter.allow('a', 0)).toBe(true);
    expect(limiter.allow('a', 0)).toBe(false);
    expect(limiter.allow('b', 0)).toBe(true);
  });

  it('forgets the least recently seen source when full', () => {
    const limiter = new SourceRateLimiter(1, 2);
    limiter.allow('a', 0);
    limiter.allow('b', 0);
    limiter.allow('a', 0); // a is now the most recent
    limiter.allow('c', 0); // evicts b
    expect(limiter.allow('a', 0)).toBe(false); // still remembered, still empty
    expect(limiter.allow('b', 0)).toBe(true); // forgotten, so a fresh bucket
  });
});

describe.runIf(nativeAddon())('TableAdmission when the table lock is held too long', () => {
  /** A real table whose lock can be made to look held past its wait, as a stopped holder would. */
  function lockableTable(): { counts: AdmissionCounts; table: AdmissionTable; held: { now: boolean } } {
    const table = AdmissionTable.create([tableLimitsOf(limits)], 1, 0) as AdmissionTable;
    tables.push(table);
    const held = { now: false };
    const counts: AdmissionCounts = {
      admit: (...args) => (held.now ? 'unavailable' : table.admit(...args)),
      release: (...args) => !held.now && table.release(...args),
      active: (service) => table.active(service),
    };
    return { counts, table, held };
  }

  it('refuses as max-sessions, and keeps a missed release until the table takes it', () => {
    const { counts, table, held } = lockableTable();
    const missed: string[] = [];
    const admission = new TableAdmission(counts, 0, 0, limits, (call) => missed.push(call));
    expect(admission.admit('10.0.0.1', 0).admitted).toBe(true);
    expect(admission.admit('10.0.0.2', 0).admitted).toBe(true);
    held.now = true;
    expect(admission.admit('10.0.0.3', 0)).toEqual({ admitted: false, reason: 'max-sessions' });
    admission.release('10.0.0.1');
    admission.release('10.0.0.2');
    expect(missed).toEqual(['admit', 'release', 'release']);
    expect(table.active(0)).toBe(2);
    held.now = false;
    // The next admission first takes the releases the table missed, so it decides on true counts.
    expect(admission.admit('10.0.0.3', 0).admitted).toBe(true);
    expect(table.active(0)).toBe(1);
    admission.release('10.0.0.3');
    expect(table.active(0)).toBe(0);
  });

  it('takes missed releases before the next release', () => {
    const { counts, table, held } = lockableTable();
    const admission = new TableAdmission(counts, 0, 0, limits, () => undefined);
    admission.admit('10.0.0.1', 0);
    admission.admit('10.0.0.2', 0);
    held.now = true;
    admission.release('10.0.0.1');
    held.now = false;
    admission.release('10.0.0.2');
    expect(table.active(0)).toBe(0);
  });
});

describe('RestartIntensity', () => {
  it('allows R restarts within P and refuses the next', () => {
    const intensity = new RestartIntensity(2, 1000);
    expect(intensity.allowRestart(0)).toBe(true);
    expect(intensity.allowRestart(10)).toBe(true);
    expect(intensity.allowRestart(20)).toBe(false);
  });

  it('forgets restarts older than the period', () => {
    const intensity = new RestartIntensity(1, 1000);
    expect(intensity.allowRestart(0)).toBe(true);
    expect(intensity.allowRestart(1000)).toBe(true);
    expect(intensity.allowRestart(1500)).toBe(false);
  });

  it('with intensity 0 gives up at the first death', () => {
    expect(new RestartIntensity(0, 1000).allowRestart(0)).toBe(false);
  });
});
