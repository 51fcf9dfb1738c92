/**
 * Running one transfer over the data connection, the same way for every command that needs one
 * (RETR, STOR, STOU, APPE, LIST, NLST, MLSD). (Stub: the data-connection work fills this in; the
 * signatures are the contract the listing and file commands build on.)
 */
import type { Readable, Writable } from 'node:stream';
import { FtpError } from '../errors.js';
import type { FtpSession } from '../session.js';

export interface DownloadOptions {
  /** For logs and STAT: `RETR /pub/file.txt`. */
  readonly description: string;
  /** The 150 reply's text, e.g. `Opening BINARY mode data connection for file.txt (1234 bytes).` */
  readonly openingText: string;
  /** Called after the data connection is up; the stream is piped to it with backpressure. */
  readonly source: () => Promise<Readable>;
  /** `A`: LF becomes CRLF on the way out (RFC 959 3.1.1.1); listings always pass `A`. */
  readonly type: 'A' | 'I';
  /** Called once with the outcome, for the xferlog (RETR only). */
  readonly onFinished?: (outcome: TransferOutcome) => void;
}

export interface UploadOptions {
  readonly description: string;
  readonly openingText: string;
  /** Where the bytes go; `commit` runs after the last byte is written, before 226. */
  readonly sink: () => Promise<{
    readonly stream: Writable;
    readonly commit: () => Promise<void>;
    readonly discard: () => Promise<void>;
  }>;
  /** `A`: CRLF becomes LF on the way in. */
  readonly type: 'A' | 'I';
  /** The 226 text, e.g. `Transfer complete.` or STOU's `Transfer complete (unique file name: x).` */
  readonly completeText?: string;
  readonly onFinished?: (outcome: TransferOutcome) => void;
}

export interface TransferOutcome {
  readonly completed: boolean;
  readonly bytes: number;
  readonly durationMs: number;
}

export function startDownload(_session: FtpSession, _options: DownloadOptions): void {
  throw new FtpError(502, 'Data transfers are not implemented yet.');
}

export function startUpload(_session: FtpSession, _options: UploadOptions): void {
  throw new FtpError(502, 'Data transfers are not implemented yet.');
}
