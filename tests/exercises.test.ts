/**
 * The graded exercises (assignment mode, `assignment/exercises.json`): one or more tests per
 * exercise, each named "<exercise>: ...", so the grader can run one exercise's tests alone with
 * `--test-name-pattern`. Each test checks the student's function on small inputs against values
 * worked by hand, float64 references, numerical gradients or library code that is not an exercise,
 * and stays fast (the grader runs each exercise in its own process with a time limit).
 *
 * With the solution these pass like every other test; in the released student version each fails
 * with "not implemented yet: <exercise>" until the student writes that function.
 *
 * The files students edit are imported inside the tests that use them (`lib.*` below), so a file
 * that does not load (a syntax error, a throw at import) fails only the exercises that need it.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { createRng } from "../lib/src/core/random.js";
import type { TrainableModel } from "../lib/src/core/model.js";
import type { DistanceMatrix } from "../lib/src/knn/distances.js";
import { KnnClassifier } from "../lib/src/knn/knn.js";
import { selectExamples } from "../lib/src/data/preprocess.js";
import { accuracy } from "../lib/src/eval/metrics.js";
import type { ArrayBatch, LinearWeightsNaive } from "../lib/src/losses/losses.js";
import { l2Regularizer } from "../lib/src/losses/regularizers.js";
import { enableAutodiff } from "../lib/src/nn/autodiff.js";
import { initNetworkParams } from "../lib/src/nn/init.js";
import type { NetworkConfig } from "../lib/src/nn/network.js";
import type { Optimizer } from "../lib/src/optim/optimizers.js";
import { gradCheckTensors } from "../lib/src/optim/gradcheck.js";
import { randomBatch, referenceDistances, threeBlobs } from "./helpers.js";

/** The modules with exercises, loaded on first use. */
const lib = {
  distances: () => import("../lib/src/knn/distances.js"),
  crossval: () => import("../lib/src/knn/crossval.js"),
  losses: () => import("../lib/src/losses/losses.js"),
  step: () => import("../lib/src/training/step.js"),
  layers: () => import("../lib/src/nn/layers.js"),
  network: () => import("../lib/src/nn/network.js"),
  optimizers: () => import("../lib/src/optim/optimizers.js"),
  space: () => import("../lib/src/tune/space.js"),
};

