/** The facts about the machine and the run that a benchmark figure means nothing without. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { withFdLimit } from './processes.js';

export interface MachineInfo {
  readonly date: string;
  readonly command: string;
  readonly nproc: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** The open-file limit the servers and clients run with. */
  readonly fdLimit: string;
}

export function describeMachine(argv: readonly string[]): MachineInfo {
  const [shell, args] = withFdLimit('sh', ['-c', 'ulimit -n']);
  let fdLimit = 'unknown';
  try {
    fdLimit = execFileSync(shell, args, { encoding: 'utf8' }).trim();
  } catch {
    // keep 'unknown'
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(argv),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    fdLimit,
  };
}

/** How this run was started, as the user typed it (npm run bench passes its arguments after --). */
function commandLine(argv: readonly string[]): string {
  const args = argv.join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `node dist/bench/run.js${args ? ` ${args}` : ''}`;
}
