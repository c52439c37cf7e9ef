import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { createRng } from "../lib/src/core/random.js";
import { KnnClassifier, knnVote } from "../lib/src/knn/knn.js";
import type { NeighborResult } from "../lib/src/knn/neighbors.js";
import { loadDataset } from "../lib/src/data/datasets.js";
import { accuracy } from "../lib/src/eval/metrics.js";
import type { Examples } from "../lib/src/core/types.js";

before(async () => {
  await initBackend({ log: false });
});

function examples(points: number[][], labels: number[]): Examples {
  return { x: Float32Array.from(points.flat()), y: Int32Array.from(labels), n: points.length, d: points[0]!.length };
}

// Row 0 (label 1) and row 1 (label 0) are both at distance 0.5 from the query (0.5, 0).
const toy = examples(
  [[1, 0], [0, 0], [0, 2], [5, 5], [5, 6], [6, 5]],
  [1, 0, 1, 2, 2, 2],
);

test("hand-made 2-D case: majority vote and both tie-break rules", async () => {
  const queries = Float32Array.from([
    0.5, 0, // exact distance tie between rows 0 and 1
    0.4, 0, // row 1 (label 0) at 0.4, row 0 (label 1) at 0.6, row 2 (label 1) at ~2.04
    0.6, 0, // row 0 (label 1) at 0.4, row 1 (label 0) at 0.6
    5, 5.4, // inside the label-2 cluster
  ]);
  const expected: Record<number, number[]> = {
    // k=1: equal distances → lower training index (row 0, label 1).
    1: [1, 0, 1, 2],
    // k=2: one vote each for 0 and 1. Query 0: equally near → smaller label 0.
    // Query 1: label 0's member is nearer → 0. Query 2: label 1's member is nearer → 1.
    2: [0, 0, 1, 2],
    // k=3: label 1 has two of the three nearest for the first three queries.
    3: [1, 1, 1, 2],
  };
  for (const metric of ["l2", "l1"] as const) {
    for (const k of [1, 2, 3]) {
      const knn = await new KnnClassifier({ k, metric }).fit(toy);
      assert.deepEqual(Array.from(await knn.predict(queries)), expected[k], `${metric}, k=${k}`);
      knn.dispose();
    }
  }
});

test("neighbour lists are sorted, ties by lower index, and match a brute-force reference", async () => {
  const rng = createRng(7);
  const n = 60, m = 9, d = 5, k = 7;
  // Values on a coarse grid so exact distance ties occur.
  const x = Float32Array.from({ length: n * d }, () => rng.int(3));
  const q = Float32Array.from({ length: m * d }, () => rng.int(3));
  for (const metric of ["l1", "l2"] as const) {
    const knn = await new KnnClassifier({ k, metric }).fit({ x, y: new Int32Array(n), n, d });
    const got = await knn.kneighbors(q, { chunkSize: 2 });
    knn.dispose();
    for (let i = 0; i < m; i++) {
      const ref = Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let f = 0; f < d; f++) {
          const diff = q[i * d + f]! - x[j * d + f]!;
          s += metric === "l1" ? Math.abs(diff) : diff * diff;
        }
        return { j, dist: metric === "l1" ? s : Math.sqrt(s) };
      }).sort((a, b) => a.dist - b.dist || a.j - b.j);
      assert.deepEqual(Array.from(got.indices.subarray(i * k, (i + 1) * k)), ref.slice(0, k).map((r) => r.j), `${metric} row ${i}`);
      for (let r = 0; r < k; r++) assert.ok(Math.abs(got.distances[i * k + r]! - ref[r]!.dist) < 1e-4);
    }
  }
});

test("knnVote votes over a prefix of wider lists", () => {
  const lists: NeighborResult = {
    indices: Int32Array.from([3, 0, 1, 2]),
    distances: Float32Array.from([1, 2, 3, 4]),
    k: 4,
    m: 1,
  };
  const labels = Int32Array.from([2, 2, 1, 0]); // neighbours' labels in order: 0, 2, 2, 1
  assert.deepEqual(Array.from(knnVote(lists, labels, 1, 3)), [0]);
  assert.deepEqual(Array.from(knnVote(lists, labels, 2, 3)), [0]); // 1–1 tie, label 0 nearer
  assert.deepEqual(Array.from(knnVote(lists, labels, 3, 3)), [2]);
  assert.deepEqual(Array.from(knnVote(lists, labels, 4, 3)), [2]);
  assert.throws(() => knnVote(lists, labels, 5, 3), /k=5 is larger than the 4 neighbours in each list/);
});

