/**
 * The primary's side of the shared admission table (dispatch: brokered, with the native addon).
 * It makes the table for the brokered services, gives each worker a column of its own when it
 * starts, and forgets a worker's column when the worker exits, so a dead worker's sessions stop
 * counting at once. One more column is the primary's: connections a worker could not admit
 * through the table (it could not map it) are admitted here, by message, and counted there.
 */
import type { Logger } from 'pino';
import type { CommonServiceConfig } from '../config/service-limits.js';
import { AdmissionTable } from '../native/admission-table.js';
import type { AdmissionTableGrant } from './ipc.js';
import { logUnavailable, TableAdmission, tableLimitsOf } from './table-admission.js';

export class AdmissionTableOwner {
  private readonly columnOfWorker = new Map<number, number>();
  private readonly freeColumns: number[];

  private constructor(
    private readonly table: AdmissionTable,
    private readonly path: string,
    private readonly services: Readonly<Record<string, number>>,
    /** The primary's column; the workers' are 0 up to it. */
    private readonly primaryColumn: number,
    private readonly log: Logger,
  ) {
    this.freeColumns = Array.from({ length: primaryColumn }, (_, column) => column);
  }

  /**
   * A table for `brokered` services, with a column for each of `workers` and one for the primary;
   * undefined when there are none, or without the addon, or if it cannot be made (said in the log:
   * workers then ask the primary for each connection, as the addon-less path does).
   */
  static create(
    brokered: ReadonlyMap<string, CommonServiceConfig>,
    workers: number,
    log: Logger,
  ): AdmissionTableOwner | undefined {
    if (brokered.size === 0) return undefined;
    const names = [...brokered.keys()];
    let table: AdmissionTable | undefined;
    try {
      table = AdmissionTable.create(
        names.map((name) => tableLimitsOf(brokered.get(name) as CommonServiceConfig)),
        workers + 1,
        Date.now(),
      );
    } catch (error) {
      log.warn({ err: error }, 'no shared admission table; brokered services admit by message');
      return undefined;
    }
    if (!table?.path) return undefined;
    const services = Object.fromEntries(names.map((name, index) => [name, index]));
    return new AdmissionTableOwner(table, table.path, services, workers, log);
  }

  /** The primary's admission for a brokered service, in its own column. */
  admissionFor(svc: string, config: CommonServiceConfig): TableAdmission | undefined {
    const index = this.services[svc];
    if (index === undefined) return undefined;
    return new TableAdmission(this.table, index, this.primaryColumn, config, logUnavailable(this.log, svc));
  }

  /** A column for worker `workerId` to count in, if one is free (else it asks by message). */
  grant(workerId: number): AdmissionTableGrant | undefined {
    const column = this.freeColumns.shift();
    if (column === undefined) return undefined;
    this.columnOfWorker.set(workerId, column);
    return { path: this.path, column, services: this.services };
  }

  /** Worker `workerId` has exited: its sessions are gone, so are its counts. */
  reclaim(workerId: number): void {
    const column = this.columnOfWorker.get(workerId);
    if (column === undefined) return;
    this.columnOfWorker.delete(workerId);
    if (!this.table.reclaim(column)) {
      // Its counts would stay: better no worker ever counts in that column again.
      this.log.error({ worker: workerId, column }, 'could not reclaim a dead worker’s admission counts');
      return;
    }
    this.freeColumns.push(column);
    this.freeColumns.sort((a, b) => a - b);
  }
}
