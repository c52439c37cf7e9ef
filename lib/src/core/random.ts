/**
 * Seeded randomness. Every random choice in the library takes a seed and draws from one
 * of these generators, so a notebook run twice gives the same splits, batches and weights.
 */
import { InvalidInputError } from "./checks.js";

/** A deterministic pseudo-random generator (mulberry32: tiny, fast, good enough for ML demos). */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** A 32-bit seed derived from this stream, for seeding tfjs ops or child generators. */
  seed(): number;
}

export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new InvalidInputError("seed", `seed must be a finite number, got ${seed}`);
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  let spareNormal: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => {
      if (!Number.isInteger(n) || n <= 0) throw new InvalidInputError("n", `int(n) needs a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return z;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    seed: () => Math.floor(next() * 4294967296) >>> 0,
  };
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** `count` distinct indices from 0..n-1 in random order. */
export function sampleWithoutReplacement(n: number, count: number, seed: number): Int32Array {
  if (count > n) throw new InvalidInputError("count", `cannot sample ${count} distinct items from ${n}`);
  return permutation(n, seed).subarray(0, count);
}
