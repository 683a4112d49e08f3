/**
 * Deterministic xorshift32 for randomized tests and test inputs, so a failure can be replayed from
 * its seed. Its own module, without tap, so that fixtures used outside tests (the differential
 * suite's scenarios) can use it; twins.ts re-exports it.
 */
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}
