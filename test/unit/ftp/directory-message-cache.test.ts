import { describe, expect, it } from 'vitest';
import { DirectoryMessageCache } from '../../../services/ftp/fs/directory-message.js';

/** A cache on a clock the test moves, and a reader that counts its reads. */
function cacheAt(): { cache: DirectoryMessageCache; advance: (ms: number) => void } {
  let now = 0;
  return { cache: new DirectoryMessageCache(() => now), advance: (ms) => (now += ms) };
}

describe('DirectoryMessageCache', () => {
  it('reads a directory once a second at most (TTL_MS), and again after', async () => {
    const { cache, advance } = cacheAt();
    let reads = 0;
    const read = async (): Promise<readonly string[]> => [`read ${++reads}`];
    expect(await cache.lines('/srv/ftp', read)).toEqual(['read 1']);
    advance(999);
    expect(await cache.lines('/srv/ftp', read)).toEqual(['read 1']);
    advance(1);
    expect(await cache.lines('/srv/ftp', read)).toEqual(['read 2']);
  });

  it('shares one read among callers, and takes a failed read as no message', async () => {
    const { cache } = cacheAt();
    let reads = 0;
    const failing = async (): Promise<readonly string[]> => {
      reads++;
      throw Object.assign(new Error('no .message'), { code: 'ENOENT' });
    };
    const [a, b] = await Promise.all([cache.lines('/d', failing), cache.lines('/d', failing)]);
    expect([a, b, reads]).toEqual([[], [], 1]);
  });

  it('keeps 256 directories (MAX_KEPT), dropping the oldest past them', async () => {
    const { cache } = cacheAt();
    const reads = new Map<string, number>();
    const readerFor = (dir: string) => async (): Promise<readonly string[]> => {
      reads.set(dir, (reads.get(dir) ?? 0) + 1);
      return [dir];
    };
    for (let i = 0; i <= 256; i++) await cache.lines(`/d${i}`, readerFor(`/d${i}`)); // 257 directories
    await cache.lines('/d256', readerFor('/d256'));
    await cache.lines('/d0', readerFor('/d0'));
    expect(reads.get('/d256')).toBe(1); // kept
    expect(reads.get('/d0')).toBe(2); // the oldest, dropped
  });
});
