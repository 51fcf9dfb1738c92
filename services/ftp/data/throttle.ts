/**
 * The per-session rate limit (`maxRateBytesPerSecond`, vsftpd's anon_max_rate / local_max_rate).
 *
 * A ByteRateLimiter is a token bucket counted in bytes, one per session, so consecutive transfers
 * share the budget. The Throttle transform asks it before passing each slice of a chunk and waits
 * when the budget is spent. It holds at most the chunk in hand and does not take the next until
 * that one has passed, so a slow budget turns into TCP backpressure, never into a buffer.
 */
import { performance } from 'node:perf_hooks';
import { Transform, type TransformCallback } from 'node:stream';

export class ByteRateLimiter {
  /** Bytes that may pass at once after a pause: a quarter second's worth, at least 16 KiB. */
  readonly burstBytes: number;
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burstBytes = Math.max(16 * 1024, Math.floor(bytesPerSecond / 4));
    this.tokens = this.burstBytes;
    this.updatedAtMs = now();
  }

  /**
   * Takes `bytes` from the budget and says how long to wait before sending them (0: now). The
   * budget may go into debt; the wait is how long it takes to pay it back.
   */
  reserve(bytes: number): number {
    const nowMs = this.now();
    const elapsedMs = Math.max(0, nowMs - this.updatedAtMs);
    this.updatedAtMs = nowMs;
    this.tokens = Math.min(this.burstBytes, this.tokens + (elapsedMs * this.bytesPerSecond) / 1000);
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSecond);
  }
}

/** Passes bytes through at the limiter's rate (or at once without one), counting them. */
export class Throttle extends Transform {
  /** Bytes passed so far. */
  bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Slices small enough that the stream moves several times a second even at low rates. */
  private readonly sliceBytes: number;

  constructor(private readonly limiter: ByteRateLimiter | undefined) {
    super();
    this.sliceBytes = limiter ? Math.max(1024, Math.floor(limiter.bytesPerSecond / 8)) : Infinity;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.limiter) {
      this.bytes += chunk.length;
      callback(null, chunk);
      return;
    }
    this.pass(chunk, 0, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }

  private pass(chunk: Buffer, offset: number, callback: TransformCallback): void {
    const limiter = this.limiter as ByteRateLimiter;
    while (offset < chunk.length) {
      const slice = chunk.subarray(offset, offset + this.sliceBytes);
      offset += slice.length;
      const waitMs = limiter.reserve(slice.length);
      if (waitMs > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.bytes += slice.length;
          this.push(slice);
          this.pass(chunk, offset, callback);
        }, waitMs);
        return;
      }
      this.bytes += slice.length;
      this.push(slice);
    }
    callback();
  }
}
