/**
 * The inetd small-services suite (issue 2's benchmark): daytime connection rate, echo throughput
 * and the memory of idle echo sessions, for xinetd's internal services, a bare one-process Node
 * server (the ceiling) and classicd in both dispatch modes, one after the other in one run.
 */
import { ClientPool } from './lib/clients.js';
import type { DaytimeResult, EchoResult, HoldResult, ReleaseResult } from './lib/jobs.js';
import {
  CpuMeter,
  pollUntil,
  settledMemory,
  settledProcessCount,
  waitForQuietMachine,
  type CpuShares,
  type MemoryUse,
} from './lib/processes.js';
import { startBareNode, startClassicd, startXinetd, xinetdVersion, type RunningServer } from './lib/servers.js';
import type { Suite, SuiteOptions, SuiteReport } from './lib/suite.js';
import { formatNumber, formatRatio, markdownTable, textTable, type Table } from './lib/table.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** Throughput is in MB/s of 10^6 bytes, as the issue's figures are. */
const MB = 1e6;

interface Sizes {
  /** Daytime and echo run this many times each; the best round counts. */
  readonly rounds: number;
  readonly clients: number;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly echoBytes: number;
  readonly echoChunkBytes: number;
  readonly idleSessions: number;
  readonly idleParallelPerClient: number;
  readonly idleWarmupSessions: number;
}

const FULL: Sizes = {
  rounds: 3,
  clients: 2,
  concurrency: 50,
  warmupMs: 1000,
  durationMs: 4000,
  echoBytes: GiB,
  echoChunkBytes: 64 * 1024,
  idleSessions: 10_000,
  idleParallelPerClient: 50,
  idleWarmupSessions: 200,
};

const QUICK: Sizes = {
  ...FULL,
  rounds: 1,
  warmupMs: 300,
  durationMs: 1000,
  echoBytes: 64 * MiB,
  idleSessions: 1000,
  idleWarmupSessions: 50,
};

type Measure = 'daytime' | 'echo' | 'idle';

/** Before each measure, wait up to this long for a second with the machine under this busy (% of one core). */
const QUIET_BUSY_PERCENT = 15;
const QUIET_MAX_WAIT_MS = 30_000;
/** A round during which other programs used this much CPU (% of one core) is run again. */
const DISTURBED_PERCENT = 25;

interface Target {
  readonly key: string;
  readonly label: string;
  readonly classicd: boolean;
  readonly measures: readonly Measure[];
  start(): Promise<RunningServer>;
}

const ALL: readonly Measure[] = ['idle', 'daytime', 'echo'];

const TARGETS: readonly Target[] = [
  { key: 'xinetd', label: 'xinetd (internal)', classicd: false, measures: ALL, start: startXinetd },
  { key: 'bare', label: 'bare Node, 1 process', classicd: false, measures: ALL, start: startBareNode },
  {
    key: 'classicd-handoff',
    label: 'classicd handoff, log warn',
    classicd: true,
    measures: ALL,
    start: () => startClassicd({ dispatch: 'handoff', logLevel: 'warn', workers: 2 }),
  },
  {
    key: 'classicd-shared',
    label: 'classicd shared, log warn',
    classicd: true,
    measures: ALL,
    start: () => startClassicd({ dispatch: 'shared', logLevel: 'warn', workers: 2 }),
  },
  // Per-session log lines are a cost users pay by default; they matter for the connection rate only.
  {
    key: 'classicd-handoff-info',
    label: 'classicd handoff, log info',
    classicd: true,
    measures: ['daytime'],
    start: () => startClassicd({ dispatch: 'handoff', logLevel: 'info', workers: 2 }),
  },
  {
    key: 'classicd-shared-info',
    label: 'classicd shared, log info',
    classicd: true,
    measures: ['daytime'],
    start: () => startClassicd({ dispatch: 'shared', logLevel: 'info', workers: 2 }),
  },
];

interface DaytimeFigures {
  readonly perSecond: number;
  readonly completed: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly stuck: number;
  /** CPU over the run (warm-up, window and drain). */
  readonly cpu: CpuShares;
  /** The server's CPU time per session over the whole run: barely moved by other programs. */
  readonly cpuMicrosPerSession: number;
}