test("predict leaks no tensors and accepts a tensor of queries", async () => {
  const knn = await new KnnClassifier({ k: 3 }).fit(toy);
  const before = tf.memory().numTensors;
  const queries = tf.tensor2d([[0, 0.1], [5.5, 5.5]]);
  assert.deepEqual(Array.from(await knn.predict(queries)), [1, 2]);
  assert.deepEqual(Array.from(await knn.predict(Float32Array.from([0, 0.1, 5.5, 5.5]), { k: 1 })), [0, 2]);
  queries.dispose();
  assert.equal(tf.memory().numTensors, before);
  knn.dispose();
});

test("clear errors for bad k, labels, data and call order", async () => {
  assert.throws(() => new KnnClassifier({ k: 0 }), /k must be a positive integer/);
  assert.throws(() => new KnnClassifier({ k: 1.5 }), /k must be a positive integer/);
  assert.throws(() => new KnnClassifier({ metric: "cosine" as "l1" }), /metric must be one of "l2", "l1"; got "cosine"/);
  await assert.rejects(new KnnClassifier({ k: 7 }).fit(toy), /k=7 is larger than the 6 training examples/);
  await assert.rejects(new KnnClassifier().fit(toy, { numClasses: 2 }), /training set labels\[3\] = 2 is not a class index in 0\.\.1/);
  await assert.rejects(new KnnClassifier().fit(toy, { numClasses: 0 }), /numClasses must be a positive integer, got 0/);
  await assert.rejects(new KnnClassifier().fit({ ...toy, y: Int32Array.from([0, 1]) }), /training set: y has 2 labels, but n = 6/);
  await assert.rejects(new KnnClassifier().fit({ ...toy, y: Int32Array.from([0, 1, -1, 0, 0, 0]) }), /training set labels\[2\] = -1 is not a class index/);
  const withNaN = Float32Array.from(toy.x);
  withNaN[3] = Number.NaN;
  await assert.rejects(new KnnClassifier().fit({ ...toy, x: withNaN }), /training set: x has a non-finite value NaN at row 1, column 1/);
  await assert.rejects(new KnnClassifier().predict(Float32Array.from([0, 0])), /call fit\(examples\) first/);
  const knn = await new KnnClassifier().fit(toy);
  await assert.rejects(knn.predict(Float32Array.from([0, 0, 0])), /not a multiple of D=2/);
  await assert.rejects(knn.predict(tf.zeros([1, 3]) as tf.Tensor2D), /train has 2 features per row but queries have 3/);
  await assert.rejects(knn.predict(Float32Array.from([0, 0]), { k: 10 }), /k=10 is larger than the 6/);
  knn.dispose();
});

test("mnist-10k: 1-NN with L2 reaches at least 92% test accuracy on the default 8000/2000 split", async () => {
  const data = await loadDataset("mnist-10k", { seed: 0 });
  assert.equal(data.train.n, 8000);
  assert.equal(data.test.n, 2000);
  const knn = await new KnnClassifier({ k: 1, metric: "l2" }).fit(data.train, { numClasses: data.classNames.length });
  const predicted = await knn.predict(data.test.x, { showProgress: false });
  knn.dispose();
  const acc = accuracy(data.test.y, predicted);
  assert.ok(acc >= 0.92, `accuracy ${acc}`);
});

test("kNN is a Classifier: predict takes examples too, and score is the accuracy of predict", async () => {
  const train = { x: Float32Array.from([0, 0, 0, 1, 5, 5, 5, 6]), y: Int32Array.from([0, 0, 1, 1]), n: 4, d: 2 };
  const test = { x: Float32Array.from([0, 0.4, 5, 5.4, 0.2, 0]), y: Int32Array.from([0, 1, 1]), n: 3, d: 2 };
  const knn = await new KnnClassifier({ k: 1 }).fit(train);
  assert.deepEqual(Array.from(await knn.predict(test)), [0, 1, 0]);
  assert.equal(await knn.score(test), 2 / 3);
  knn.dispose();
});
