/**
 * Idle timeouts for every session of a worker, on one timer per timeout value instead of one per
 * socket. Node's socket.setTimeout keeps a Timeout, a bound callback and two boxed numbers for each
 * socket, about 220 bytes; for a worker holding thousands of sleeping sessions that was the largest
 * cost after the socket itself.
 *
 * A session is idle when its activity count (its socket's bytes read plus written, see
 * session-runner.ts) has not moved for its timeout. The count is sampled once a tick, a tenth of
 * the timeout (at most a second), so an idle session is told between one timeout and one timeout
 * plus a tick after its last byte: never early. (Unlike socket.setTimeout, a write still draining
 * to a client that does not read is not activity: the bytes were counted when queued.)
 */
/** What the watch needs of a session. */
export interface IdleWatched {
  readonly idleTimeoutMs: number;
  /** A number that changes whenever the session does something (bytes in or out). */
  activity(): number;
  /**
   * Called after each full timeout without activity, for as long as the session is watched. It
   * must not throw: the other sessions of the sweep are still to be told (LiveSession catches its
   * own errors and fails only its session).
   */
  onIdle(): void;
}

/** The sampling period for a timeout: fine enough for short test timeouts, at most a second. */
export function idleTickMs(timeoutMs: number): number {
  return Math.min(1000, Math.max(5, Math.ceil(timeoutMs / 10)));
}

/** What the watch remembers of one session between ticks (kept in the group's map). */
interface Sample {
  activity: number;
  quietTicks: number;
}

/** The sessions that share one timeout value, and their timer. */
class IdleGroup {
  readonly tickMs: number;
  /** How many quiet ticks make a timeout. */
  private readonly ticksPerTimeout: number;
  private readonly samples = new Map<IdleWatched, Sample>();
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.tickMs = idleTickMs(timeoutMs);
    this.ticksPerTimeout = Math.ceil(timeoutMs / this.tickMs);
  }

  add(session: IdleWatched): void {
    // -1: the timer runs on its own phase, and the first tick may come at once; it only takes the
    // baseline, so that a session that never does anything is not told a tick early.
    this.samples.set(session, { activity: session.activity(), quietTicks: -1 });
    // Unref'd: an idle timer alone must not keep a process alive.
    this.timer ??= setInterval(() => this.tick(), this.tickMs).unref();
  }

  /** The timer stops at its next tick if no session is left, not now: short sessions come and go. */
  delete(session: IdleWatched): void {
    this.samples.delete(session);
  }

  /**
   * One sample of every session. A quiet tick counts only when the count was the same at the tick
   * before, so the quiet time measured is never more than the real one.
   */
  private tick(): void {
    if (this.samples.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const idle: IdleWatched[] = [];
    for (const [session, sample] of this.samples) {
      const activity = session.activity();
      if (activity !== sample.activity) {
        sample.activity = activity;
        sample.quietTicks = 0;
      } else if (++sample.quietTicks >= this.ticksPerTimeout) {
        // Asked again after the next full timeout if the session stays (its service said 'keep').
        sample.quietTicks = 0;
        idle.push(session);
      }
    }
    // After the sweep: onIdle may end sessions, and so change the map.
    for (const session of idle) session.onIdle();
  }
}

/** All of a process's watched sessions, grouped by timeout. */
export class IdleWatch {
  private readonly groups = new Map<number, IdleGroup>();

  watch(session: IdleWatched): void {
    let group = this.groups.get(session.idleTimeoutMs);
    if (!group) {
      group = new IdleGroup(session.idleTimeoutMs);
      this.groups.set(session.idleTimeoutMs, group);
    }
    group.add(session);
  }

  /** Groups stay once made: a process has a handful of timeout values, one per service. */
  unwatch(session: IdleWatched): void {
    this.groups.get(session.idleTimeoutMs)?.delete(session);
  }
}
