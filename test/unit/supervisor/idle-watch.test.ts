/**
 * The shared idle timer, on vitest's fake clock: a session is told it is idle after a full timeout
 * without activity (never before), activity starts the count again, and a session that stays (its
 * service said 'keep') is asked again one timeout later.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleWatch, idleTickMs, type IdleWatched } from '../../../shared/supervisor/idle-watch.js';

class FakeSession implements IdleWatched {
  bytes = 0;
  idleCalls = 0;
  constructor(readonly idleTimeoutMs: number) {}
  activity(): number {
    return this.bytes;
  }
  onIdle(): void {
    this.idleCalls += 1;
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('idleTickMs', () => {
  it.each([
    [50, 5],
    [800, 80],
    [10_000, 1000],
    [300_000, 1000],
    [1, 5],
  ])('a %d ms timeout is sampled every %d ms', (timeoutMs, tickMs) => {
    expect(idleTickMs(timeoutMs)).toBe(tickMs);
  });
});

describe('IdleWatch', () => {
  it('tells a quiet session once a full timeout has passed, not before', () => {
    const watch = new IdleWatch();
    const session = new FakeSession(1000);
    watch.watch(session);
    vi.advanceTimersByTime(999);
    expect(session.idleCalls).toBe(0);
    vi.advanceTimersByTime(200);
    expect(session.idleCalls).toBe(1);
    watch.unwatch(session);
  });

  it('counts a full timeout for a session that joins a running timer between two ticks', () => {
    const watch = new IdleWatch();
    const first = new FakeSession(1000);
    watch.watch(first);
    vi.advanceTimersByTime(950);
    const late = new FakeSession(1000);
    watch.watch(late);
    // The next tick comes 50 ms after it joined; it must not count as a quiet tenth of the timeout.
    vi.advanceTimersByTime(999);
    expect(late.idleCalls).toBe(0);
    vi.advanceTimersByTime(200);
    expect(late.idleCalls).toBe(1);
    watch.unwatch(first);
    watch.unwatch(late);
  });

  it('starts counting again after any activity', () => {
    const watch = new IdleWatch();
    const session = new FakeSession(1000);
    watch.watch(session);
    for (let second = 0; second < 10; second++) {
      vi.advanceTimersByTime(900);
      session.bytes += 1;
    }
    expect(session.idleCalls).toBe(0);
    // The last byte came just now; the timeout counts from the first sample that saw it.
    vi.advanceTimersByTime(1000);
    expect(session.idleCalls).toBe(0);
    vi.advanceTimersByTime(200);
    expect(session.idleCalls).toBe(1);
    watch.unwatch(session);
  });

  it('asks a session that stays again after the next full timeout', () => {
    const watch = new IdleWatch();
    const session = new FakeSession(500);
    watch.watch(session);
    vi.advanceTimersByTime(550);
    expect(session.idleCalls).toBe(1);
    vi.advanceTimersByTime(400);
    expect(session.idleCalls).toBe(1);
    vi.advanceTimersByTime(150);
    expect(session.idleCalls).toBe(2);
    watch.unwatch(session);
  });

  it('keeps sessions with different timeouts apart', () => {
    const watch = new IdleWatch();
    const short = new FakeSession(100);
    const long = new FakeSession(10_000);
    watch.watch(short);
    watch.watch(long);
    vi.advanceTimersByTime(1000);
    expect(short.idleCalls).toBeGreaterThan(0);
    expect(long.idleCalls).toBe(0);
    watch.unwatch(short);
    watch.unwatch(long);
  });

  it('stops its timers at their next tick once no session is watched, and starts them again', () => {
    const watch = new IdleWatch();
    const sessions = [new FakeSession(100), new FakeSession(100), new FakeSession(2000)];
    for (const session of sessions) watch.watch(session);
    expect(vi.getTimerCount()).toBe(2);
    for (const session of sessions) watch.unwatch(session);
    vi.advanceTimersByTime(idleTickMs(2000));
    expect(vi.getTimerCount()).toBe(0);
    const late = new FakeSession(100);
    watch.watch(late);
    vi.advanceTimersByTime(150);
    expect(late.idleCalls).toBe(1);
    watch.unwatch(late);
  });

  it('lets a session end itself from onIdle', () => {
    const watch = new IdleWatch();
    const sessions = [new FakeSession(100), new FakeSession(100)];
    for (const session of sessions) {
      session.onIdle = () => {
        session.idleCalls += 1;
        watch.unwatch(session);
      };
      watch.watch(session);
    }
    vi.advanceTimersByTime(1000);
    expect(sessions.map((session) => session.idleCalls)).toEqual([1, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
