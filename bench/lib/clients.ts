/**
 * The load-client processes (bench/load-client.ts), started once per suite and reused for every
 * server, so that each server faces the same clients.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientJob, ClientReply } from './jobs.js';
import { spawnTracked, stopTracked } from './processes.js';

const CLIENT_ENTRY = fileURLToPath(new URL('../load-client.js', import.meta.url));

class LoadClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ClientReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`load client ${child.pid}: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`load client ${child.pid} exited (${signal ?? code}) during a job`));
      }
      this.pending.clear();
    });
  }

  run<T>(job: ClientJob): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, job }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}

export class ClientPool {
  private constructor(private readonly clients: readonly LoadClient[]) {}

  /** Forks `count` load clients, each with the open-file limit raised. */
  static start(count: number): ClientPool {
    const clients: LoadClient[] = [];
    for (let i = 0; i < count; i++) {
      const child = spawnTracked(process.execPath, [CLIENT_ENTRY], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'json',
      });
      clients.push(new LoadClient(child));
    }
    return new ClientPool(clients);
  }

  /** The client processes' pids, for CPU accounting. */
  pids(): number[] {
    return this.clients.map((client) => client.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  get size(): number {
    return this.clients.length;
  }

  /** Runs one job per client, all at once; `jobFor(i)` makes client i's job. */
  all<T>(jobFor: (index: number) => ClientJob | undefined): Promise<T[]> {
    const runs: Promise<T>[] = [];
    this.clients.forEach((client, index) => {
      const job = jobFor(index);
      if (job) runs.push(client.run<T>(job));
    });
    return Promise.all(runs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => stopTracked(client.child, 2000)));
  }
}
