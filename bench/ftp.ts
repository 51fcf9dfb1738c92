/**
 * The FTP suite (issue 3's benchmark): what pyftpdlib's ftpbench measures, for vsftpd, pyftpdlib
 * and classicd serving the same files on 127.0.0.1 to the same load-client processes, one server
 * at a time: STOR and RETR throughput of one client, the time for many clients to connect and log
 * in, to RETR a file each and to STOR one each, and the memory of idle logged-in sessions.
 */
import { FtpClientPool, type CombinedResult } from './lib/ftp-clients.js';
import {
  clearIncoming,
  makeFtpTree,
  packageVersion,
  startClassicdFtp,
  startPyftpdlib,
  startVsftpd,
  type FtpTree,
  type PassiveRange,
  type RunningFtpServer,
} from './lib/ftp-servers.js';
import {
  CpuMeter,
  settledMemory,
  settledProcessCount,
  flushDirtyPages,
  waitForQuietMachine,
  type CpuShares,
  type MemoryUse,
} from './lib/processes.js';
import type { Suite, SuiteOptions, SuiteReport } from './lib/suite.js';
import { formatNumber, markdownTable, textTable, type Table } from './lib/table.js';

const MiB = 2 ** 20;
/** Throughput in MB/s of 10^6 bytes, as ftpbench and the small suite report it. */
const MB = 1e6;

interface Sizes {
  /** Each measure runs this many times; the best round counts. */
  readonly rounds: number;
  /** The file one client RETRs and STORs. */
  readonly singleBytes: number;
  /** The file each of the many clients RETRs, and the size each STORs. */
  readonly eachBytes: number;
  /** The many clients, split over the load-client processes. */
  readonly clients: number;
  readonly loadProcesses: number;
  readonly idleSessions: number;
  readonly idleWarmupSessions: number;
  /** Idle sessions already held when the measure starts (see measureIdle). */
  readonly idleBaseSessions: number;
}

const FULL: Sizes = {
  rounds: 3,
  singleBytes: 512 * MiB,
  eachBytes: 10 * MiB,
  clients: 300,
  loadProcesses: 2,
  idleSessions: 2000,
  idleWarmupSessions: 50,
  idleBaseSessions: 1000,
};

const QUICK: Sizes = {
  ...FULL,
  rounds: 1,
  singleBytes: 64 * MiB,
  eachBytes: 1 * MiB,
  clients: 50,
  idleSessions: 100,
  idleWarmupSessions: 10,
  idleBaseSessions: 50,
};

/** Per session. */
const LOGIN_TIMEOUT_MS = 60_000;
/**
 * Logins in flight per load-client process for the many-clients row: one, as ftpbench connects
 * its clients one after another (each client process runs its own sequence, so the server sees
 * as many at once as there are load-client processes).
 */
const LOGIN_PARALLEL = 1;
/**
 * For the idle-memory logins, a few more, to fill the server faster; together they stay under
 * vsftpd's listen backlog of 32, past which a SYN is dropped and retried a second or more later.
 */
const IDLE_LOGIN_PARALLEL = 8;
const TRANSFER_TIMEOUT_MS = 300_000;
const QUIT_TIMEOUT_MS = 60_000;
/** Before each round, wait up to this long for a second with the machine under this busy (% of one core). */
const QUIET_BUSY_PERCENT = 15;
const QUIET_MAX_WAIT_MS = 30_000;

type MeasureKey = 'stor1' | 'retr1' | 'login' | 'retrN' | 'storN' | 'idleRss' | 'idlePss';

interface MeasureSpec {
  readonly key: MeasureKey;
  readonly label: (sizes: Sizes) => string;
  readonly unit: string;
  readonly higherIsBetter: boolean;
  readonly digits: number;
}

