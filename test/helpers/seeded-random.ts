/**
 * Random numbers from a fixed seed (xorshift32, Marsaglia 2003), for tests that try many inputs:
 * the same sequence every run, so a failure can be run again as it was.
 */
export interface SeededRandom {
  /** The next unsigned 32-bit number. */
  readonly next: () => number;
  /** One of `items`. */
  readonly pick: <T>(items: readonly T[]) => T;
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0 || 1; // xorshift never leaves 0
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>>= 0);
  };
  return { next, pick: (items) => items[next() % items.length] as (typeof items)[number] };
}
