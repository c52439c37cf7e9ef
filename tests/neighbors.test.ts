// Tests for the chunked exact neighbour search: agreement with a Float64 brute force,
// chunk sizes that do not divide M, the tie-break rule, constant columns, the L1 worker scan,
// and bad input.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { createRng } from "../lib/src/core/random.js";
import { denseChunkRows, nearestNeighbors, type Metric } from "../lib/src/knn/neighbors.js";
import { referenceDistances } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** Float64 brute force: all distances, sorted by (distance, index). */
function bruteForce(train: Float32Array, queries: Float32Array, n: number, m: number, d: number, metric: Metric) {
  const all = referenceDistances(queries, train, m, n, d, metric);
  return Array.from({ length: m }, (_, q) =>
    Array.from({ length: n }, (_, r) => ({ index: r, distance: all[q * n + r]! })).sort(
      (a, b) => a.distance - b.distance || a.index - b.index,
    ),
  );
}

for (const metric of ["l2", "l1"] as const) {
  for (const k of [1, 3, 10]) {
    test(`${metric}, k=${k}: agrees with a Float64 brute force (chunks that do not divide M)`, async () => {
      const n = 230;
      const m = 37;
      const d = 17;
      const trainValues = randomMatrix(n, d, 1 + k);
      const queryValues = randomMatrix(m, d, 100 + k);
      const train = tf.tensor2d(trainValues, [n, d]);
      const queries = tf.tensor2d(queryValues, [m, d]);
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const result = await nearestNeighbors(train, queries, k, {
        metric,
        chunkSize: 10,
        onProgress: (done, total) => {
          assert.equal(total, m);
          progress.push(done);
        },
      });
      assert.equal(tf.memory().numTensors, before, "no tensors leaked");
      assert.deepEqual(progress, [10, 20, 30, 37]);
      assert.equal(result.k, k);
      assert.equal(result.m, m);
      const reference = bruteForce(trainValues, queryValues, n, m, d, metric);
      for (let q = 0; q < m; q++) {
        for (let i = 0; i < k; i++) {
          const want = reference[q]![i]!;
          const gotIndex = result.indices[q * k + i]!;
          const gotDistance = result.distances[q * k + i]!;
          assert.ok(Math.abs(gotDistance - want.distance) <= 1e-4 * (1 + want.distance), `query ${q} rank ${i}: distance ${gotDistance} vs ${want.distance}`);
          // Random normal data has no near-ties at this scale, so the indices must match too.
          assert.equal(gotIndex, want.index, `query ${q} rank ${i}`);
        }
      }
      train.dispose();
      queries.dispose();
    });
  }
}

/** Rows near a few low-dimensional clusters, like images: pruning has something to prune. */
function clusteredMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const centres = Array.from({ length: 5 }, () => Array.from({ length: cols }, () => rng.normal() * 3));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const c = centres[rng.int(5)]!;
    for (let j = 0; j < cols; j++) out[i * cols + j] = c[j]! + rng.normal() * (j < 8 ? 1 : 0.1);
  }
  return out;
}

// chunkSize 16 scans on the main thread; a 45-row chunk is split across scan workers (threaded wasm).
for (const [k, chunkSize] of [[1, 16], [4, 16], [1, 64], [4, 64]] as const) {
  test(`pruned L2, k=${k}, chunkSize=${chunkSize}: agrees with a Float64 brute force and with the dense strategy`, async () => {
    const n = 700;
    const m = 45;
    const d = 48;
    const trainValues = clusteredMatrix(n, d, 11 + k);
    const queryValues = clusteredMatrix(m, d, 21 + k);
    const train = tf.tensor2d(trainValues, [n, d]);
    const queries = tf.tensor2d(queryValues, [m, d]);
    const before = tf.memory().numTensors;
    const pruned = await nearestNeighbors(train, queries, k, { strategy: "pruned", chunkSize });
    assert.equal(tf.memory().numTensors, before, "no tensors leaked");
    const dense = await nearestNeighbors(train, queries, k, { strategy: "dense" });
    assert.deepEqual(pruned.indices, dense.indices);
    const reference = bruteForce(trainValues, queryValues, n, m, d, "l2");
    for (let q = 0; q < m; q++) {
      for (let i = 0; i < k; i++) {
        const want = reference[q]![i]!;
        assert.equal(pruned.indices[q * k + i], want.index, `query ${q} rank ${i}`);
        assert.ok(Math.abs(pruned.distances[q * k + i]! - want.distance) <= 1e-5 * (1 + want.distance));
      }
    }
    train.dispose();
    queries.dispose();
  });
}

