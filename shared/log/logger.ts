/**
 * pino, JSON lines by default and readable lines on a terminal. Secrets are redacted here, once,
 * so no caller can forget (STYLE.md 13).
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogConfig } from '../config/schema.js';

export type { Logger } from 'pino';

const REDACT_PATHS = ['password', '*.password', 'pass', '*.pass', 'args.password', 'authorization', '*.authorization'];

export interface LoggerOptions {
  /** Fields on every line, such as `proc: "worker"`. */
  readonly base?: Record<string, unknown>;
  /** Where lines go; standard output by default. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(config: LogConfig, options: LoggerOptions = {}): Logger {
  const readable = config.format === 'pretty' || (config.format === 'auto' && process.stdout.isTTY === true);
  const settings = {
    level: config.level,
    base: { pid: process.pid, ...options.base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (readable) {
    return pino(settings, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(settings, options.destination ?? bufferedStdout(config.bufferBytes));
}

/**
 * Standard output, written in batches: a write syscall per line halved the rate of short sessions
 * at level info. Lines wait for `bufferBytes` or for the next flush, at most FLUSH_INTERVAL_MS, and
 * are flushed synchronously when the process exits.
 */
function bufferedStdout(bufferBytes: number): pino.DestinationStream {
  /** Once exiting: when a write standard output keeps refusing is given up. */
  let giveUpAt = Infinity;
  const destination = pino.destination({
    dest: 1,
    sync: false,
    minLength: bufferBytes,
    // Standard output that nobody reads (a stalled pipe or journal) must not grow the process
    // without bound: lines past this are dropped (a flood of them grew a worker by 100 MB in 24 s).
    maxLength: MAX_HELD_BYTES,
    // ...nor keep it from exiting: at exit, a write the pipe keeps refusing is given up after a
    // while, not retried for ever (sonic-boom's default, which kept a stopped primary alive until
    // the pipe was read). A reader that is only slow gets that while to catch up.
    retryEAGAIN: () => Date.now() < giveUpAt,
  });
  if (bufferBytes > 0) {
    // The flush timer is armed by a write, not left running: an idle process stays asleep, with no
    // wake-ups at all (sonic-boom's flush writes an empty string, a thread-pool round trip, even
    // with nothing held).
    let flushTimer: NodeJS.Timeout | undefined;
    const flushHeldLines = (): void => {
      flushTimer = undefined;
      destination.flush();
    };
    const write = destination.write.bind(destination);
    destination.write = (chunk: string): boolean => {
      flushTimer ??= setTimeout(flushHeldLines, FLUSH_INTERVAL_MS).unref();
      return write(chunk);
    };
  }
  stdoutDestinations.add(destination);
  // Prepended, so it runs before pino's own exit hook, which also flushes synchronously and would
  // retry a write the pipe refuses for ever: here a write still refused after EXIT_FLUSH_MS is
  // given up, and so are the lines behind it.
  process.prependListener('exit', () => {
    giveUpAt = Date.now() + EXIT_FLUSH_MS;
    try {
      destination.flushSync();
    } catch {
      // Refused (EAGAIN), or a write still in flight at exit: what it held is already on its way.
    }
    abandon(destination);
  });
  return destination;
}

const FLUSH_INTERVAL_MS = 100;
/** How long an exiting process keeps offering its last lines to a standard output that refuses them. */
const EXIT_FLUSH_MS = 1000;

/** Every standard-output destination made here (one per process in practice). */
const stdoutDestinations = new Set<pino.DestinationStream & { flushSync(): void }>();

/**
 * The lines standard output has not taken are given up: the exit that follows does not try to
 * write them (ours, and pino's own exit hook, both flush synchronously), which on a blocking pipe
 * that nobody reads would never return. For a process that has waited long enough for them; pino
 * does the same when its output breaks (EPIPE).
 */
export function abandonUnwrittenLogLines(): void {
  for (const destination of stdoutDestinations) abandon(destination);
}

function abandon(destination: pino.DestinationStream & { flushSync(): void }): void {
  destination.flushSync = () => undefined;
  destination.write = () => true;
}
/** Log bytes held for a standard output that does not take them, before lines are dropped. */
const MAX_HELD_BYTES = 16 * 1024 * 1024;
