/**
 * The log files the primary writes for the services (ServiceDefinition.primaryLogs): FTP's
 * xferlog. Workers send their lines over IPC (`log-line`, batched with their other reports); the
 * primary appends them (shared/log/append-file.ts says why the primary, and not the workers).
 *
 * Lines from different workers land in the order they reach the primary. A worker that dies takes
 * with it at most the lines it had not sent yet (a report batch waits at most a few milliseconds);
 * a worker whose primary is killed has nobody to send them to.
 */
import type { Logger } from 'pino';
import type { CommonServiceConfig } from '../config/service-limits.js';
import { AppendFile } from '../log/append-file.js';
import type { ServiceDefinition } from '../service.js';
import type { Identity } from './privileges.js';

export class PrimaryLogs {
  private constructor(
    /** By service, then by the log's name. */
    private readonly files: ReadonlyMap<string, ReadonlyMap<string, AppendFile>>,
    private readonly log: Logger,
  ) {}

  /** Opens every enabled service's logs; rejects (closing what it opened) if one cannot be. */
  static async open(
    services: readonly { readonly definition: ServiceDefinition; readonly config: CommonServiceConfig }[],
    workers: Identity | undefined,
    log: Logger,
  ): Promise<PrimaryLogs> {
    const files = new Map<string, Map<string, AppendFile>>();
    const logs = new PrimaryLogs(files, log);
    try {
      for (const { definition, config } of services) {
        const paths = definition.primaryLogs?.(config) ?? {};
        for (const [name, path] of Object.entries(paths)) {
          if (!path) continue; // off
          const file = await AppendFile.open(path, { name, workers, log: log.child({ svc: definition.name }) });
          const byName = files.get(definition.name) ?? new Map<string, AppendFile>();
          files.set(definition.name, byName.set(name, file));
        }
      }
    } catch (error) {
      await logs.close();
      throw error;
    }
    return logs;
  }

  /** A worker's line for `svc`'s log `name`; one the primary has no file for is dropped, once said. */
  append(svc: unknown, name: unknown, line: unknown): void {
    // From a worker, which may be compromised: nothing it sends may throw here, in the primary.
    if (typeof svc !== 'string' || typeof name !== 'string') return;
    const file = this.files.get(svc)?.get(name);
    if (file) return file.append(line);
    const key = `${svc}/${name}`;
    if (this.unknown.has(key)) return;
    this.unknown.add(key);
    this.log.warn({ svc, log: name }, 'lines for a log this service does not keep are dropped');
  }

  /** The logs lines came for that the primary has no file for, each warned about once. */
  private readonly unknown = new Set<string>();

  /** SIGHUP: every file reopened at its path; one that cannot be goes on where it was, logged. */
  async reopen(): Promise<void> {
    for (const [svc, byName] of this.files) {
      for (const [name, file] of byName) {
        try {
          await file.reopen();
        } catch (error) {
          this.log.error({ err: error, svc, log: name }, 'could not reopen the log; lines go on to the old file');
        }
      }
    }
  }

  /** Flushes and closes every file: at stop, once the workers are gone. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const byName of this.files.values()) for (const file of byName.values()) closing.push(file.close());
    await Promise.all(closing);
  }
}
