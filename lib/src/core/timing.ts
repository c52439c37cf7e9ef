/**
 * Wall-clock timing for the notebooks' "which implementation is faster" tables. The timed
 * function must finish its work before returning (read tensor results back with dataSync),
 * or the time measured is only the time to queue it.
 */

/** Runs `fn` once and returns its value with the elapsed milliseconds. */
export function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}
