/**
 * Per-source token buckets with a bounded memory: the least recently seen source is forgotten first,
 * so a flood of forged addresses cannot grow the map without limit.
 */
import { TokenBucket } from '../supervisor/token-bucket.js';

export class SourceRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly maxSources: number,
  ) {}

  allow(source: string, nowMs: number): boolean {
    let bucket = this.buckets.get(source);
    if (bucket) {
      // Re-insert to mark it most recently used; Map keeps insertion order.
      this.buckets.delete(source);
    } else {
      bucket = new TokenBucket(this.ratePerSecond, Math.max(1, this.ratePerSecond), nowMs);
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(source, bucket);
    return bucket.tryTake(nowMs);
  }
}