interface EchoFigures {
  readonly mbPerSecond: number;
  readonly bytes: number;
  readonly ms: number;
  readonly cpu: CpuShares;
}

interface IdleFigures {
  readonly sessions: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly before: MemoryUse;
  readonly after: MemoryUse;
  readonly rssPerSession: number;
  readonly pssPerSession: number;
  readonly openMs: number;
}

interface TargetResult {
  readonly target: Target;
  daytime?: DaytimeFigures;
  /** Every round, disturbed ones included. */
  daytimeRounds?: DaytimeFigures[];
  echo?: EchoFigures;
  echoRounds?: EchoFigures[];
  idle?: IdleFigures;
  readonly failures: string[];
  /** Measures started while other programs kept the machine busy. */
  readonly noisy: string[];
  notes: string[];
}

export const smallSuite: Suite = {
  name: 'small',
  title: 'inetd small services: daytime and echo',
  description:
    'xinetd, a bare Node server and classicd (handoff and shared dispatch): daytime connection rate, echo throughput, idle-session memory',
  targetKeys: TARGETS.map((target) => target.key),
  async run(options: SuiteOptions): Promise<SuiteReport> {
    const sizes = options.quick ? QUICK : FULL;
    const targets = TARGETS.filter((target) => options.targets.length === 0 || options.targets.includes(target.key));
    const clients = ClientPool.start(sizes.clients);
    const results: TargetResult[] = [];
    try {
      for (const target of targets) results.push(await runTarget(target, clients, sizes, options.progress));
    } finally {
      await clients.stop();
    }
    return report(results, sizes, options);
  },
};