before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * cols }, () => rng.next());
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} entries, expected ${expected.length}`);
  for (let k = 0; k < expected.length; k++) {
    const diff = Math.abs(actual[k]! - expected[k]!);
    assert.ok(diff <= tol * Math.max(1, Math.abs(expected[k]!)), `${what}[${k}] is ${actual[k]}, expected ${expected[k]}`);
  }
}

/** Largest |a − b| / max(|a| + |b|, 1e-3): how far two gradients disagree. */
function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length, "gradient sizes differ");
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(x[i]!) + Math.abs(y[i]!), 1e-3));
  return worst;
}

// -------------------------------------------------------------------------------------------------
// kNN distances

const M = 5, N = 7, D = 6;
const queriesData = randomMatrix(M, D, 1);
const trainData = randomMatrix(N, D, 2);

type DistanceFunction = (q: tf.Tensor2D, t: tf.Tensor2D, metric: "l1" | "l2") => DistanceMatrix;

function checkDistances(method: DistanceFunction): void {
  const queries = tf.tensor2d(queriesData, [M, D]);
  const train = tf.tensor2d(trainData, [N, D]);
  try {
    const before = tf.memory().numTensors;
    for (const metric of ["l2", "l1"] as const) {
      const got = method(queries, train, metric);
      assert.equal(got.rows, M, `${metric}: rows`);
      assert.equal(got.cols, N, `${metric}: cols`);
      assertClose(got.values, referenceDistances(queriesData, trainData, M, N, D, metric), 1e-4, `${metric} distances`);
    }
    // (1, 1) to (4, 5): L2 = 5, L1 = 7; to itself 0.
    const q = tf.tensor2d([[1, 1]]);
    const t = tf.tensor2d([[4, 5], [1, 1]]);
    assertClose(method(q, t, "l2").values, [5, 0], 1e-6, "hand-computed L2");
    assertClose(method(q, t, "l1").values, [7, 0], 1e-6, "hand-computed L1");
    tf.dispose([q, t]);
    assert.equal(tf.memory().numTensors, before, "tensors leaked (dispose or tf.tidy your temporaries)");
  } finally {
    tf.dispose([queries, train]);
  }
}

test("knn-distances-two-loops: L1 and L2 distances match a float64 reference and a hand-computed case", async () => {
  checkDistances((await lib.distances()).distancesTwoLoops);
});

test("knn-distances-one-loop: L1 and L2 distances match a float64 reference and a hand-computed case", async () => {
  checkDistances((await lib.distances()).distancesOneLoop);
});

test("knn-distances-no-loops: L1 and L2 distances match a float64 reference and a hand-computed case", async () => {
  const { distancesNoLoops } = await lib.distances();
  checkDistances((q, t, metric) => distancesNoLoops(q, t, metric));
});

test("knn-distances-no-loops: chunks of queries cover every row once, with the same values", async () => {
  const { forEachDistanceChunk } = await lib.distances();
  const queries = tf.tensor2d(queriesData, [M, D]);
  const train = tf.tensor2d(trainData, [N, D]);
  try {
    for (const metric of ["l2", "l1"] as const) {
      const want = referenceDistances(queriesData, trainData, M, N, D, metric);
      const starts: number[] = [];
      forEachDistanceChunk(queries, train, metric, (first, block) => {
        starts.push(first);
        assert.equal(block.shape[1], N);
        assertClose(block.dataSync(), want.subarray(first * N, (first + block.shape[0]) * N), 1e-4, `${metric} chunk at ${first}`);
      }, { maxElements: metric === "l2" ? 2 * N : 2 * N * D });
      assert.deepEqual(starts, [0, 2, 4], `${metric}: chunks of 2 queries`);
    }
  } finally {
    tf.dispose([queries, train]);
  }
});

// -------------------------------------------------------------------------------------------------
// Cross-validation

test("kfold-split: folds are disjoint, cover every index, differ in size by at most one, and are seeded", async () => {
  const { kFoldSplit } = await lib.crossval();
  for (const [n, folds] of [[10, 3], [12, 4], [7, 7], [23, 5]] as const) {
    const split = kFoldSplit(n, folds, 42);
    assert.equal(split.length, folds);
    const seen = new Array<number>(n).fill(0);
    const sizes = split.map((f) => f.validation.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
    for (const fold of split) {
      assert.equal(fold.train.length + fold.validation.length, n);
      const held = new Set(fold.validation);
      for (const i of fold.train) assert.ok(!held.has(i), `index ${i} is in both parts of a fold`);
      for (let k = 1; k < fold.validation.length; k++) assert.ok(fold.validation[k - 1]! < fold.validation[k]!, "validation indices ascending");
      for (let k = 1; k < fold.train.length; k++) assert.ok(fold.train[k - 1]! < fold.train[k]!, "train indices ascending");
      for (const i of fold.validation) seen[i]!++;
    }
    assert.deepEqual(seen, new Array<number>(n).fill(1), "every index is held out exactly once");
  }
  const a = kFoldSplit(50, 5, 1).map((f) => Array.from(f.validation));
  assert.deepEqual(a, kFoldSplit(50, 5, 1).map((f) => Array.from(f.validation)), "same seed, same folds");
  assert.notDeepEqual(a, kFoldSplit(50, 5, 2).map((f) => Array.from(f.validation)), "another seed, other folds");
  assert.notDeepEqual(a[0], Array.from({ length: 10 }, (_, i) => i), "the indices are shuffled before splitting");
});


test("knn-cross-validation: every (metric, k) score matches fitting each fold separately", async () => {
  const { crossValidateKnn, kFoldSplit } = await lib.crossval();
  const data = threeBlobs(60, 5);
  const cv = await crossValidateKnn(data, { ks: [1, 3, 5], metrics: ["l2", "l1"], folds: 3, seed: 11, numClasses: 3, showProgress: false });
  assert.equal(cv.scores.length, 6);
  const folds = kFoldSplit(60, 3, 11);
  for (const score of cv.scores) {
    assert.equal(score.foldAccuracies.length, 3);
    for (let f = 0; f < 3; f++) {
      const fold = folds[f]!;
      const knn = await new KnnClassifier({ k: score.k, metric: score.metric }).fit(selectExamples(data, fold.train), { numClasses: 3 });
      const heldOut = selectExamples(data, fold.validation);
      const want = accuracy(heldOut.y, await knn.predict(heldOut.x));
      assert.ok(Math.abs(score.foldAccuracies[f]! - want) < 1e-12, `${score.metric}, k=${score.k}, fold ${f}: ${score.foldAccuracies[f]} vs ${want}`);
    }
    const mean = score.foldAccuracies.reduce((s, v) => s + v, 0) / 3;
    assert.ok(Math.abs(score.mean - mean) < 1e-12);
  }
});

// -------------------------------------------------------------------------------------------------
// Linear losses, naive. Worked by hand (D = 2, C = 3, b = 0):
//   W = [[1, 0, −1], [0, 1, 2]];  x₁ = (1, 2), y₁ = 0 -> s₁ = (1, 2, 3);  x₂ = (−1, 1), y₂ = 2 -> s₂ = (−1, 1, 3)
// SVM (Δ = 1): L₁ = 2 + 3 = 5, L₂ = 0, L = 2.5; dW = [[−1, 0.5, 0.5], [−2, 1, 1]], db = [−1, 0.5, 0.5]
// Softmax: L = (log(1 + e + e²) + log(1 + e⁻² + e⁻⁴))/2 = 1.2752688; dW and db as below.

const hand = {
  weights: { W: new Float64Array([1, 0, -1, 0, 1, 2]), b: new Float64Array(3), d: 2, c: 3 } as LinearWeightsNaive,
  batch: { x: new Float64Array([1, 2, -1, 1]), y: new Int32Array([0, 2]), n: 2, d: 2 } as ArrayBatch,
  svm: { loss: 2.5, dW: [-1, 0.5, 0.5, -2, 1, 1], db: [-1, 0.5, 0.5] },
  softmax: { loss: 1.2752688, dW: [-0.4629228, 0.063709, 0.3992138, -0.9020313, 0.3033837, 0.5986476], db: [-0.4470466, 0.1810194, 0.2660271] },
};

type NaiveLoss = (weights: LinearWeightsNaive, batch: ArrayBatch, options?: { reg?: ReturnType<typeof l2Regularizer>; delta?: number }) => { loss: number; dW: Float64Array; db?: Float64Array };

/** Central differences of the loss in W, against the returned dW (float64: tight). */
function checkNaiveGradient(lossFn: NaiveLoss, seed: number): void {
  const batch = randomBatch(6, 5, 4, seed);
  const rng = createRng(seed + 1);
  const W = Float64Array.from({ length: 5 * 4 }, () => 0.5 * rng.normal());
  const options = { reg: l2Regularizer(0.1) };
  const { dW } = lossFn({ W, d: 5, c: 4 }, batch, options);
  const h = 1e-6;
  for (let k = 0; k < W.length; k++) {
    const plus = Float64Array.from(W);
    const minus = Float64Array.from(W);
    plus[k] += h;
    minus[k] -= h;
    const numeric = (lossFn({ W: plus, d: 5, c: 4 }, batch, options).loss - lossFn({ W: minus, d: 5, c: 4 }, batch, options).loss) / (2 * h);
    assert.ok(Math.abs(numeric - dW[k]!) < 1e-4 * Math.max(1, Math.abs(numeric)), `dW[${k}] is ${dW[k]}, numerically ${numeric}`);
  }
}

test("svm-loss-naive: loss and gradients on the two-example case worked by hand", async () => {
  const { svmLossNaive } = await lib.losses();
  const r = svmLossNaive(hand.weights, hand.batch);
  assert.ok(Math.abs(r.loss - hand.svm.loss) < 1e-9, `loss ${r.loss}, expected ${hand.svm.loss}`);
  assertClose(r.dW, hand.svm.dW, 1e-9, "dW");
  assertClose(r.db!, hand.svm.db, 1e-9, "db");
  const zero = randomBatch(7, 12, 10, 1);
  assert.ok(Math.abs(svmLossNaive({ W: new Float64Array(120), d: 12, c: 10 }, zero).loss - 9) < 1e-12, "W = 0 gives (C − 1)·Δ = 9");
  assert.ok(Math.abs(svmLossNaive({ W: new Float64Array(120), d: 12, c: 10 }, zero, { delta: 2 }).loss - 18) < 1e-12, "Δ = 2 gives 18");
});

test("svm-loss-naive: dW matches numerical gradients (with L2)", async () => {
  checkNaiveGradient((await lib.losses()).svmLossNaive, 3);
});

test("softmax-loss-naive: loss and gradients on the two-example case worked by hand", async () => {
  const { softmaxLossNaive } = await lib.losses();
  const r = softmaxLossNaive(hand.weights, hand.batch);
  assert.ok(Math.abs(r.loss - hand.softmax.loss) < 1e-6, `loss ${r.loss}, expected ${hand.softmax.loss}`);
  assertClose(r.dW, hand.softmax.dW, 1e-6, "dW");
  assertClose(r.db!, hand.softmax.db, 1e-6, "db");
  const zero = randomBatch(7, 12, 10, 1);
  assert.ok(Math.abs(softmaxLossNaive({ W: new Float64Array(120), d: 12, c: 10 }, zero).loss - Math.log(10)) < 1e-12, "W = 0 gives ln C");
});

test("softmax-loss-naive: dW matches numerical gradients (with L2), and huge scores stay finite", async () => {
  const { softmaxLossNaive } = await lib.losses();
  checkNaiveGradient(softmaxLossNaive, 4);
  const big = softmaxLossNaive({ W: new Float64Array([1000, 0, 0, 1000]), d: 2, c: 2 }, { x: new Float64Array([1, 0]), y: new Int32Array([1]), n: 1, d: 2 });
  assert.ok(Math.abs(big.loss - 1000) < 1e-9, `loss ${big.loss} (expected 1000: subtract the row max before exp)`);
});

// -------------------------------------------------------------------------------------------------
// Losses from scores, vectorised: against the loop versions (not exercises) on random scores.

function checkVectorizedLoss(
  vectorized: (s: tf.Tensor2D, y: Int32Array) => { loss: tf.Scalar; dScores: tf.Tensor2D },
  naive: (s: ArrayLike<number>, n: number, c: number, y: ArrayLike<number>) => { loss: number; dScores: Float64Array },
): void {
  const n = 9, c = 5;
  const rng = createRng(21);
  const scores = Float32Array.from({ length: n * c }, () => 2 * rng.normal());
  const y = Int32Array.from({ length: n }, () => rng.int(c));
  const before = tf.memory().numTensors;
  const scoresTensor = tf.tensor2d(scores, [n, c]);
  const got = vectorized(scoresTensor, y);
  const want = naive(scores, n, c, y);
  assert.ok(Math.abs(got.loss.dataSync()[0]! - want.loss) < 1e-5 * Math.max(1, want.loss), `loss ${got.loss.dataSync()[0]}, expected ${want.loss}`);
  assert.deepEqual(got.dScores.shape, [n, c]);
  assertClose(got.dScores.dataSync(), want.dScores, 1e-5, "dScores");
  tf.dispose([scoresTensor, got.loss, got.dScores]);
  assert.equal(tf.memory().numTensors, before, "tensors leaked (use tf.tidy)");
  // The two-example case worked by hand: scores (1, 2, 3) and (−1, 1, 3), labels 0 and 2.
  tf.tidy(() => {
    const r = vectorized(tf.tensor2d([[1, 2, 3], [-1, 1, 3]]), new Int32Array([0, 2]));
    const expected = naive([1, 2, 3, -1, 1, 3], 2, 3, [0, 2]);
    assert.ok(Math.abs(r.loss.dataSync()[0]! - expected.loss) < 1e-5);
  });
}

test("svm-loss-vectorized: loss and dScores match the loop version, no tensors leak", async () => {
  const { svmLossFromScores, svmLossFromScoresNaive } = await lib.losses();
  checkVectorizedLoss((s, y) => svmLossFromScores(s, y), (s, n, c, y) => svmLossFromScoresNaive(s, n, c, y));
  tf.tidy(() => {
    const r = svmLossFromScores(tf.tensor2d([[1, 2, 3], [-1, 1, 3]]), new Int32Array([0, 2]), 1);
    assert.ok(Math.abs(r.loss.dataSync()[0]! - 2.5) < 1e-6, "hand-computed loss 2.5");
    assertClose(r.dScores.dataSync(), [-1, 0.5, 0.5, 0, 0, 0], 1e-6, "hand-computed dScores");
  });
});

test("softmax-loss-vectorized: loss and dScores match the loop version, no tensors leak, huge scores stay finite", async () => {
  const { softmaxLossFromScores, softmaxLossFromScoresNaive } = await lib.losses();
  checkVectorizedLoss((s, y) => softmaxLossFromScores(s, y), softmaxLossFromScoresNaive);
  tf.tidy(() => {
    const r = softmaxLossFromScores(tf.tensor2d([[1000, 0], [0, 1000]]), new Int32Array([1, 1]));
    const loss = r.loss.dataSync()[0]!;
    assert.ok(Math.abs(loss - 500) < 1e-3, `loss ${loss} (expected 500: subtract the row max before exp)`);
    for (const v of r.dScores.dataSync()) assert.ok(Number.isFinite(v), "dScores are finite");
  });
});

// -------------------------------------------------------------------------------------------------
// The training step

/** Makes variable names unique within the process (tfjs requires it), deterministically. */
let variableCount = 0;

/** loss(w) = ½ Σ a_k w_k² on a single parameter w (x and y unused): gradient a ⊙ w. */
function quadraticModel(w0: number[], a: number[], lossOverride?: number): TrainableModel {
  const w = tf.tidy(() => tf.variable(tf.tensor1d(w0), true, `quadratic-w${++variableCount}`));
  const aT = tf.tensor1d(a);
  return {
    numClasses: 2,
    numFeatures: 1,
    params: { w },
    lossAndGrads: () => tf.tidy(() => ({
      loss: lossOverride === undefined ? tf.mul(0.5, tf.sum(tf.mul(aT, tf.square(w)))) as tf.Scalar : tf.scalar(lossOverride),
      grads: { w: tf.mul(aT, w) },
    })),
    scores: (x) => tf.zeros([x.shape[0], 2]) as tf.Tensor2D,
  };
}

test("training-step: returns the loss before the update, applies the optimiser once, frees its tensors", async () => {
  const { trainingStep } = await lib.step();
  const { sgdOptimizer } = await lib.optimizers();
  const model = quadraticModel([1, 1], [1, 10]);
  const x = tf.zeros([1, 1]) as tf.Tensor2D;
  const y = tf.zeros([1], "int32") as tf.Tensor1D;
  const optimizer = sgdOptimizer();
  const before = tf.memory().numTensors;
  // loss(1, 1) = ½(1 + 10) = 5.5; SGD with α = 0.05: w = (1 − 0.05, 1 − 0.5) = (0.95, 0.5)
  const loss = trainingStep(model, x, y, optimizer, 0.05);
  assert.equal(typeof loss, "number");
  assert.ok(Math.abs(loss - 5.5) < 1e-6, `returned ${loss}, expected the loss before the update, 5.5`);
  assertClose(model.params.w!.dataSync(), [0.95, 0.5], 1e-6, "w after one step");
  // loss(0.95, 0.5) = ½(0.9025 + 2.5) = 1.70125
  assert.ok(Math.abs(trainingStep(model, x, y, optimizer, 0.05) - 1.70125) < 1e-5);
  assert.equal(tf.memory().numTensors, before, "tensors leaked (use tf.tidy)");
});

test("training-step: a non-finite loss skips the update", async () => {
  const { trainingStep } = await lib.step();
  const { sgdOptimizer } = await lib.optimizers();
  const model = quadraticModel([1, 2], [1, 1], Number.NaN);
  const x = tf.zeros([1, 1]) as tf.Tensor2D;
  const y = tf.zeros([1], "int32") as tf.Tensor1D;
  const loss = trainingStep(model, x, y, sgdOptimizer(), 0.1);
  assert.ok(Number.isNaN(loss), `returned ${loss}, expected NaN`);
  assertClose(model.params.w!.dataSync(), [1, 2], 0, "w unchanged");
});

// -------------------------------------------------------------------------------------------------
// Layers

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

test("affine-forward: out = x·W + b worked by hand, with the cache the backward pass needs", async () => {
  const { affineForward } = await lib.layers();
  tf.tidy(() => {
    // x = [[1, 2], [3, 4]], W = [[1, 0, 2], [0, 1, −1]], b = (0.5, 0, 1)
    // x·W = [[1, 2, 0], [3, 4, 2]]; + b = [[1.5, 2, 1], [3.5, 4, 3]]
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const W = tf.tensor2d([[1, 0, 2], [0, 1, -1]]);
    const b = tf.tensor1d([0.5, 0, 1]);
    const { out, cache } = affineForward(x, W, b);
    assert.deepEqual(out.shape, [2, 3]);
    assertClose(out.dataSync(), [1.5, 2, 1, 3.5, 4, 3], 1e-6, "out");
    assert.equal(cache.x, x, "cache.x is the input");
    assert.equal(cache.W, W, "cache.W is the weights");
  });
});

test("affine-backward: dx, dW, db against numerical gradients and tf.grad; no dx for a first layer", async () => {
  const { affineBackward } = await lib.layers();
  tf.tidy(() => {
    const x = randomTensor([5, 3], 3) as tf.Tensor2D;
    const W = randomTensor([3, 4], 4) as tf.Tensor2D;
    const b = randomTensor([4], 5) as tf.Tensor1D;
    const upstream = randomTensor([5, 4], 6) as tf.Tensor2D;
    // loss = Σ (x·W + b) ⊙ upstream, so ∂loss/∂out = upstream (written without affineForward).
    const f = (xx: tf.Tensor, WW: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.add(tf.matMul(xx as tf.Tensor2D, WW as tf.Tensor2D), bb), upstream));
    const { dx, dW, db } = affineBackward(upstream, { x, W });
    assert.ok(dx, "dx is returned when needInput is true (the default)");
    assert.deepEqual(dx.shape, [5, 3]);
    assert.deepEqual(dW.shape, [3, 4]);
    assert.deepEqual(db.shape, [4]);
    const report = gradCheckTensors({ params: { x, W, b }, grads: { x: dx, W: dW, b: db }, loss: (p) => f(p.x!, p.W!, p.b!) }, { samples: 12 });
    assert.ok(report.passed, report.summary);
    const [ax, aW, ab] = tf.grads(f)([x, W, b]);
    assert.ok(maxRelativeDifference(dx, ax!) < 1e-4, "dx vs tf.grad");
    assert.ok(maxRelativeDifference(dW, aW!) < 1e-4, "dW vs tf.grad");
    assert.ok(maxRelativeDifference(db, ab!) < 1e-4, "db vs tf.grad");
    assert.equal(affineBackward(upstream, { x, W }, false).dx, undefined, "needInput = false omits dx");
  });
});

test("relu-forward: max(0, z) element-wise, caching z", async () => {
  const { reluForward } = await lib.layers();
  tf.tidy(() => {
    const z = tf.tensor2d([[-2, 0, 3], [1.5, -0.1, 0.2]]);
    const { out, cache } = reluForward(z);
    assert.deepEqual(out.shape, [2, 3]);
    assertClose(out.dataSync(), [0, 0, 3, 1.5, 0, 0.2], 1e-7, "out");
    assertClose(cache.z.dataSync(), z.dataSync(), 0, "cache.z");
  });
});

test("relu-backward: passes the upstream gradient where z > 0 and 0 elsewhere (0 at the kink)", async () => {
  const { reluBackward } = await lib.layers();
  tf.tidy(() => {
    const z = tf.tensor2d([[-2, 0, 3], [1.5, -0.1, 0.2]]);
    const dout = tf.tensor2d([[10, 20, 30], [40, 50, 60]]);
    const dz = reluBackward(dout, { z, a: tf.relu(z) });
    assert.deepEqual(dz.shape, [2, 3]);
    assertClose(dz.dataSync(), [0, 0, 30, 40, 0, 60], 1e-7, "dz");
  });
});

// -------------------------------------------------------------------------------------------------
// The two-layer network

test("network-loss-and-grads: the 2-layer ReLU net's loss and gradients (softmax and SVM, with L2) match tf.grad", async () => {
  const { networkLoss, networkLossAndGrads } = await lib.network();
  const x = randomTensor([6, 4], 31) as tf.Tensor2D;
  const y = new Int32Array([0, 1, 2, 0, 1, 2]);
  const params = initNetworkParams([4, 5, 3], 0.5, 7);
  try {
    for (const config of [{ loss: "softmax", reg: 0.05 }, { loss: "svm", reg: 0 }] as NetworkConfig[]) {
      tf.tidy(() => {
        const { loss, grads } = networkLossAndGrads(params, x, y, config);
        const want = networkLoss(params, x, y, config).dataSync()[0]!;
        assert.ok(Math.abs(loss.dataSync()[0]! - want) < 1e-5 * Math.max(1, want), `${config.loss}: loss ${loss.dataSync()[0]}, expected ${want}`);
        const names = ["W1", "b1", "W2", "b2"];
        assert.deepEqual(Object.keys(grads).sort(), [...names].sort(), "one gradient per parameter");
        const auto = tf.grads((...ps: tf.Tensor[]) => networkLoss(Object.fromEntries(names.map((n, i) => [n, ps[i]!])), x, y, config))(names.map((n) => params[n]!));
        names.forEach((name, i) => {
          assert.deepEqual(grads[name]!.shape, params[name]!.shape, `${name} gradient shape`);
          const diff = maxRelativeDifference(grads[name]!, auto[i]!);
          assert.ok(diff < 1e-3, `${config.loss}: ${name} differs from tf.grad by ${diff}`);
        });
      });
    }
  } finally {
    tf.dispose([x, ...Object.values(params)]);
  }
});

// -------------------------------------------------------------------------------------------------
// SGD with momentum

/** Steps of an optimiser on loss ½ Σ a_k w_k², a = (1, 10), from w = (1, 1); the final w. */
function runQuadratic(optimizer: Optimizer, steps: number, lr: number): number[] {
  const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 1]), true, `momentum-w${++variableCount}`));
  const a = tf.tensor1d([1, 10]);
  for (let t = 0; t < steps; t++) {
    const g = tf.mul(a, w);
    optimizer.step({ w }, { w: g }, lr);
    g.dispose();
  }
  const out = Array.from(w.dataSync());
  tf.dispose([w, a]);
  optimizer.dispose();
  return out;
}

test("sgd-momentum: two steps worked by hand (velocity form), both forms agree under a constant rate", async () => {
  const { momentumOptimizer } = await lib.optimizers();
  // ρ = 0.9, α = 0.05: g₀ = (1, 10); v₁ = g₀; w₁ = (0.95, 0.5)
  //   g₁ = (0.95, 5); v₂ = 0.9·(1, 10) + (0.95, 5) = (1.85, 14); w₂ = (0.8575, −0.2)
  assertClose(runQuadratic(momentumOptimizer({ momentum: 0.9 }), 1, 0.05), [0.95, 0.5], 1e-6, "w after one step");
  assertClose(runQuadratic(momentumOptimizer({ momentum: 0.9 }), 2, 0.05), [0.8575, -0.2], 1e-6, "w after two steps");
  // lr-in-velocity: v ← ρv − αg; w ← w + v (the same path while α is constant)
  assertClose(runQuadratic(momentumOptimizer({ momentum: 0.9, form: "lr-in-velocity" }), 2, 0.05), [0.8575, -0.2], 1e-6, "lr-in-velocity form");
  const a = runQuadratic(momentumOptimizer({ form: "velocity" }), 30, 0.02);
  const b = runQuadratic(momentumOptimizer({ form: "lr-in-velocity" }), 30, 0.02);
  assertClose(a, b, 1e-5, "the two forms after 30 steps");
  const before = tf.memory().numTensors;
  runQuadratic(momentumOptimizer(), 5, 0.01);
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
});

// -------------------------------------------------------------------------------------------------
// Random search

test("random-search: configurations stay in range, are reproducible by seed, and log-uniform draws spread over decades", async () => {
  const { choice, fixed, intRange, logUniform, randomConfigs, uniform } = await lib.space();
  const space = { lr: logUniform(1e-4, 1), reg: uniform(0, 0.5), hidden: intRange(10, 20), opt: choice("sgd", "adam"), batch: fixed(64) };
  const a = randomConfigs(space, 2000, 7);
  assert.equal(a.length, 2000);
  assert.deepEqual(randomConfigs(space, 0, 7), []);
  assert.deepEqual(a, randomConfigs(space, 2000, 7), "same seed, same configurations");
  assert.notDeepEqual(a.slice(0, 5), randomConfigs(space, 5, 8), "another seed, other configurations");
  const decades = [0, 0, 0, 0];
  for (const c of a) {
    assert.deepEqual(Object.keys(c).sort(), ["batch", "hidden", "lr", "opt", "reg"]);
    const lr = c.lr as number;
    assert.ok(lr >= 1e-4 && lr <= 1, `lr ${lr} is outside 1e-4..1`);
    assert.ok((c.reg as number) >= 0 && (c.reg as number) <= 0.5, `reg ${c.reg} is outside 0..0.5`);
    assert.ok(Number.isInteger(c.hidden) && (c.hidden as number) >= 10 && (c.hidden as number) <= 20, `hidden ${c.hidden}`);
    assert.ok(c.opt === "sgd" || c.opt === "adam", `opt ${c.opt}`);
    assert.equal(c.batch, 64);
    decades[Math.min(3, Math.floor(Math.log10(lr) + 4))]!++;
  }
  // Uniform on the log scale: each decade 1e-4..1e-3, ..., 1e-1..1 gets about a quarter.
  for (const count of decades) assert.ok(count > 400 && count < 600, `draws per decade ${decades} (sample the exponent uniformly)`);
  assert.equal(new Set(a.map((c) => c.hidden)).size, 11, "both ends of an integer range are drawn");
  assert.equal(new Set(a.map((c) => c.opt)).size, 2, "every choice is drawn");
});
