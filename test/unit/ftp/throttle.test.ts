import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ByteRateLimiter, Throttle } from '../../../services/ftp/data/throttle.js';

describe('ByteRateLimiter', () => {
  it('lets a burst through at once, then asks to wait for the debt', () => {
    let now = 0;
    const limiter = new ByteRateLimiter(100_000, () => now);
    expect(limiter.burstBytes).toBe(25_000);
    expect(limiter.reserve(25_000)).toBe(0);
    expect(limiter.reserve(10_000)).toBe(100); // 10 kB at 100 kB/s
    now = 100;
    expect(limiter.reserve(10_000)).toBe(100);
  });

  it('refills with time, up to the burst', () => {
    let now = 0;
    const limiter = new ByteRateLimiter(1000, () => now);
    expect(limiter.burstBytes).toBe(16 * 1024);
    expect(limiter.reserve(16 * 1024)).toBe(0);
    now = 1000;
    expect(limiter.reserve(1000)).toBe(0);
    now = 1_000_000; // a long pause refills only the burst
    expect(limiter.reserve(16 * 1024)).toBe(0);
    expect(limiter.reserve(1000)).toBe(1000);
  });
});

describe('Throttle', () => {
  it('passes bytes unchanged and counts them without a limiter', async () => {
    const throttle = new Throttle(undefined);
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('abc'), Buffer.from('defg')]),
      throttle,
      new Writable({ write: (chunk: Buffer, _e, cb) => (out.push(chunk), cb()) }),
    );
    expect(Buffer.concat(out).toString()).toBe('abcdefg');
    expect(throttle.bytes).toBe(7);
  });

  it('holds the rate: 48 KiB at 64 KiB/s past a 16 KiB burst takes about half a second', async () => {
    const throttle = new Throttle(new ByteRateLimiter(64 * 1024));
    const payload = Buffer.alloc(48 * 1024 + 16 * 1024, 7);
    const out: Buffer[] = [];
    const started = performance.now();
    await pipeline(
      Readable.from([payload]),
      throttle,
      new Writable({ write: (chunk: Buffer, _e, cb) => (out.push(chunk), cb()) }),
    );
    const elapsed = performance.now() - started;
    expect(Buffer.concat(out).equals(payload)).toBe(true);
    expect(throttle.bytes).toBe(payload.length);
    expect(elapsed).toBeGreaterThanOrEqual(700); // 48 KiB of debt at 64 KiB/s = 750 ms
    expect(elapsed).toBeLessThan(5000);
    // Slices of rate/8, so the stream moves several times a second.
    expect(Math.max(...out.map((chunk) => chunk.length))).toBeLessThanOrEqual(8 * 1024);
  });

  it('stops waiting when destroyed', async () => {
    const throttle = new Throttle(new ByteRateLimiter(1024));
    const source = Readable.from([Buffer.alloc(64 * 1024)]);
    const sink = new Writable({ write: (_chunk, _e, cb) => cb() });
    const done = pipeline(source, throttle, sink);
    throttle.destroy(new Error('stop'));
    await expect(done).rejects.toThrow('stop');
  });
});
