import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { createRng } from "../lib/src/core/random.js";
import {
  distanceMatrix,
  distancesNoLoops,
  forEachDistanceChunk,
  maxDistanceDifference,
  DISTANCE_METHODS,
  type DistanceMatrix,
} from "../lib/src/knn/distances.js";
import type { Metric } from "../lib/src/knn/neighbors.js";
import { referenceDistances } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * cols }, () => rng.next());
}

function assertClose(got: DistanceMatrix, want: Float64Array, label: string): void {
  assert.equal(got.values.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    // float32 data and accumulation: relative error ~1e-6 per op; allow generous headroom.
    const tol = 2e-4 * Math.max(1, want[i]!);
    assert.ok(Math.abs(got.values[i]! - want[i]!) <= tol, `${label}: entry ${i} is ${got.values[i]}, reference ${want[i]}`);
  }
}

const M = 13, N = 37, D = 50;
const q = randomMatrix(M, D, 1);
const t = randomMatrix(N, D, 2);

for (const metric of ["l1", "l2"] as const) {
  test(`three ${metric} implementations agree with a float64 reference`, () => {
    const queries = tf.tensor2d(q, [M, D]);
    const train = tf.tensor2d(t, [N, D]);
    const want = referenceDistances(q, t, M, N, D, metric);
    const before = tf.memory().numTensors;
    for (const method of DISTANCE_METHODS) {
      const got = distanceMatrix(queries, train, metric, method);
      assert.equal(got.rows, M);
      assert.equal(got.cols, N);
      assertClose(got, want, `${metric} ${method}`);
    }
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    queries.dispose();
    train.dispose();
  });

  test(`${metric} no-loops gives the same matrix with tiny chunks`, () => {
    const queries = tf.tensor2d(q, [M, D]);
    const train = tf.tensor2d(t, [N, D]);
    const whole = distancesNoLoops(queries, train, metric);
    // maxElements below N·D forces the L1 path to split the training rows as well.
    const chunked = distancesNoLoops(queries, train, metric, { maxElements: 3 * D });
    assert.ok(maxDistanceDifference(whole, chunked) <= 1e-5);
    const starts: number[] = [];
    forEachDistanceChunk(queries, train, metric, (first, block) => {
      starts.push(first);
      assert.equal(block.shape[1], N);
    }, { maxElements: metric === "l2" ? 5 * N : 5 * N * D });
    assert.deepEqual(starts, [0, 5, 10]);
    queries.dispose();
    train.dispose();
  });
}

test("near-duplicate rows get small finite L2 distances (rounding negatives are clamped before sqrt)", () => {
  // Large norms and rows that differ by 1e-3 in a third of the features: ‖a‖² + ‖b‖² − 2a·b
  // cancels catastrophically in float32 and comes out slightly negative for some pairs.
  const a = Float32Array.from(randomMatrix(20, D, 3), (v) => v * 100);
  const b = a.map((v, i) => v + (i % 3 === 0 ? 1e-3 : 0));
  const queries = tf.tensor2d(a, [20, D]);
  const train = tf.tensor2d(b, [20, D]);
  const got = distancesNoLoops(queries, train, "l2");
  for (let i = 0; i < 20; i++) {
    const near = got.values[i * 20 + i]!;
    assert.ok(Number.isFinite(near) && near >= 0, `distance to the near-duplicate is ${near}`);
    assert.ok(near < 0.5, `distance to the near-duplicate ${near} should be ~0.004`);
  }
  tf.dispose([queries, train]);
});

test("hand-computed 2-D case", () => {
  const queries = tf.tensor2d([[0, 0], [1, 1]]);
  const train = tf.tensor2d([[3, 4], [1, 1], [-1, 0]]);
  for (const method of DISTANCE_METHODS) {
    const l2 = distanceMatrix(queries, train, "l2", method);
    assert.deepEqual(Array.from(l2.values).map((v) => Math.round(v * 1e5) / 1e5), [5, Math.round(Math.SQRT2 * 1e5) / 1e5, 1, Math.round(Math.sqrt(13) * 1e5) / 1e5, 0, Math.round(Math.sqrt(5) * 1e5) / 1e5]);
    const l1 = distanceMatrix(queries, train, "l1", method);
    assert.deepEqual(Array.from(l1.values), [7, 2, 1, 5, 0, 3]);
  }
  queries.dispose();
  train.dispose();
});

test("clear errors for bad shapes and metrics", () => {
  const a = tf.zeros([3, 4]) as tf.Tensor2D;
  const b = tf.zeros([5, 6]) as tf.Tensor2D;
  const v = tf.zeros([4]);
  for (const method of DISTANCE_METHODS) {
    assert.throws(() => distanceMatrix(a, b, "l2", method), /dimension mismatch: queries have D=4 .* D=6/);
    assert.throws(() => distanceMatrix(v as unknown as tf.Tensor2D, a, "l1", method), /queries must be a \[M, D\] matrix/);
    assert.throws(() => distanceMatrix(a, a, "l3" as Metric, method), /metric must be one of "l2", "l1"; got "l3"/);
  }
  assert.throws(() => distanceMatrix(a, a, "l2", "three-loops" as never), /unknown distance method/);
  tf.dispose([a, b, v]);
});