test("pruned L2 keeps the tie-break rule and exact zero distances", async () => {
  const n = 300;
  const d = 32;
  const values = clusteredMatrix(n, d, 5);
  values.copyWithin(250 * d, 40 * d, 41 * d); // row 250 = row 40
  values.copyWithin(260 * d, 40 * d, 41 * d); // row 260 = row 40
  const train = tf.tensor2d(values, [n, d]);
  const queries = tf.tensor2d(values.slice(40 * d, 41 * d), [1, d]);
  const result = await nearestNeighbors(train, queries, 3, { strategy: "pruned" });
  assert.deepEqual(Array.from(result.indices), [40, 250, 260]);
  assert.deepEqual(Array.from(result.distances), [0, 0, 0]);
  // k = N: every row is returned, in the same order as the dense strategy gives.
  const all = await nearestNeighbors(train, queries, n, { strategy: "pruned" });
  const allDense = await nearestNeighbors(train, queries, n, { strategy: "dense" });
  assert.deepEqual(all.indices, allDense.indices);
  await assert.rejects(nearestNeighbors(train, queries, 1, { strategy: "pruned", metric: "l1" }), /needs metric "l2"/);
  train.dispose();
  queries.dispose();
});

test("default chunking and a single chunk give the same answer", async () => {
  const n = 500;
  const m = 300;
  const d = 9;
  const train = tf.tensor2d(randomMatrix(n, d, 7), [n, d]);
  const queries = tf.tensor2d(randomMatrix(m, d, 8), [m, d]);
  const a = await nearestNeighbors(train, queries, 4);
  const b = await nearestNeighbors(train, queries, 4, { chunkSize: 7 });
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.distances, b.distances);
  train.dispose();
  queries.dispose();
});

for (const metric of ["l2", "l1"] as const) {
  test(`${metric}: equal distances are ordered by the lower training index`, async () => {
    // Four points at distance 1 from the origin query, listed in shuffled order, plus duplicates.
    const trainRows = [
      [5, 5],
      [0, 1],
      [-1, 0],
      [1, 0],
      [0, 1], // duplicate of row 1
      [0, -1],
      [3, 3],
    ];
    const train = tf.tensor2d(trainRows);
    const queries = tf.tensor2d([[0, 0]]);
    const result = await nearestNeighbors(train, queries, 5, { metric });
    assert.deepEqual(Array.from(result.indices), [1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(result.distances), [1, 1, 1, 1, 1]);
    train.dispose();
    queries.dispose();
  });
}

test("dense chunks keep their [chunk, N] scores within 8M values (32 MB), 1 to 1,024 queries", () => {
  assert.equal(denseChunkRows(60000), 139); // Fashion-MNIST: 139 × 60,000 = 8.34M ≤ 2²³
  assert.ok(denseChunkRows(60000) * 60000 <= 1 << 23 && (denseChunkRows(60000) + 1) * 60000 > 1 << 23);
  assert.equal(denseChunkRows(2000), 1024);
  assert.equal(denseChunkRows(1e8), 1);
});

test("duplicates of the query come first with distance exactly 0, lowest index first", async () => {
  const n = 50;
  const d = 6;
  const values = randomMatrix(n, d, 3);
  values.copyWithin(40 * d, 12 * d, 13 * d); // row 40 = row 12
  const train = tf.tensor2d(values, [n, d]);
  const queries = tf.tensor2d(values.slice(12 * d, 13 * d), [1, d]);
  const result = await nearestNeighbors(train, queries, 3);
  assert.deepEqual(Array.from(result.indices.slice(0, 2)), [12, 40]);
  assert.deepEqual(Array.from(result.distances.slice(0, 2)), [0, 0]);
  train.dispose();
  queries.dispose();
});

test("constant training columns still count in the distances (hand-computed)", async () => {
  // Column 1 is 7 in every training row, so it is dropped from the product but not from distances.
  const train = tf.tensor2d([
    [0, 7, 0],
    [3, 7, 4],
    [1, 7, 1],
  ]);
  const queries = tf.tensor2d([
    [0, 7, 0],
    [3, 3, 4],
  ]);
  const l2 = await nearestNeighbors(train, queries, 3);
  assert.deepEqual(Array.from(l2.indices), [0, 2, 1, 1, 2, 0]);
  const l2Expected = [0, Math.sqrt(2), 5, 4, Math.sqrt(4 + 16 + 9), Math.sqrt(9 + 16 + 16)];
  l2Expected.forEach((want, i) => assert.ok(Math.abs(l2.distances[i]! - want) < 1e-5, `l2 ${i}: ${l2.distances[i]} vs ${want}`));
  const l1 = await nearestNeighbors(train, queries, 3, { metric: "l1" });
  assert.deepEqual(Array.from(l1.indices), [0, 2, 1, 1, 2, 0]);
  assert.deepEqual(Array.from(l1.distances), [0, 2, 7, 4, 9, 11]);
  train.dispose();
  queries.dispose();
});

test("an empty query set gives an empty result", async () => {
  const train = tf.tensor2d([[1, 2]]);
  const queries = tf.zeros([0, 2]) as tf.Tensor2D;
  const result = await nearestNeighbors(train, queries, 1);
  assert.equal(result.m, 0);
  assert.equal(result.indices.length, 0);
  train.dispose();
  queries.dispose();
});

test("bad input fails with a clear message", async () => {
  const train = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const queries = tf.tensor2d([[1, 2]]);
  const wide = tf.tensor2d([[1, 2, 3]]);
  const withNaN = tf.tensor2d([[NaN, 2]]);
  const vector = tf.tensor1d([1, 2]);
  await assert.rejects(nearestNeighbors(train, queries, 0), /k must be a positive integer, got 0/);
  await assert.rejects(nearestNeighbors(train, queries, 3), /k=3 is larger than the 2 training examples/);
  await assert.rejects(nearestNeighbors(train, queries, 1.5), /k must be a positive integer, got 1\.5/);
  await assert.rejects(nearestNeighbors(train, wide, 1), /2 features per row but queries have 3/);
  await assert.rejects(nearestNeighbors(train, withNaN, 1), /queries contains NaN/);
  await assert.rejects(nearestNeighbors(withNaN, queries, 1), /train contains NaN/);
  await assert.rejects(nearestNeighbors(vector as unknown as tf.Tensor2D, queries, 1), /train must be \[N, D\]/);
  await assert.rejects(nearestNeighbors(train, queries, 1, { chunkSize: 0 }), /chunkSize must be a positive integer/);
  await assert.rejects(nearestNeighbors(train, queries, 1, { metric: "cosine" as Metric }), /metric must be one of "l2", "l1"; got "cosine"/);
  for (const t of [train, queries, wide, withNaN, vector]) t.dispose();
});

/** Values on a grid of quarters (sums are exact in float64): many exactly tied distances. */
function quarterMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(9) / 4;
  return out;
}