async function runTarget(
  target: Target,
  clients: ClientPool,
  sizes: Sizes,
  progress: (line: string) => void,
): Promise<TargetResult> {
  const result: TargetResult = { target, failures: [], noisy: [], notes: [] };
  progress(`${target.label}: starting`);
  let server: RunningServer;
  try {
    server = await target.start();
  } catch (error) {
    result.failures.push(`start: ${(error as Error).message}`);
    progress(`${target.label}: could not start: ${(error as Error).message}`);
    return result;
  }
  try {
    progress(
      `${target.label}: ${server.pids().length} process(es), daytime :${server.daytimePort}, echo :${server.echoPort}`,
    );
    for (const measure of target.measures) {
      try {
        if (measure === 'idle') {
          await quiet(result, measure, progress);
          result.idle = await measureIdle(server, clients, sizes, progress);
        }
        if (measure === 'daytime') {
          const rounds = await measureRounds(result, measure, sizes, progress, () =>
            measureDaytime(server, clients, sizes),
          );
          result.daytime = best(rounds, (figures) => figures.perSecond);
          result.daytimeRounds = rounds;
        }
        if (measure === 'echo') {
          const rounds = await measureRounds(result, measure, sizes, progress, () =>
            measureEcho(server, clients, sizes),
          );
          result.echo = best(rounds, (figures) => figures.mbPerSecond);
          result.echoRounds = rounds;
        }
        progress(`${target.label}: ${measure}: ${describe(result, measure)}`);
      } catch (error) {
        result.failures.push(`${measure}: ${(error as Error).message}`);
        progress(`${target.label}: ${measure} failed: ${(error as Error).message}`);
      }
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

/** Waits for the machine to be quiet; notes it when it never was. */
async function quiet(result: TargetResult, measure: Measure, progress: (line: string) => void): Promise<void> {
  const busy = await waitForQuietMachine(QUIET_BUSY_PERCENT, QUIET_MAX_WAIT_MS);
  if (busy < QUIET_BUSY_PERCENT) return;
  result.noisy.push(`${measure} (machine ${formatNumber(busy)}% busy before it)`);
  progress(
    `${result.target.label}: the machine is still ${formatNumber(busy)}% busy with other work; measuring anyway`,
  );
}

/**
 * Runs rounds until `sizes.rounds` of them were undisturbed (other programs used under
 * DISTURBED_PERCENT of one core), or `sizes.rounds * 3` were tried.
 */
async function measureRounds<T extends { readonly cpu: CpuShares }>(
  result: TargetResult,
  measure: Measure,
  sizes: Sizes,
  progress: (line: string) => void,
  once: () => Promise<T>,
): Promise<T[]> {
  const rounds: T[] = [];
  for (let attempt = 0; attempt < sizes.rounds * 3 && rounds.filter(undisturbed).length < sizes.rounds; attempt++) {
    await quiet(result, measure, progress);
    const round = await once();
    rounds.push(round);
    if (!undisturbed(round)) {
      progress(
        `${result.target.label}: ${measure}: other programs used ${formatNumber(round.cpu.others)}% CPU; round not counted`,
      );
    }
  }
  return rounds;
}

function undisturbed(round: { readonly cpu: CpuShares }): boolean {
  return round.cpu.others < DISTURBED_PERCENT;
}

/**
 * The best undisturbed round (or, when every round was disturbed, the best of them): the server's
 * capability, least affected by the rest of the machine.
 */
function best<T extends { readonly cpu: CpuShares }>(rounds: readonly T[], figure: (round: T) => number): T {
  const clean = rounds.filter(undisturbed);
  return (clean.length > 0 ? clean : rounds).reduce((a, b) => (figure(b) > figure(a) ? b : a));
}

/** Splits `total` across `parts` as evenly as whole numbers allow. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

async function measureDaytime(server: RunningServer, clients: ClientPool, sizes: Sizes): Promise<DaytimeFigures> {
  const meter = new CpuMeter(() => server.pids(), clients.pids());
  const runs = await clients.all<DaytimeResult>((index) => ({
    kind: 'daytime',
    port: server.daytimePort,
    concurrency: share(sizes.concurrency, clients.size, index),
    warmupMs: sizes.warmupMs,
    durationMs: sizes.durationMs,
    drainMs: 5000,
  }));
  const cpu = meter.read();
  const errorCodes: Record<string, number> = {};
  for (const run of runs) {
    for (const [code, count] of Object.entries(run.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
  }
  const completed = runs.reduce((sum, run) => sum + run.completed, 0);
  const sessions = runs.reduce((sum, run) => sum + run.sessions, 0);
  return {
    perSecond: completed / (sizes.durationMs / 1000),
    completed,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    errorCodes,
    stuck: runs.reduce((sum, run) => sum + run.stuck, 0),
    cpu,
    cpuMicrosPerSession: sessions > 0 ? (cpu.server * cpu.elapsedMs * 10) / sessions : 0,
  };
}

async function measureEcho(server: RunningServer, clients: ClientPool, sizes: Sizes): Promise<EchoFigures> {
  const meter = new CpuMeter(() => server.pids(), clients.pids());
  const [run] = await clients.all<EchoResult>((index) =>
    index === 0
      ? {
          kind: 'echo',
          port: server.echoPort,
          totalBytes: sizes.echoBytes,
          chunkBytes: sizes.echoChunkBytes,
          timeoutMs: 120_000,
        }
      : undefined,
  );
  const { bytes, ms } = run as EchoResult;
  return { mbPerSecond: bytes / MB / (ms / 1000), bytes, ms, cpu: meter.read() };
}

/**
 * RSS (and PSS) of the server's processes before and after `idleSessions` echo sessions are open
 * and each has answered one byte, divided by the sessions. A short warm-up round first, so the
 * first sessions' code paths and pools are already in the baseline.
 */
async function measureIdle(
  server: RunningServer,
  clients: ClientPool,
  sizes: Sizes,
  progress: (line: string) => void,
): Promise<IdleFigures> {
  const hold = (count: number): Promise<HoldResult[]> =>
    clients.all<HoldResult>((index) => ({
      kind: 'hold',
      port: server.echoPort,
      count: share(count, clients.size, index),
      parallel: sizes.idleParallelPerClient,
      timeoutMs: 120_000,
    }));
  const release = (): Promise<ReleaseResult[]> =>
    clients.all<ReleaseResult>(() => ({ kind: 'release', timeoutMs: 30_000 }));

  await hold(sizes.idleWarmupSessions);
  await release();
  const baselineProcesses = await settledProcessCount(server, 20);
  const before = await settledMemory(server);
  const holds = await hold(sizes.idleSessions);
  const sessions = holds.reduce((sum, run) => sum + run.established, 0);
  const errorCodes: Record<string, number> = {};
  for (const run of holds) {
    for (const [code, count] of Object.entries(run.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + count;
  }
  const openMs = Math.max(...holds.map((run) => run.ms));
  progress(`  ${sessions} sessions open after ${formatNumber(openMs)} ms; measuring memory`);
  const after = await settledMemory(server);
  await release();
  // xinetd's forked echo children take a moment to go; later measures should not pay for that.
  await pollUntil(
    'the server to reap its sessions',
    async () => (server.pids().length <= baselineProcesses ? true : undefined),
    30_000,
    200,
  ).catch(() => undefined);
  if (sessions === 0) throw new Error(`no session could be opened: ${JSON.stringify(errorCodes)}`);
  return {
    sessions,
    errors: holds.reduce((sum, run) => sum + run.errors, 0),
    errorCodes,
    before,
    after,
    rssPerSession: (after.rssBytes - before.rssBytes) / sessions,
    pssPerSession: (after.pssBytes - before.pssBytes) / sessions,
    openMs,
  };
}

function describe(result: TargetResult, measure: Measure): string {
  switch (measure) {
    case 'daytime': {
      const d = result.daytime;
      return d
        ? `${formatNumber(d.perSecond)} sessions/s, ${d.errors} errors${codes(d.errorCodes)}, ` +
            `${formatNumber(d.cpuMicrosPerSession)} µs server CPU/session; ` +
            `CPU ${cpuText(d.cpu)}`
        : '-';
    }
    case 'echo': {
      const e = result.echo;
      return e
        ? `${formatNumber(e.mbPerSecond)} MB/s (${formatNumber(e.bytes)} bytes in ${formatNumber(e.ms)} ms); CPU ${cpuText(e.cpu)}`
        : '-';
    }
    case 'idle': {
      const i = result.idle;
      return i
        ? `${formatNumber(i.rssPerSession)} bytes RSS, ${formatNumber(i.pssPerSession)} bytes PSS per session ` +
            `(${i.sessions} sessions, ${i.before.processes} -> ${i.after.processes} processes)`
        : '-';
    }
  }
}

/** "12,345, 9,876*": every round's figure, a star on the disturbed ones. */
function roundsText<T extends { readonly cpu: CpuShares }>(
  rounds: readonly T[] | undefined,
  figure: (round: T) => number,
): string {
  return (rounds ?? []).map((round) => `${formatNumber(figure(round))}${undisturbed(round) ? '' : '*'}`).join(', ');
}

function cpuText(cpu: CpuShares): string {
  return `server ${formatNumber(cpu.server)}%, load clients ${formatNumber(cpu.clients)}%, other programs ${formatNumber(cpu.others)}%`;
}

function codes(errorCodes: Record<string, number>): string {
  const entries = Object.entries(errorCodes);
  return entries.length === 0 ? '' : ` (${entries.map(([code, count]) => `${code} ${count}`).join(', ')})`;
}

function buildTable(results: readonly TargetResult[]): Table {
  const find = (key: string): TargetResult | undefined => results.find((result) => result.target.key === key);
  const xinetd = find('xinetd');
  const bare = find('bare');
  const rows = results.map((result) => {
    const d = result.daytime;
    const e = result.echo;
    const i = result.idle;
    return [
      result.target.label,
      d ? formatNumber(d.perSecond) : '-',
      formatRatio(d?.perSecond, xinetd?.daytime?.perSecond),
      formatRatio(d?.perSecond, bare?.daytime?.perSecond),
      d ? formatNumber(d.errors) : '-',
      d ? formatNumber(d.cpuMicrosPerSession) : '-',
      e ? formatNumber(e.mbPerSecond) : '-',
      formatRatio(e?.mbPerSecond, xinetd?.echo?.mbPerSecond),
      formatRatio(e?.mbPerSecond, bare?.echo?.mbPerSecond),
      i ? formatNumber(i.rssPerSession) : '-',
      i ? formatNumber(i.pssPerSession) : '-',
      formatRatio(i?.pssPerSession, xinetd?.idle?.pssPerSession),
      formatRatio(i?.pssPerSession, bare?.idle?.pssPerSession),
    ];
  });
  return {
    header: [
      'Server',
      'Daytime sessions/s',
      'vs xinetd',
      'vs bare',
      'Errors',
      'Server CPU µs/session',
      'Echo MB/s',
      'vs xinetd',
      'vs bare',
      'Idle bytes/session RSS',
      'PSS',
      'PSS vs xinetd',
      'PSS vs bare',
    ],
    align: [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
    ],
    rows,
  };
}

/** The issue's three goals, checked for each classicd run that measured them. */
function goals(results: readonly TargetResult[]): string[] {
  const xinetd = results.find((result) => result.target.key === 'xinetd');
  const bare = results.find((result) => result.target.key === 'bare');
  const lines: string[] = [];
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  for (const result of results.filter((r) => r.target.classicd)) {
    const parts: string[] = [];
    const rate = result.daytime?.perSecond;
    const xRate = xinetd?.daytime?.perSecond;
    if (rate !== undefined && xRate !== undefined) {
      parts.push(`connection rate >= xinetd: ${verdict(rate >= xRate)} (${formatRatio(rate, xRate)})`);
    }
    const mbps = result.echo?.mbPerSecond;
    const bareMbps = bare?.echo?.mbPerSecond;
    if (mbps !== undefined && bareMbps !== undefined) {
      parts.push(`echo within 10% of bare Node: ${verdict(mbps >= 0.9 * bareMbps)} (${formatRatio(mbps, bareMbps)})`);
    }
    const perSession = result.idle?.rssPerSession;
    if (perSession !== undefined) {
      parts.push(`idle session < 20 KB: ${verdict(perSession < 20_000)} (${formatNumber(perSession)} bytes)`);
    }
    if (parts.length > 0) lines.push(`${result.target.label}: ${parts.join('; ')}`);
  }
  return lines;
}

function clientSetup(sizes: Sizes): string[] {
  return [
    `Daytime: ${sizes.clients} load-client processes, ${sizes.concurrency} concurrent clients in all ` +
      `(${share(sizes.concurrency, sizes.clients, 0)} connect-read-until-close loops each); ` +
      `${sizes.warmupMs} ms warm-up, then sessions completed in a ${sizes.durationMs} ms window are counted ` +
      `(an error is a failed connect, a reset, or a close before any byte).`,
    `Echo: one connection from one load-client process, ${formatNumber(sizes.echoBytes)} bytes written in ` +
      `${sizes.echoChunkBytes / 1024} KiB chunks honouring backpressure while reading concurrently; ` +
      `timed from connect to the last echoed byte; MB = 10^6 bytes.`,
    `Idle: ${formatNumber(sizes.idleSessions)} echo connections split over the ${sizes.clients} load-client processes ` +
      `(opened ${sizes.idleParallelPerClient} at a time per process), each proven accepted by a one-byte round trip; ` +
      `after a ${sizes.idleWarmupSessions}-session warm-up, the summed RSS of every server process (xinetd and its forked ` +
      `children; classicd's primary and workers) is sampled until steady before and after; the difference ` +
      `divided by the sessions. PSS (shared pages split among sharers) is shown beside it and the memory ratios ` +
      `use it: xinetd forks one child per echo session, and RSS counts the pages those children share with ` +
      `xinetd once per child (for the Node servers RSS and PSS grow alike). Kernel socket buffers are in neither.`,
    `Daytime and echo run until ${sizes.rounds} rounds were undisturbed (other programs under ${DISTURBED_PERCENT}% of one ` +
      `core; at most ${sizes.rounds * 3} rounds) and the best undisturbed round is shown; disturbed rounds are starred ` +
      `in the details. Before every round the bench waits (up to ${QUIET_MAX_WAIT_MS / 1000} s) for a second in which the ` +
      `machine is under ${QUIET_BUSY_PERCENT}% busy. CPU figures are % of one core over the round, split into the ` +
      `server's, the load clients' and other programs'. "Server CPU µs/session" is the server's CPU time over the ` +
      `whole daytime round divided by every session in it: other programs barely move it.`,
    `Servers and load clients share the same cores; everything runs on 127.0.0.1, one server at a time.`,
  ];
}

function report(results: readonly TargetResult[], sizes: Sizes, options: SuiteOptions): SuiteReport {
  const table = buildTable(results);
  const goalLines = goals(results);
  const failures = results.flatMap((result) => result.failures.map((failure) => `${result.target.label}: ${failure}`));
  const details: string[] = [];
  for (const result of results) {
    const d = result.daytime;
    if (d) {
      details.push(
        `${result.target.label}: daytime: rounds ${roundsText(result.daytimeRounds, (r) => r.perSecond)} sessions/s; ` +
          `best: ${formatNumber(d.completed)} sessions in the window, ${formatNumber(d.cpuMicrosPerSession)} µs server CPU per session, CPU ${cpuText(d.cpu)}` +
          `${d.errors ? `; errors${codes(d.errorCodes)}` : ''}${d.stuck ? `; ${d.stuck} sessions stuck` : ''}`,
      );
    }
    const e = result.echo;
    if (e) {
      details.push(
        `${result.target.label}: echo: rounds ${roundsText(result.echoRounds, (r) => r.mbPerSecond)} MB/s; ` +
          `best: ${formatNumber(e.ms)} ms, CPU ${cpuText(e.cpu)}`,
      );
    }
    const i = result.idle;
    if (i) {
      details.push(
        `${result.target.label}: idle: ${formatNumber(i.sessions)} sessions opened in ${formatNumber(i.openMs)} ms` +
          `${i.errors ? `, ${i.errors} failed${codes(i.errorCodes)}` : ''}; ` +
          `RSS ${formatNumber(i.before.rssBytes / MiB, 1)} -> ${formatNumber(i.after.rssBytes / MiB, 1)} MiB, ` +
          `PSS ${formatNumber(i.before.pssBytes / MiB, 1)} -> ${formatNumber(i.after.pssBytes / MiB, 1)} MiB ` +
          `over ${i.before.processes} -> ${i.after.processes} processes`,
      );
    }
    for (const note of result.notes) details.push(`${result.target.label}: ${note}`);
    if (result.noisy.length > 0) {
      details.push(
        `${result.target.label}: started while other programs kept the machine busy: ${result.noisy.join(', ')}`,
      );
    }
  }
  const setup = clientSetup(sizes);
  const xinetd = `xinetd ${xinetdVersion()}`;

  const text = [
    textTable(table),
    '',
    'Goals (issue 2):',
    ...goalLines.map((line) => `  ${line}`),
    ...(failures.length > 0 ? ['', 'Failures:', ...failures.map((line) => `  ${line}`)] : []),
    '',
    'Details:',
    ...details.map((line) => `  ${line}`),
    '',
    `Setup (${xinetd}):`,
    ...setup.map((line) => `  ${line}`),
  ].join('\n');

  const markdown = [
    markdownTable(table),
    '',
    "**Goals** (issue 2: at least xinetd's connection rate, echo within 10% of bare Node, under 20 KB per idle session):",
    '',
    ...goalLines.map((line) => `- ${line}`),
    ...(failures.length > 0 ? ['', '**Failures:**', '', ...failures.map((line) => `- ${line}`)] : []),
    '',
    '**Details:**',
    '',
    ...details.map((line) => `- ${line}`),
    '',
    `**Setup** (${xinetd}):`,
    '',
    ...setup.map((line) => `- ${line}`),
  ].join('\n');

  return { text, markdown, recordable: options.targets.length === 0 && !options.quick, failed: failures.length > 0 };
}
