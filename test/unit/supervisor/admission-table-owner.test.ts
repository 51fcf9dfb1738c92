/**
 * The primary's side of the shared admission table: a column per live worker, handed back when the
 * worker exits, and its own column for connections it admits by message, all counted as one.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../../shared/native/addon.js';
import { AdmissionTable } from '../../../shared/native/admission-table.js';
import type { CommonServiceConfig } from '../../../shared/config/service-limits.js';
import { AdmissionTableOwner } from '../../../shared/supervisor/admission-table-owner.js';
import { TableAdmission } from '../../../shared/supervisor/table-admission.js';

const echo = {
  maxSessions: 100,
  maxSessionsPerIp: 2,
  connectionsPerSecond: 1000,
  allow: [],
  deny: [],
} as unknown as CommonServiceConfig;

const silent = pino({ level: 'silent' });

function owner(workers: number): AdmissionTableOwner {
  return AdmissionTableOwner.create(new Map([['echo', echo]]), workers, silent) as AdmissionTableOwner;
}

describe.skipIf(!nativeAddon())('AdmissionTableOwner', () => {
  it('makes no table without brokered services', () => {
    expect(AdmissionTableOwner.create(new Map(), 2, silent)).toBeUndefined();
  });

  it('gives each worker a column of its own, and a dead worker’s column to the next', () => {
    const tables = owner(2);
    expect(tables.grant(1)?.column).toBe(0);
    expect(tables.grant(2)?.column).toBe(1);
    expect(tables.grant(3)).toBeUndefined(); // none free: worker 3 would ask by message
    tables.reclaim(1);
    expect(tables.grant(4)).toMatchObject({ column: 0, services: { echo: 0 } });
    tables.reclaim(99); // a worker it never granted: nothing happens
    expect(tables.grant(5)).toBeUndefined();
  });

  it('counts the primary’s admissions and a worker’s as one, and forgets the worker’s when it exits', () => {
    const tables = owner(2);
    const grant = tables.grant(1)!;
    const inWorker = new TableAdmission(
      AdmissionTable.open(grant.path)!,
      grant.services.echo!,
      grant.column,
      echo,
      () => {
        throw new Error('unavailable');
      },
    );
    const inPrimary = tables.admissionFor('echo', echo)!;
    expect(inWorker.admit('10.0.0.1', 0).admitted).toBe(true);
    expect(inPrimary.admit('10.0.0.1', 0).admitted).toBe(true);
    expect(inPrimary.admit('10.0.0.1', 0)).toEqual({ admitted: false, reason: 'max-per-ip' });
    expect(inWorker.admit('10.0.0.1', 0)).toEqual({ admitted: false, reason: 'max-per-ip' });
    expect(inPrimary.activeSessions).toBe(2);

    tables.reclaim(1); // the worker died with its session
    expect(inPrimary.activeSessions).toBe(1);
    expect(inPrimary.admit('10.0.0.1', 0).admitted).toBe(true);
    inPrimary.release('10.0.0.1');
    inPrimary.release('10.0.0.1');
    expect(inPrimary.activeSessions).toBe(0);
  });

  it('has no admission for a service that is not brokered', () => {
    expect(owner(1).admissionFor('daytime', echo)).toBeUndefined();
  });
});