const MEASURES: readonly MeasureSpec[] = [
  {
    key: 'stor1',
    label: (s) => `STOR, 1 client, ${formatBytes(s.singleBytes)} file`,
    unit: 'MB/s',
    higherIsBetter: true,
    digits: 0,
  },
  {
    key: 'retr1',
    label: (s) => `RETR, 1 client, ${formatBytes(s.singleBytes)} file`,
    unit: 'MB/s',
    higherIsBetter: true,
    digits: 0,
  },
  {
    key: 'login',
    label: (s) => `${s.clients} clients connect and log in`,
    unit: 's',
    higherIsBetter: false,
    digits: 3,
  },
  {
    key: 'retrN',
    label: (s) => `${s.clients} clients RETR ${formatBytes(s.eachBytes)} each`,
    unit: 's',
    higherIsBetter: false,
    digits: 3,
  },
  {
    key: 'storN',
    label: (s) => `${s.clients} clients STOR ${formatBytes(s.eachBytes)} each`,
    unit: 's',
    higherIsBetter: false,
    digits: 3,
  },
  {
    key: 'idleRss',
    label: (s) =>
      `Idle logged-in session, RSS (${formatNumber(s.idleSessions)} more after ${formatNumber(s.idleBaseSessions)})`,
    unit: 'bytes',
    higherIsBetter: false,
    digits: 0,
  },
  {
    key: 'idlePss',
    label: (s) =>
      `Idle logged-in session, PSS (${formatNumber(s.idleSessions)} more after ${formatNumber(s.idleBaseSessions)})`,
    unit: 'bytes',
    higherIsBetter: false,
    digits: 0,
  },
];

type Phase = 'idle' | 'one' | 'many';

interface Target {
  readonly key: string;
  readonly label: string;
  readonly classicd: boolean;
  readonly passive: PassiveRange;
  /** What to measure; all when absent. */
  readonly phases?: readonly Phase[];
  start(tree: FtpTree, passive: PassiveRange): Promise<RunningFtpServer>;
}

// Passive ranges below Linux's ephemeral ports (32768-60999), so no client's source port holds one,
// and apart from each other, so one server's TIME_WAIT sockets never meet the next server.
const TARGETS: readonly Target[] = [
  {
    key: 'vsftpd',
    label: 'vsftpd',
    classicd: false,
    passive: { low: 23000, high: 23999 },
    start: (tree, passive) => startVsftpd(tree, passive, { isolate: false }),
  },
  {
    key: 'pyftpdlib',
    label: 'pyftpdlib',
    classicd: false,
    passive: { low: 24000, high: 24999 },
    start: startPyftpdlib,
  },
  {
    key: 'classicd-handoff',
    label: 'classicd handoff',
    classicd: true,
    passive: { low: 25000, high: 25999 },
    start: (tree, passive) => startClassicdFtp(tree, passive, { dispatch: 'handoff', workers: 2 }),
  },
  {
    key: 'classicd-brokered',
    label: 'classicd brokered',
    classicd: true,
    passive: { low: 28000, high: 28999 },
    start: (tree, passive) => startClassicdFtp(tree, passive, { dispatch: 'brokered', workers: 2 }),
  },
  {
    key: 'classicd-shared',
    label: 'classicd shared',
    classicd: true,
    passive: { low: 26000, high: 26999 },
    start: (tree, passive) => startClassicdFtp(tree, passive, { dispatch: 'shared', workers: 2 }),
  },
  // vsftpd as shipped: a new network namespace per session. Last, because the kernel goes on
  // tearing namespaces down after it stops, which would disturb whatever ran next.
  {
    key: 'vsftpd-isolated',
    label: 'vsftpd, isolate_network=YES (its default)',
    classicd: false,
    passive: { low: 27000, high: 27999 },
    phases: ['many'],
    start: (tree, passive) => startVsftpd(tree, passive, { isolate: true }),
  },
];

/** One measured round. */
interface Sample {
  readonly value: number;
  readonly run: CombinedResult;
  readonly cpu: CpuShares;
}