for (const k of [1, 7]) {
  test(`l1, k=${k}: worker-thread scan = main-thread scan = Float64 brute force, ties by lower index`, async () => {
    const n = 1200;
    const m = 70;
    const d = 40;
    const trainValues = quarterMatrix(n, d, 31 + k);
    const queryValues = quarterMatrix(m, d, 41 + k);
    for (let r = 0; r < n; r++) {
      trainValues[r * d] = 0.5; // constant columns: 0 and 5
      trainValues[r * d + 5] = 0;
    }
    trainValues.copyWithin(900 * d, 17 * d, 18 * d); // row 900 = row 17
    queryValues.set(trainValues.subarray(17 * d, 18 * d), 3 * d); // query 3 = row 17
    const train = tf.tensor2d(trainValues, [n, d]);
    const queries = tf.tensor2d(queryValues, [m, d]);
    const before = tf.memory().numTensors;
    // 64-row chunks (64 × 1200 × 40 terms) go to the L1 workers; 5-row chunks stay on this thread.
    const threaded = await nearestNeighbors(train, queries, k, { metric: "l1" });
    const local = await nearestNeighbors(train, queries, k, { metric: "l1", chunkSize: 5 });
    assert.equal(tf.memory().numTensors, before, "no tensors leaked");
    assert.deepEqual(threaded.indices, local.indices);
    assert.deepEqual(threaded.distances, local.distances);
    const reference = bruteForce(trainValues, queryValues, n, m, d, "l1");
    let ties = 0;
    for (let q = 0; q < m; q++) {
      for (let i = 0; i < k; i++) {
        const want = reference[q]![i]!;
        assert.equal(threaded.indices[q * k + i], want.index, `query ${q} rank ${i}`);
        assert.equal(threaded.distances[q * k + i], want.distance, `query ${q} rank ${i}`);
        if (i > 0 && reference[q]![i - 1]!.distance === want.distance) ties++;
      }
    }
    if (k > 1) assert.ok(ties > 10, `the data should have tied distances (${ties})`);
    assert.deepEqual(Array.from(threaded.indices.slice(3 * k, 3 * k + Math.min(k, 2))), k === 1 ? [17] : [17, 900]);
    train.dispose();
    queries.dispose();
  });
}

