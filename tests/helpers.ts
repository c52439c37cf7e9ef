/**
 * Helpers shared by several test files: seeded random inputs and straightforward float64
 * references to check the library against. Not a test file itself (no `.test.ts`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidInputError } from "../lib/src/core/checks.js";
import type { ArrayBatch } from "../lib/src/losses/losses.js";
import type { Metric } from "../lib/src/knn/neighbors.js";
import { createRng } from "../lib/src/core/random.js";
import type { Examples } from "../lib/src/core/types.js";

/** A float64 batch: x [n, d] of N(0, 1) values and n labels uniform in 0..c-1, from `seed`. */
export function randomBatch(n: number, d: number, c: number, seed: number): ArrayBatch {
  const rng = createRng(seed);
  const x = new Float64Array(n * d);
  for (let k = 0; k < x.length; k++) x[k] = rng.normal();
  const y = Int32Array.from({ length: n }, () => rng.int(c));
  return { x, y, n, d };
}

/**
 * Every distance from the queries q [m, D] to the rows t [n, D], in float64, as [m, n]
 * row-major: the reference the library's distances and neighbour searches must agree with.
 */
export function referenceDistances(
  q: Float32Array,
  t: Float32Array,
  m: number,
  n: number,
  d: number,
  metric: Metric,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let f = 0; f < d; f++) {
        const diff = q[i * d + f]! - t[j * d + f]!;
        s += metric === "l1" ? Math.abs(diff) : diff * diff;
      }
      out[i * n + j] = metric === "l1" ? s : Math.sqrt(s);
    }
  }
  return out;
}

/** Three noisy Gaussian classes in 4-D (n examples, labels i % 3), the third overlapping the second. */
export function threeBlobs(n: number, seed: number): Examples {
  const rng = createRng(seed);
  const d = 4;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    y[i] = label;
    const center = label === 0 ? 0 : label === 1 ? 2 : 2.5;
    for (let f = 0; f < d; f++) x[i * d + f] = center + rng.normal();
  }
  return { x, y, n, d };
}

/** One row of a bad-input table: the call, the error's class (InvalidInputError unless said) and the words that name the mistake. */
export interface BadInputCase {
  name: string;
  run: () => unknown;
  type?: new (...args: never[]) => Error;
  message: RegExp;
}

/**
 * One test per row: the call must throw (or reject with) an error of the row's class whose
 * message matches, never a raw TypeError or a result.
 */
export function badInputTests(label: string, cases: readonly BadInputCase[]): void {
  for (const c of cases) {
    test(`${label}: ${c.name}`, async () => {
      let error: unknown;
      try {
        await c.run();
      } catch (err) {
        error = err;
      }
      assert.ok(error !== undefined, `${c.name}: expected an error, got a result`);
      assert.ok(!(error instanceof TypeError), `${c.name}: a raw TypeError: ${(error as Error).message}`);
      assert.ok(error instanceof (c.type ?? InvalidInputError), `${c.name}: expected ${(c.type ?? InvalidInputError).name}, got ${(error as Error).name}: ${(error as Error).message}`);
      assert.match((error as Error).message, c.message);
    });
  }
}
