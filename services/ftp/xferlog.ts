/**
 * The transfer log (`xferlog`), a line per RETR/STOR in vsftpd's format (xferlog-format.ts),
 * beside the pino protocol log.
 *
 * The worker formats each line and hands it to the primary, which alone holds the file
 * (ServiceDefinition.primaryLogs, shared/log/append-file.ts): the workers, which serve the
 * sessions and may run as supervisor.user, cannot read, rewrite or truncate the record of what
 * their sessions did, and logrotate's owner and mode for the file stay as they are. An empty
 * path turns the log off.
 */
import { formatXferlogLine, type TransferRecord } from './xferlog-format.js';

export type { TransferRecord } from './xferlog-format.js';

/** The name the FTP service's transfer log goes by between the workers and the primary. */
export const XFERLOG = 'xferlog';

export class XferLog {
  /** `append`: where each line goes (the primary's file); undefined when the log is off. */
  constructor(private readonly append: ((line: string) => void) | undefined) {}

  get enabled(): boolean {
    return this.append !== undefined;
  }

  /** Sends one line on its way; returns at once. A no-op when the log is off. */
  record(record: TransferRecord): void {
    this.append?.(formatXferlogLine(record));
  }
}