interface IdleFigures {
  /** Sessions held before the measure (before), and the further ones it counts (after). */
  readonly baseSessions: number;
  readonly sessions: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly before: MemoryUse;
  readonly after: MemoryUse;
}

interface TargetResult {
  readonly target: Target;
  readonly samples: Partial<Record<MeasureKey, Sample[]>>;
  idle?: IdleFigures;
  readonly failures: string[];
  readonly noisy: string[];
  notes: string[];
  /** Time spent before this target's rounds writing out what earlier rounds left in memory. */
  flushedMs: number;
}

export const ftpSuite: Suite = {
  name: 'ftp',
  title: 'FTP: vsftpd, pyftpdlib and classicd (ftpbench measures)',
  description:
    'vsftpd, pyftpdlib and classicd: 1-client STOR/RETR MB/s, 300 clients login/RETR/STOR times, idle-session memory',
  targetKeys: TARGETS.map((target) => target.key),
  async run(options: SuiteOptions): Promise<SuiteReport> {
    const sizes = options.quick ? QUICK : FULL;
    const targets = TARGETS.filter((target) => options.targets.length === 0 || options.targets.includes(target.key));
    options.progress(
      `writing the served files (${formatBytes(sizes.singleBytes)} and ${formatBytes(sizes.eachBytes)})`,
    );
    const tree = makeFtpTree(sizes.singleBytes, sizes.eachBytes);
    const clients = FtpClientPool.start(sizes.loadProcesses);
    const results: TargetResult[] = [];
    try {
      for (const target of targets) results.push(await runTarget(target, tree, clients, sizes, options.progress));
    } finally {
      await clients.stop();
      tree.remove();
    }
    return report(results, sizes, options);
  },
};

async function runTarget(
  target: Target,
  tree: FtpTree,
  clients: FtpClientPool,
  sizes: Sizes,
  progress: (line: string) => void,
): Promise<TargetResult> {
  const result: TargetResult = { target, samples: {}, failures: [], noisy: [], notes: [], flushedMs: 0 };
  progress(`${target.label}: starting`);
  clearIncoming(tree);
  let server: RunningFtpServer;
  try {
    server = await target.start(tree, target.passive);
  } catch (error) {
    result.failures.push(`start: ${(error as Error).message}`);
    progress(`${target.label}: could not start: ${(error as Error).message}`);
    return result;
  }
  const step = async (what: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      result.failures.push(`${what}: ${(error as Error).message}`);
      progress(`${target.label}: ${what} failed: ${(error as Error).message}`);
      await clients.all(() => ({ kind: 'release' })).catch(() => undefined);
    } finally {
      clearIncoming(tree);
    }
  };
  try {
    progress(`${target.label}: ${server.pids().length} process(es), control port :${server.port}`);
    const phases = target.phases ?? ['idle', 'one', 'many'];
    if (phases.includes('idle')) {
      await step('idle', async () => {
        await quiet(result, 'idle', progress);
        result.idle = await measureIdle(server, clients, sizes);
        progress(`${target.label}: idle: ${describeIdle(result.idle)}`);
      });
    }
    for (let round = 0; phases.includes('one') && round < sizes.rounds; round++) {
      await step(`one client, round ${round + 1}`, () => oneClientRound(result, server, tree, clients, progress));
    }
    for (let round = 0; phases.includes('many') && round < sizes.rounds; round++) {
      await step(`${sizes.clients} clients, round ${round + 1}`, () =>
        manyClientsRound(result, server, tree, clients, sizes, progress),
      );
    }
  } finally {
    result.notes = server.notes();
    try {
      await server.stop();
    } catch (error) {
      result.failures.push(`stop: ${(error as Error).message}`);
    }
  }
  return result;
}

/**
 * Flushes the page cache's dirty pages, so that no round pays for write-back pending from before
 * it, then waits for the machine to be quiet; notes it when it never was.
 */
