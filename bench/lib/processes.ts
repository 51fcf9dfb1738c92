/**
 * Every process the bench starts goes through here, so that the bench can always stop what it
 * started: on success, on a thrown error, on Ctrl-C, and on a plain `process.exit`.
 *
 * Servers are started as leaders of their own process group (`detached`), so that one signal to
 * the group reaches what they fork in turn (xinetd's echo children, classicd's workers).
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const tracked = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

/**
 * Wraps a command so it runs with the open-file limit raised as far as this machine allows: the
 * memory test holds 10,000 connections in one process, and the soft limit is often 1024.
 */
export function withFdLimit(command: string, args: readonly string[]): [string, string[]] {
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  return ['sh', ['-c', script, command, ...args]];
}

/** Spawns a child with the raised fd limit and tracks it for cleanup. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  installCleanupHandlers();
  const [shell, shellArgs] = withFdLimit(command, args);
  const child = spawn(shell, shellArgs, options);
  tracked.add(child);
  child.once('exit', () => {
    if (!options.detached) tracked.delete(child);
  });
  return child;
}

/** A fresh temporary directory, removed by `removeTempDir` or, at the latest, when the bench exits. */
export function makeTempDir(prefix: string): string {
  installCleanupHandlers();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** SIGKILL to the child's process group (when it leads one) and to the child itself. */
export function killHard(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // not a group leader, or the group is already gone
  }
  try {
    child.kill('SIGKILL');
  } catch {
    // already gone
  }
}

/** Resolves when the child has exited, or after `timeoutMs` with false. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Asks the child to stop with SIGTERM (the leader only: classicd's primary orchestrates its own
 * workers), waits up to `graceMs`, then kills whatever is left of its process group.
 */
export async function stopTracked(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await waitForExit(child, graceMs);
  }
  killHard(child);
  await waitForExit(child, 2000);
  tracked.delete(child);
}

function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Synchronous, so it also runs on process.exit() and after an uncaught exception.
  process.on('exit', () => {
    for (const child of tracked) killHard(child);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping every process it started\n`);
      process.exit(130);
    });
  }
}

/** `pid` and every process below it, read from /proc. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export interface MemoryUse {
  readonly processes: number;
  /** Resident set size summed over the processes, bytes: counts shared pages once per process. */
  readonly rssBytes: number;
  /** Proportional set size summed, bytes: shared pages split between the processes sharing them. */
  readonly pssBytes: number;
}

/** Summed RSS and PSS of the given processes (those that have exited meanwhile are skipped). */
export function memoryUse(pids: readonly number[]): MemoryUse {
  let processes = 0;
  let rssKiB = 0;
  let pssKiB = 0;
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    processes += 1;
    rssKiB += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
  }
  return { processes, rssBytes: rssKiB * 1024, pssBytes: pssKiB * 1024 };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A server under measurement, as far as memory and process counts go. */
export interface MeasuredProcesses {
  pids(): number[];
}

/**
 * Waits until the server's process count stops changing (xinetd's or vsftpd's session processes
 * going away), polling every 250 ms at most `rounds` times.
 */
export async function settledProcessCount(server: MeasuredProcesses, rounds: number): Promise<number> {
  let count = server.pids().length;
  for (let i = 0; i < rounds; i++) {
    await sleep(250);
    const now = server.pids().length;
    if (now === count) return now;
    count = now;
  }
  return count;
}

/** Samples until two readings half a second apart differ by under 0.5% (at most 6 s). */
export async function settledMemory(server: MeasuredProcesses): Promise<MemoryUse> {
  let last = memoryUse(server.pids());
  for (let i = 0; i < 12; i++) {
    await sleep(500);
    const now = memoryUse(server.pids());
    if (Math.abs(now.rssBytes - last.rssBytes) <= 0.005 * last.rssBytes) return now;
    last = now;
  }
  return last;
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux

/**
 * User plus system CPU time of the given processes so far, in ms, including their children that
 * have exited and been reaped (xinetd's echo children). Processes that are gone count as 0.
 */
export function cpuTimeMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 0 is state; then utime, stime, cutime, cstime are the 12th to 15th.
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Busy and total CPU time of the whole machine so far (all cores), in ms, from /proc/stat. */
export function machineCpuMs(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const toMs = 1000 / CLOCK_TICKS_PER_SECOND;
  return { busyMs: (total - idle) * toMs, totalMs: total * toMs };
}

/**
 * CPU the machine spent over a run, split into the server's, the load clients' and everyone
 * else's, each in % of one core (so 200% is both cores of a 2-core machine).
 */
export class CpuMeter {
  private readonly startedAt = performance.now();
  private readonly machine = machineCpuMs();
  private readonly server: number;
  private readonly clients: number;

  /** `serverPids` is asked again at the end, for processes the server forked meanwhile. */
  constructor(
    private readonly serverPids: () => readonly number[],
    private readonly clientPids: readonly number[],
  ) {
    this.server = cpuTimeMs(serverPids());
    this.clients = cpuTimeMs(clientPids);
  }

  read(): CpuShares {
    const elapsedMs = performance.now() - this.startedAt;
    const percent = (ms: number): number => (ms / elapsedMs) * 100;
    const server = percent(cpuTimeMs(this.serverPids()) - this.server);
    const clients = percent(cpuTimeMs(this.clientPids) - this.clients);
    const busy = percent(machineCpuMs().busyMs - this.machine.busyMs);
    return { server, clients, others: Math.max(0, busy - server - clients), elapsedMs };
  }
}

export interface CpuShares {
  readonly server: number;
  readonly clients: number;
  /** Everything else on the machine: other users' work skews the figures. */
  readonly others: number;
  readonly elapsedMs: number;
}

/**
 * Writes every dirty page of the page cache to disk (sync(1)) and resolves with the milliseconds
 * it took, so that a round starts with no write-back pending from before it: the files the bench
 * itself wrote, say. (The uploads of a round are deleted after it, which drops theirs.)
 */
export function flushDirtyPages(): Promise<number> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    execFile('sync', (error: Error | null) => (error ? reject(error) : resolve(performance.now() - startedAt)));
  });
}

/**
 * Waits (at most `maxWaitMs`) for a second in which the machine is busy for under `maxBusyPercent`
 * of one core, so one server's figures are not another program's. Resolves with the last reading.
 */
export async function waitForQuietMachine(maxBusyPercent: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const before = machineCpuMs();
    const startedAt = performance.now();
    await sleep(1000);
    const busy = ((machineCpuMs().busyMs - before.busyMs) / (performance.now() - startedAt)) * 100;
    if (busy < maxBusyPercent || Date.now() > deadline) return busy;
  }
}