test("l1 accepts int32 inputs and gives the same answer as float32", async () => {
  const n = 300;
  const m = 20;
  const d = 12;
  const rng = createRng(77);
  const trainInts = Int32Array.from({ length: n * d }, () => rng.int(256));
  const queryInts = Int32Array.from({ length: m * d }, () => rng.int(256));
  const trainI = tf.tensor2d(trainInts, [n, d], "int32");
  const queriesI = tf.tensor2d(queryInts, [m, d], "int32");
  const trainF = tf.tensor2d(Float32Array.from(trainInts), [n, d]);
  const queriesF = tf.tensor2d(Float32Array.from(queryInts), [m, d]);
  const fromInts = await nearestNeighbors(trainI, queriesI, 4, { metric: "l1" });
  const fromFloats = await nearestNeighbors(trainF, queriesF, 4, { metric: "l1" });
  assert.deepEqual(fromInts.indices, fromFloats.indices);
  assert.deepEqual(fromInts.distances, fromFloats.distances);
  const reference = bruteForce(Float32Array.from(trainInts), Float32Array.from(queryInts), n, m, d, "l1");
  for (let q = 0; q < m; q++) assert.equal(fromInts.indices[q * 4], reference[q]![0]!.index);
  for (const t of [trainI, queriesI, trainF, queriesF]) t.dispose();
});

test("a process that ran an L1 search on worker threads exits by itself", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const script = `
    import * as tf from "@tensorflow/tfjs-core";
    import { initBackend } from "./lib/src/runtime/backend.js";
    import { nearestNeighbors } from "./lib/src/knn/neighbors.js";
    await initBackend({ log: false });
    const train = tf.randomUniform([2000, 64], 0, 1, "float32", 1);
    const queries = tf.randomUniform([100, 64], 0, 1, "float32", 2);
    const result = await nearestNeighbors(train, queries, 3, { metric: "l1" });
    console.log("found", result.indices.length);`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.signal, null, "killed by the timeout: something kept the process alive");
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /found 300/);
});

test("l1: rows constant over blocks of features (group bound = distance) still match a brute force", async () => {
  // Each row is constant over runs of 14 features, so the L1 scan's group lower bound equals the
  // distance itself: any bound that rejects too eagerly would drop a true neighbour here.
  const n = 1000;
  const m = 66;
  const d = 56;
  const blockRows = (rows: number, seed: number): Float32Array => {
    const coarse = randomMatrix(rows, d / 14, seed);
    return Float32Array.from({ length: rows * d }, (_, i) => coarse[Math.floor(i / d) * (d / 14) + Math.floor((i % d) / 14)]!);
  };
  const trainValues = blockRows(n, 51);
  const queryValues = blockRows(m, 52);
  const train = tf.tensor2d(trainValues, [n, d]);
  const queries = tf.tensor2d(queryValues, [m, d]);
  const k = 5;
  const result = await nearestNeighbors(train, queries, k, { metric: "l1" });
  const reference = bruteForce(trainValues, queryValues, n, m, d, "l1");
  for (let q = 0; q < m; q++) {
    for (let i = 0; i < k; i++) {
      const want = reference[q]![i]!;
      assert.equal(result.indices[q * k + i], want.index, `query ${q} rank ${i}`);
      assert.ok(Math.abs(result.distances[q * k + i]! - want.distance) <= 1e-5 * want.distance, `query ${q} rank ${i}`);
    }
  }
  train.dispose();
  queries.dispose();
});

test("L2 stays exact when the data carry a common offset (0, 0.5, 100, 1e3, 1e4), dense and pruned, k = 1 and 3", async () => {
  const { loadDataset } = await import("../lib/src/data/datasets.js");
  const ds = await loadDataset("mnist-10k", { nTrain: 2000, nTest: 200, seed: 3 });
  const { n, d } = ds.train;
  const m = ds.test.n;
  // Offsets 0 and 0.5 leave the training rows uncentred in the dense search (offset under twice the
  // spread; only the queries are centred), the large ones centre them.
  for (const offset of [0, 0.5, 100, 1e3, 1e4]) {
    const trainValues = Float32Array.from(ds.train.x, (v) => v + offset);
    const queryValues = Float32Array.from(ds.test.x, (v) => v + offset);
    const reference = bruteForce(trainValues, queryValues, n, m, d, "l2");
    const train = tf.tensor2d(trainValues, [n, d]);
    const queries = tf.tensor2d(queryValues, [m, d]);
    for (const strategy of ["dense", "pruned"] as const) {
      for (const k of [1, 3]) {
        const result = await nearestNeighbors(train, queries, k, { strategy });
        let wrong = 0;
        for (let q = 0; q < m; q++) {
          for (let i = 0; i < k; i++) if (result.indices[q * k + i] !== reference[q]![i]!.index) wrong++;
        }
        assert.equal(wrong, 0, `offset ${offset}, ${strategy}, k = ${k}: ${wrong} of ${k * m} neighbours differ from the float64 brute force`);
      }
    }
    tf.dispose([train, queries]);
  }
});
