/**
 * Loads classicd's native addon (native/, Node-API: the FTP data path's file moves, TCP progress
 * counts, admission counts shared between processes), built by `npm install`. It is optional:
 * where it is missing (another OS, no compiler at install time), `nativeAddon()` is undefined and
 * callers use their portable path. `nativeAddonProblem()` says why, for one log line at start-up.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The functions native/src/classicd_native.c exports. */
export interface NativeAddon {
  /** Starts a sendfile job; `callback` runs once, later, with 0 or -errno and the bytes sent. */
  sendFileStart(
    socketFd: number,
    fileFd: number,
    offset: number,
    length: number,
    callback: (result: number, sent: number) => void,
  ): NativeJob;
  /**
   * Starts an upload job: reads the socket until FIN into the file from `offset`; `callback` runs
   * once, later, with 0 or -errno and the bytes written. `direct`: past the page cache (O_DIRECT)
   * where the file system allows it and `offset` is block-aligned.
   */
  receiveFileStart(
    socketFd: number,
    fileFd: number,
    offset: number,
    writeBack: boolean,
    direct: boolean,
    callback: (result: number, written: number) => void,
  ): NativeJob;
  /** Ends a job early; its callback still runs, with -ECANCELED. A no-op once it has ended. */
  jobCancel(job: NativeJob): void;
  /** Bytes a job has moved so far (sent, or read from the socket). */
  jobProgress(job: NativeJob): number;
  /** The TCP socket's bytes received (`received`) or acknowledged by the peer, or -errno. */
  tcpBytesMoved(socketFd: number, received: boolean): number;
  /** flock(2) without waiting, exclusive or shared: 0, or -errno (-EWOULDBLOCK: another holds it). */
  fileLockTry(fileFd: number, exclusive: boolean): number;
  /** A new admission table in a memfd (see shared/native/admission-table.ts); throws on failure. */
  admissionTableCreate(
    services: readonly AdmissionTableLimits[],
    columns: number,
    nowMs: number,
  ): { table: AdmissionTableHandle; fd: number };
  /** Another process's table, mapped here through a path to its memfd; throws on failure. */
  admissionTableOpen(path: string): AdmissionTableHandle;
  /** 0 admitted, 1 max sessions, 2 max per IP, 3 rate; or -errno. */
  admissionTableAdmit(
    table: AdmissionTableHandle,
    service: number,
    column: number,
    address: string,
    nowMs: number,
  ): number;
  /** 0, or 1 if nothing was counted for `address` in `column`; or -errno. */
  admissionTableRelease(table: AdmissionTableHandle, service: number, column: number, address: string): number;
  /** Forgets `column`'s counts: 0 or -errno. */
  admissionTableReclaim(table: AdmissionTableHandle, column: number): number;
  /** Sessions counted for `service` in all columns, or -errno. */
  admissionTableActive(table: AdmissionTableHandle, service: number): number;
}

/** One service's limits in an admission table. */
export interface AdmissionTableLimits {
  readonly maxSessions: number;
  readonly maxPerIp: number;
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** An opaque handle to a mapped admission table. */
export type AdmissionTableHandle = { readonly __admissionTable: unique symbol };

/** An opaque handle to a running native job. */
export type NativeJob = { readonly __nativeJob: unique symbol };

/** Relative to this module in dist/shared/native/ and in shared/native/ (tests on sources). */
const CANDIDATES = [
  '../../../native/build/Release/classicd_native.node',
  '../../native/build/Release/classicd_native.node',
];

let loaded: { addon?: NativeAddon; problem?: string } | undefined;

function load(): { addon?: NativeAddon; problem?: string } {
  const path = CANDIDATES.map((candidate) => new URL(candidate, import.meta.url)).find((url) => existsSync(url));
  if (!path) return { problem: 'not built (npm install builds it; it needs a C compiler and Linux)' };
  try {
    return { addon: createRequire(import.meta.url)(path.pathname) as NativeAddon };
  } catch (error) {
    return { problem: `could not be loaded: ${(error as Error).message}` };
  }
}

export function nativeAddon(): NativeAddon | undefined {
  loaded ??= load();
  return loaded.addon;
}

/** Why `nativeAddon()` is undefined, or undefined when it is there. */
export function nativeAddonProblem(): string | undefined {
  loaded ??= load();
  return loaded.problem;
}