async function quiet(result: TargetResult, what: string, progress: (line: string) => void): Promise<void> {
  result.flushedMs += await flushDirtyPages();
  const busy = await waitForQuietMachine(QUIET_BUSY_PERCENT, QUIET_MAX_WAIT_MS);
  if (busy < QUIET_BUSY_PERCENT) return;
  result.noisy.push(`${what} (machine ${formatNumber(busy)}% busy before it)`);
  progress(
    `${result.target.label}: the machine is still ${formatNumber(busy)}% busy with other work; measuring anyway`,
  );
}

function record(result: TargetResult, key: MeasureKey, sample: Sample): void {
  (result.samples[key] ??= []).push(sample);
}

/** Runs one job set under a CPU meter. */
async function metered(
  server: RunningFtpServer,
  clients: FtpClientPool,
  body: () => Promise<CombinedResult>,
): Promise<{ run: CombinedResult; cpu: CpuShares }> {
  const meter = new CpuMeter(() => server.pids(), clients.pids());
  const run = await body();
  return { run, cpu: meter.read() };
}

function expectAll(what: string, run: CombinedResult, count: number): void {
  if (run.ok === count && run.errors === 0) return;
  throw new Error(`${what}: ${run.ok} of ${count} succeeded${codes(run.errorCodes)}`);
}

/** One client: log in, RETR the big file, STOR it back, QUIT. Each transfer is its own sample. */
async function oneClientRound(
  result: TargetResult,
  server: RunningFtpServer,
  tree: FtpTree,
  clients: FtpClientPool,
  progress: (line: string) => void,
): Promise<void> {
  const first = (job: Parameters<FtpClientPool['all']>[0]): Promise<CombinedResult> =>
    clients.all((index) => (index === 0 ? job(index) : undefined));
  expectAll(
    'login',
    await first(() => ({ kind: 'login', port: server.port, count: 1, parallel: 1, timeoutMs: LOGIN_TIMEOUT_MS })),
    1,
  );
  const file = tree.files.single;
  await quiet(result, 'RETR, 1 client', progress);
  const retr = await metered(server, clients, () =>
    first(() => ({ kind: 'retr', path: file.path, expectBytes: file.bytes, timeoutMs: TRANSFER_TIMEOUT_MS })),
  );
  expectAll('RETR', retr.run, 1);
  record(result, 'retr1', { value: retr.run.bytes / MB / (retr.run.ms / 1000), ...retr });
  await quiet(result, 'STOR, 1 client', progress);
  const stor = await metered(server, clients, () =>
    first(() => ({
      kind: 'stor',
      dir: '/incoming',
      prefix: 'single',
      bytes: file.bytes,
      timeoutMs: TRANSFER_TIMEOUT_MS,
    })),
  );
  expectAll('STOR', stor.run, 1);
  record(result, 'stor1', { value: stor.run.bytes / MB / (stor.run.ms / 1000), ...stor });
  await first(() => ({ kind: 'quit', timeoutMs: QUIT_TIMEOUT_MS }));
  progress(
    `${result.target.label}: 1 client: RETR ${formatNumber(retr.run.bytes / MB / (retr.run.ms / 1000))} MB/s, ` +
      `STOR ${formatNumber(stor.run.bytes / MB / (stor.run.ms / 1000))} MB/s`,
  );
}

/** Splits `total` across `parts` as evenly as whole numbers allow. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/**
 * The many clients: all connect and log in at once (timed), then all RETR at once (timed), then
 * all STOR at once (timed), then QUIT. Each phase starts only when the one before has finished.
 */
