/**
 * The FTP load-client processes (bench/ftp-load-client.ts), started once per suite and reused for
 * every server, so that each server faces the same clients. The same shape as clients.ts, for the
 * FTP jobs.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FtpClientJob, FtpClientReply, FtpJobResult } from './ftp-jobs.js';
import { spawnTracked, stopTracked } from './processes.js';

const CLIENT_ENTRY = fileURLToPath(new URL('../ftp-load-client.js', import.meta.url));

class FtpLoadClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: FtpJobResult) => void; reject: (error: Error) => void }
  >();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FtpClientReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`FTP load client ${child.pid}: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`FTP load client ${child.pid} exited (${signal ?? code}) during a job`));
      }
      this.pending.clear();
    });
  }

  run(job: FtpClientJob): Promise<FtpJobResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, job }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}

/** What several clients did together: counts summed, from the earliest start to the latest end. */
export interface CombinedResult {
  readonly ok: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly bytes: number;
  readonly ms: number;
}

export function combine(results: readonly FtpJobResult[]): CombinedResult {
  const errorCodes: Record<string, number> = {};
  for (const result of results) {
    for (const [code, count] of Object.entries(result.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
  }
  const startedAt = Math.min(...results.map((result) => result.startedAt));
  const endedAt = Math.max(...results.map((result) => result.endedAt));
  return {
    ok: results.reduce((sum, result) => sum + result.ok, 0),
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    errorCodes,
    bytes: results.reduce((sum, result) => sum + result.bytes, 0),
    ms: endedAt - startedAt,
  };
}

export class FtpClientPool {
  private constructor(private readonly clients: readonly FtpLoadClient[]) {}

  /** Forks `count` FTP load clients, each with the open-file limit raised. */
  static start(count: number): FtpClientPool {
    const clients: FtpLoadClient[] = [];
    for (let i = 0; i < count; i++) {
      const child = spawnTracked(process.execPath, [CLIENT_ENTRY], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      clients.push(new FtpLoadClient(child));
    }
    return new FtpClientPool(clients);
  }

  pids(): number[] {
    return this.clients.map((client) => client.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  get size(): number {
    return this.clients.length;
  }

  /** Runs one job per client, all at once; `jobFor(i)` makes client i's job (undefined: none). */
  async all(jobFor: (index: number) => FtpClientJob | undefined): Promise<CombinedResult> {
    const runs: Promise<FtpJobResult>[] = [];
    this.clients.forEach((client, index) => {
      const job = jobFor(index);
      if (job) runs.push(client.run(job));
    });
    return combine(await Promise.all(runs));
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => stopTracked(client.child, 2000)));
  }
}
