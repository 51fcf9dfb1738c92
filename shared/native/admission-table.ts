/**
 * Admission counts in memory that the primary and every worker map (native/src/admission_table.c),
 * so that a worker applies a service's whole limits to a connection it accepted itself, with no
 * message to the primary (dispatch: brokered). The primary creates the table and keeps it; a
 * worker opens it by the path the primary gives it. Each process counts in its own column; the
 * primary forgets a dead worker's column.
 */
import { nativeAddon, type AdmissionTableHandle, type AdmissionTableLimits, type NativeAddon } from './addon.js';

export type { AdmissionTableLimits } from './addon.js';

/** What the table decided, or that it could not (its lock held too long: `unavailable`). */
export type TableVerdict = 'admitted' | 'max-sessions' | 'max-per-ip' | 'rate' | 'unavailable';

const VERDICTS: readonly TableVerdict[] = ['admitted', 'max-sessions', 'max-per-ip', 'rate'];

/** Key bytes in the table (ADMISSION_KEY_BYTES), its NUL included: every address Node gives fits. */
const KEY_BYTES = 64;

function fits(address: string): boolean {
  return Buffer.byteLength(address) < KEY_BYTES;
}

export class AdmissionTable {
  private constructor(
    private readonly addon: NativeAddon,
    private readonly handle: AdmissionTableHandle,
    /** Where another process opens this table; only the creator has one. */
    readonly path: string | undefined,
  ) {}

  /** A new table, or undefined without the addon. Throws if the addon cannot make one. */
  static create(services: readonly AdmissionTableLimits[], columns: number, nowMs: number): AdmissionTable | undefined {
    const addon = nativeAddon();
    if (!addon) return undefined;
    const { table, fd } = addon.admissionTableCreate(services, columns, nowMs);
    // The memfd stays open in this process for the table's life; /proc re-opens it, no name needed.
    return new AdmissionTable(addon, table, `/proc/${process.pid}/fd/${fd}`);
  }

  /** The table at `path`, or undefined without the addon. Throws if it is not there or not a table. */
  static open(path: string): AdmissionTable | undefined {
    const addon = nativeAddon();
    if (!addon) return undefined;
    return new AdmissionTable(addon, addon.admissionTableOpen(path), undefined);
  }

  /** `unavailable` too for an address longer than any Node gives, which the table cannot key. */
  admit(service: number, column: number, address: string, nowMs: number): TableVerdict {
    if (!fits(address)) return 'unavailable';
    const code = this.addon.admissionTableAdmit(this.handle, service, column, address, nowMs);
    return VERDICTS[code] ?? 'unavailable';
  }

  /**
   * False if the table could not be changed (its lock held too long), so the count stays. An
   * address too long to key was never admitted: nothing to release.
   */
  release(service: number, column: number, address: string): boolean {
    return !fits(address) || this.addon.admissionTableRelease(this.handle, service, column, address) >= 0;
  }

  reclaim(column: number): boolean {
    return this.addon.admissionTableReclaim(this.handle, column) === 0;
  }

  /** Sessions counted for `service`, in every column. */
  active(service: number): number {
    return this.addon.admissionTableActive(this.handle, service);
  }
}