async function manyClientsRound(
  result: TargetResult,
  server: RunningFtpServer,
  tree: FtpTree,
  clients: FtpClientPool,
  sizes: Sizes,
  progress: (line: string) => void,
): Promise<void> {
  const count = sizes.clients;
  await quiet(result, `${count} clients`, progress);
  const login = await metered(server, clients, () =>
    clients.all((index) => ({
      kind: 'login',
      port: server.port,
      count: share(count, clients.size, index),
      parallel: LOGIN_PARALLEL,
      timeoutMs: LOGIN_TIMEOUT_MS,
    })),
  );
  expectAll('login', login.run, count);
  record(result, 'login', { value: login.run.ms / 1000, ...login });
  const file = tree.files.each;
  const retr = await metered(server, clients, () =>
    clients.all(() => ({ kind: 'retr', path: file.path, expectBytes: file.bytes, timeoutMs: TRANSFER_TIMEOUT_MS })),
  );
  expectAll('RETR', retr.run, count);
  record(result, 'retrN', { value: retr.run.ms / 1000, ...retr });
  const stor = await metered(server, clients, () =>
    clients.all((index) => ({
      kind: 'stor',
      dir: '/incoming',
      prefix: `many${index}`,
      bytes: file.bytes,
      timeoutMs: TRANSFER_TIMEOUT_MS,
    })),
  );
  expectAll('STOR', stor.run, count);
  record(result, 'storN', { value: stor.run.ms / 1000, ...stor });
  const quit = await clients.all(() => ({ kind: 'quit', timeoutMs: QUIT_TIMEOUT_MS }));
  if (quit.errors > 0)
    result.notes.push(`QUIT: ${quit.errors} sessions did not close cleanly${codes(quit.errorCodes)}`);
  progress(
    `${result.target.label}: ${count} clients: login ${formatNumber(login.run.ms / 1000, 3)} s, ` +
      `RETR ${formatNumber(retr.run.ms / 1000, 3)} s, STOR ${formatNumber(stor.run.ms / 1000, 3)} s`,
  );
}

/**
 * What one more idle logged-in anonymous session costs: the summed RSS (and PSS) of the server's
 * processes with `idleBaseSessions` held, then with `idleSessions` more, the difference divided by
 * the latter. A short warm-up (logged in, then out) comes first so first-use costs are in the
 * baseline.
 *
 * Why a base of held sessions and not an empty server: a garbage-collected server touches memory
 * once that it then keeps and reuses, whatever the number of sessions (V8's young generation, a
 * few MiB a worker, is resident only once enough has been allocated). Counted from an almost idle
 * start, that one-off cost was spread over the sessions and moved the figure by 1-2 KB a session
 * from run to run. Held sessions (not ones logged out again) make the base, so no session's memory
 * can be reused by the ones measured.
 */
async function measureIdle(server: RunningFtpServer, clients: FtpClientPool, sizes: Sizes): Promise<IdleFigures> {
  const login = (count: number): Promise<CombinedResult> =>
    clients.all((index) => ({
      kind: 'login',
      port: server.port,
      count: share(count, clients.size, index),
      parallel: IDLE_LOGIN_PARALLEL,
      timeoutMs: LOGIN_TIMEOUT_MS,
    }));
  await login(sizes.idleWarmupSessions);
  await clients.all(() => ({ kind: 'quit', timeoutMs: QUIT_TIMEOUT_MS }));
  await settledProcessCount(server, 40);
  const base = await login(sizes.idleBaseSessions);
  await settledProcessCount(server, 40);
  const before = await settledMemory(server);
  const held = await login(sizes.idleSessions);
  const after = await settledMemory(server);
  await clients.all(() => ({ kind: 'quit', timeoutMs: QUIT_TIMEOUT_MS }));
  await settledProcessCount(server, 40);
  const errorCodes = { ...base.errorCodes };
  for (const [code, count] of Object.entries(held.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
  if (held.ok === 0 || base.ok === 0) throw new Error(`no session could log in${codes(errorCodes)}`);
  return {
    baseSessions: base.ok,
    sessions: held.ok,
    errors: base.errors + held.errors,
    errorCodes,
    before,
    after,
  };
}

function idleFigure(idle: IdleFigures | undefined, kind: 'rss' | 'pss'): number | undefined {
  if (!idle) return undefined;
  const delta =
    kind === 'rss' ? idle.after.rssBytes - idle.before.rssBytes : idle.after.pssBytes - idle.before.pssBytes;
  return delta / idle.sessions;
}

function describeIdle(idle: IdleFigures): string {
  return (
    `${formatNumber(idleFigure(idle, 'rss') ?? 0)} bytes RSS, ${formatNumber(idleFigure(idle, 'pss') ?? 0)} bytes PSS ` +
    `per session (${idle.baseSessions} + ${idle.sessions} sessions, ${idle.before.processes} -> ${idle.after.processes} processes)`
  );
}

/** The figure a target shows for a measure: the best round, or the idle figures. */
function figure(result: TargetResult | undefined, spec: MeasureSpec): number | undefined {
  if (!result) return undefined;
  if (spec.key === 'idleRss') return idleFigure(result.idle, 'rss');
  if (spec.key === 'idlePss') return idleFigure(result.idle, 'pss');
  const samples = result.samples[spec.key];
  if (!samples || samples.length === 0) return undefined;
  const values = samples.map((sample) => sample.value);
  return spec.higherIsBetter ? Math.max(...values) : Math.min(...values);
}

function bestSample(result: TargetResult, spec: MeasureSpec): Sample | undefined {
  const samples = result.samples[spec.key];
  if (!samples || samples.length === 0) return undefined;
  return samples.reduce((a, b) => ((spec.higherIsBetter ? b.value > a.value : b.value < a.value) ? b : a));
}

/** How classicd compares with the best peer, as "better is above 1": 1.25x means 25% better. */
function advantage(value: number | undefined, best: number | undefined, spec: MeasureSpec): number | undefined {
  if (value === undefined || best === undefined || value <= 0 || best <= 0) return undefined;
  return spec.higherIsBetter ? value / best : best / value;
}

function formatAdvantage(ratio: number | undefined): string {
  if (ratio === undefined) return '-';
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return `${formatNumber(bytes)} bytes`;
}

function formatFigure(value: number | undefined, spec: MeasureSpec): string {
  return value === undefined ? '-' : formatNumber(value, spec.digits);
}

function bestPeer(results: readonly TargetResult[], spec: MeasureSpec): { value: number; label: string } | undefined {
  let best: { value: number; label: string } | undefined;
  for (const result of results.filter((r) => !r.target.classicd)) {
    const value = figure(result, spec);
    if (value === undefined || value <= 0) continue;
    if (!best || (spec.higherIsBetter ? value > best.value : value < best.value))
      best = { value, label: result.target.label };
  }
  return best;
}

function buildTable(results: readonly TargetResult[], sizes: Sizes): Table {
  const classicd = results.filter((result) => result.target.classicd);
  const header = [
    'Measure',
    'Unit',
    ...results.map((result) => result.target.label),
    ...classicd.map((result) => `${result.target.label} vs best peer`),
  ];
  const rows = MEASURES.map((spec) => {
    const best = bestPeer(results, spec);
    return [
      spec.label(sizes),
      `${spec.unit} (${spec.higherIsBetter ? 'higher' : 'lower'} is better)`,
      ...results.map((result) => formatFigure(figure(result, spec), spec)),
      ...classicd.map((result) => formatAdvantage(advantage(figure(result, spec), best?.value, spec))),
    ];
  });
  return {
    header,
    align: ['left', 'left', ...header.slice(2).map(() => 'right' as const)],
    rows,
  };
}

/** The issue's goal, per classicd target and measure: at least as good as the best peer. */
function goals(results: readonly TargetResult[], sizes: Sizes): string[] {
  const lines: string[] = [];
  for (const result of results.filter((r) => r.target.classicd)) {
    const parts: string[] = [];
    for (const spec of MEASURES) {
      const best = bestPeer(results, spec);
      const ratio = advantage(figure(result, spec), best?.value, spec);
      if (ratio === undefined || !best) continue;
      parts.push(`${spec.label(sizes)}: ${ratio >= 1 ? 'met' : 'MISSED'} (${formatAdvantage(ratio)} of ${best.label})`);
    }
    if (parts.length > 0) lines.push(`${result.target.label}: ${parts.join('; ')}`);
  }
  return lines;
}

function cpuText(cpu: CpuShares): string {
  return `server ${formatNumber(cpu.server)}%, load clients ${formatNumber(cpu.clients)}%, other ${formatNumber(cpu.others)}%`;
}

function codes(errorCodes: Record<string, number>): string {
  const entries = Object.entries(errorCodes);
  return entries.length === 0 ? '' : ` (${entries.map(([code, count]) => `${code} ${count}`).join(', ')})`;
}

function details(results: readonly TargetResult[], sizes: Sizes): string[] {
  const lines: string[] = [];
  for (const result of results) {
    for (const spec of MEASURES) {
      const samples = result.samples[spec.key];
      const best = bestSample(result, spec);
      if (!samples || !best) continue;
      lines.push(
        `${result.target.label}: ${spec.label(sizes)}: rounds ${samples.map((s) => formatNumber(s.value, spec.digits)).join(', ')} ${spec.unit}; ` +
          `best round CPU ${cpuText(best.cpu)}`,
      );
    }
    const idle = result.idle;
    if (idle) {
      lines.push(
        `${result.target.label}: idle: ${formatNumber(idle.baseSessions)} + ${formatNumber(idle.sessions)} sessions logged in` +
          `${idle.errors ? `, ${idle.errors} failed${codes(idle.errorCodes)}` : ''}; ` +
          `RSS ${formatNumber(idle.before.rssBytes / MiB, 1)} -> ${formatNumber(idle.after.rssBytes / MiB, 1)} MiB, ` +
          `PSS ${formatNumber(idle.before.pssBytes / MiB, 1)} -> ${formatNumber(idle.after.pssBytes / MiB, 1)} MiB ` +
          `over ${idle.before.processes} -> ${idle.after.processes} processes`,
      );
    }
    for (const note of result.notes) lines.push(`${result.target.label}: ${note}`);
    lines.push(
      `${result.target.label}: sync before its rounds: ${formatNumber(result.flushedMs / 1000, 1)} s in all ` +
        `(write-back pending from before them)`,
    );
    if (result.noisy.length > 0) {
      lines.push(
        `${result.target.label}: measured while other programs kept the machine busy: ${result.noisy.join(', ')}`,
      );
    }
  }
  return lines;
}

function setup(sizes: Sizes): string[] {
  return [
    `Servers: vsftpd ${packageVersion('vsftpd')} (Debian; standalone, its default process model: a privileged and an ` +
      `unprivileged process per session), pyftpdlib ${packageVersion('python3-pyftpdlib')} (Debian; FTPServer, one ` +
      `process, DummyAuthorizer), classicd (dist/, 2 workers, FTP only, TLS off, log level warn, no admission limits), ` +
      `one at a time, each from a generated config on 127.0.0.1 serving the same files to anonymous users with an ` +
      `upload directory, each with a passive range of 1,000 ports of its own below the ephemeral range.`,
    `Clients: ${sizes.loadProcesses} Node.js load-client processes (bench/ftp-load-client.ts) with a bare FTP client ` +
      `(bench/lib/ftp-session.ts): EPSV, TYPE I, RETR counted and discarded, STOR sent from a 1 MiB buffer in memory, ` +
      `so no client touches the disk. The many clients are split evenly over the processes.`,
    `1 client: one logged-in session RETRs a ${formatBytes(sizes.singleBytes)} file (random bytes, in the page cache ` +
      `after the first round), then STORs as much; timed from the EPSV to the 226 reply; MB = 10^6 bytes.`,
    `${sizes.clients} clients: they connect and log in as ftpbench's do, one after another in each load-client process ` +
      `(so ${sizes.loadProcesses} at a time; timed from the first connect to the last 230, ending with all ${sizes.clients} ` +
      `logged in); then all RETR a ${formatBytes(sizes.eachBytes)} file at once (timed from the first EPSV to the last ` +
      `226), then all STOR ${formatBytes(sizes.eachBytes)} each at once (likewise), then QUIT. A round counts only if ` +
      `every session succeeded.`,
    `Idle: after a ${sizes.idleWarmupSessions}-session warm-up (logged in, then out), ${formatNumber(sizes.idleBaseSessions)} ` +
      `anonymous sessions log in and stay; then ${formatNumber(sizes.idleSessions)} more log in ` +
      `(${IDLE_LOGIN_PARALLEL} at a time per load-client process) and sit idle. The summed RSS and PSS of every server ` +
      `process (vsftpd's per-session processes included) are sampled until steady before and after the ` +
      `${formatNumber(sizes.idleSessions)}, and the difference is divided by them: what one more idle session costs, ` +
      `without the memory a garbage-collected server touches once whatever its load (see measureIdle). RSS counts the ` +
      `pages vsftpd's session processes share once per process; PSS splits them among the sharers.`,
    `Every measure runs ${sizes.rounds} rounds and the best counts. Before each, the bench writes out the page ` +
      `cache's dirty pages (sync(1), not timed), so that no round pays for write-back pending from before it, ` +
      `then waits (up to ` +
      `${QUIET_MAX_WAIT_MS / 1000} s) for a second with the machine under ${QUIET_BUSY_PERCENT}% busy. CPU is % of one ` +
      `core over the best round; vsftpd's session processes that end within a round are counted under "other", not ` +
      `"server", as their time reaches the server's tree only when reaped. Servers and load clients share the machine's cores.`,
  ];
}

function report(results: readonly TargetResult[], sizes: Sizes, options: SuiteOptions): SuiteReport {
  const table = buildTable(results, sizes);
  const goalLines = goals(results, sizes);
  const failures = results.flatMap((result) => result.failures.map((failure) => `${result.target.label}: ${failure}`));
  const detailLines = details(results, sizes);
  const setupLines = setup(sizes);
  const text = [
    textTable(table),
    '',
    'Goals (issue 3: classicd at least as good as the best peer on every row; ratios above 1.00x are better):',
    ...goalLines.map((line) => `  ${line}`),
    ...(failures.length > 0 ? ['', 'Failures:', ...failures.map((line) => `  ${line}`)] : []),
    '',
    'Details:',
    ...detailLines.map((line) => `  ${line}`),
    '',
    'Setup:',
    ...setupLines.map((line) => `  ${line}`),
  ].join('\n');
  const markdown = [
    markdownTable(table),
    '',
    '"vs best peer" is classicd relative to the best peer on that row (pyftpdlib, or vsftpd in either configuration), oriented so that above ' +
      '1.00x means classicd is better (throughput divided by throughput; time and memory the other way round).',
    '',
    "**Goals** (issue 3: classicd's figure at least as good as the best of the two peers on every row):",
    '',
    ...goalLines.map((line) => `- ${line}`),
    ...(failures.length > 0 ? ['', '**Failures:**', '', ...failures.map((line) => `- ${line}`)] : []),
    '',
    '**Details:**',
    '',
    ...detailLines.map((line) => `- ${line}`),
    '',
    '**Setup:**',
    '',
    ...setupLines.map((line) => `- ${line}`),
    '',
    '**How to reproduce:** as root on Debian 12 (vsftpd chroots and drops privileges for each session), ' +
      '`apt-get install vsftpd python3-pyftpdlib` (the bench only; CI does not install them), then ' +
      '`npm run bench ftp` (about ten minutes; `npm run bench -- ftp --quick` tries the harness in one, ' +
      '`--only vsftpd,classicd-shared` picks targets). The bench writes every config it needs into temporary ' +
      'directories and stops every process it started; no system vsftpd need run.',
  ].join('\n');
  return { text, markdown, recordable: options.targets.length === 0 && !options.quick, failed: failures.length > 0 };
}
