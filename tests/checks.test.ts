/** The one home of input checks: each rule, its wording, and the conversions from common array types. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkExamples,
  checkFiniteNumber,
  checkFiniteValues,
  checkK,
  checkKnownOptions,
  closestName,
  checkLabels,
  checkOneOf,
  checkPositiveInteger,
  describeValue,
  InvalidInputError,
  toExamples,
  toFloat32,
  toInt32Labels,
} from "../lib/src/core/checks.js";
import type { Examples } from "../lib/src/core/types.js";

/** n rows of d features; row i is [i*d, i*d+1, ...]; label i % 3. */
function ramp(n: number, d: number): Examples {
  return { x: Float32Array.from({ length: n * d }, (_, k) => k), y: Int32Array.from({ length: n }, (_, i) => i % 3), n, d };
}

const invalid = (pattern: RegExp) => (err: unknown) => err instanceof InvalidInputError && pattern.test(err.message);

test("checkFiniteValues finds the first NaN or ±Infinity anywhere, the tail after the last four included", () => {
  // 11 values: 8 in the four-at-a-time loop, 3 in the tail; huge finite values are finite
  const values = Float32Array.from({ length: 11 }, (_, i) => (i % 2 ? 3e38 : -1e-30));
  checkFiniteValues(values, "x");
  checkFiniteValues(Array.from(values), "x");
  for (const [at, bad] of [[0, NaN], [3, Infinity], [6, -Infinity], [9, NaN], [10, Infinity]] as const) {
    const copy = Float32Array.from(values);
    copy[at] = bad;
    copy[Math.min(at + 1, 10)] = at === 10 ? bad : NaN; // a later one is not the one named
    assert.throws(() => checkFiniteValues(copy, "x"), invalid(new RegExp(`^x: x has a non-finite value ${bad} at index ${at}$`)));
    assert.throws(() => checkFiniteValues(copy, "x", 4), invalid(new RegExp(`^x: x has a non-finite value ${bad} at row ${Math.floor(at / 4)}, column ${at % 4}$`)));
  }
});

test("checkExamples: shapes, NaN named by row and column, label range, feature count, emptiness", () => {
  const ex = ramp(4, 2);
  checkExamples(ex, "training set", { numClasses: 3, numFeatures: 2, nonEmpty: true });
  const nan = { ...ex, x: Float32Array.from(ex.x) };
  nan.x[5] = NaN;
  assert.throws(() => checkExamples(nan, "training set"), invalid(/^training set: x has a non-finite value NaN at row 2, column 1$/));
  assert.throws(() => checkExamples(ex, "training set", { numClasses: 2 }), invalid(/^training set labels\[2\] = 2 is not a class index in 0\.\.1$/));
  assert.throws(() => checkExamples({ ...ex, n: 5 }), invalid(/x has 8 values, but n\*d = 5\*2 = 10/));
  assert.throws(() => checkExamples({ ...ex, y: Int32Array.from([0, 1]) }), invalid(/y has 2 labels, but n = 4/));
  assert.throws(() => checkExamples(ex, "validation set", { numFeatures: 3 }), invalid(/validation set: examples have 2 features but 3 are expected/));
  assert.throws(() => checkExamples({ x: new Float32Array(0), y: new Int32Array(0), n: 0, d: 2 }, "training set", { nonEmpty: true }), invalid(/training set: no examples/));
  assert.throws(() => checkExamples(undefined, "training set"), invalid(/training set must be examples \{ x, y, n, d \}, got undefined/));
  assert.throws(() => checkExamples({ ...ex, x: Float64Array.from(ex.x) }, "training set"), invalid(/x must be a Float32Array, got a Float64Array \(convert with toExamples\)/));
  assert.throws(() => checkExamples({ ...ex, y: Int32Array.from([0, -1, 0, 0]) }), invalid(/examples labels\[1\] = -1 is not a class index/));
});

test("toExamples converts number[] and Float64Array once, and passes Float32Array/Int32Array through", () => {
  const ex = ramp(3, 2);
  assert.equal(toExamples(ex).x, ex.x, "no copy when the types are right");
  const fromArrays = toExamples({ x: Array.from(ex.x), y: Array.from(ex.y), d: 2 });
  assert.ok(fromArrays.x instanceof Float32Array && fromArrays.y instanceof Int32Array);
  assert.deepEqual(Array.from(fromArrays.x), Array.from(ex.x));
  assert.equal(fromArrays.n, 3);
  assert.deepEqual(Array.from(toExamples({ ...ex, x: Float64Array.from(ex.x) }).x), Array.from(ex.x));
  assert.throws(() => toExamples({ x: ["1", 2], y: [0], d: 2 }), invalid(/examples: x must hold numbers; element 0 is "1"/));
  assert.throws(() => toExamples({ x: [1, 2], y: [0.5], d: 2 }), invalid(/examples: y\[0\] = 0.5 is not an integer class index/));
  assert.throws(() => toFloat32("abc", "queries"), invalid(/queries must be a Float32Array, Float64Array or number\[\] \(row-major\), got "abc"/));
  assert.throws(() => toInt32Labels(undefined, "labels"), invalid(/labels must be an Int32Array or number\[\] of class indices, got undefined/));
});

test("numbers, enums, k and labels: one wording each", () => {
  checkPositiveInteger(3, "chunkSize");
  for (const bad of [0, -5, 2.5, NaN, "3", undefined]) {
    assert.throws(() => checkPositiveInteger(bad, "chunkSize"), invalid(/^chunkSize must be a positive integer, got /));
  }
  assert.throws(() => checkFiniteNumber("0.1", "learningRate"), invalid(/^learningRate must be a finite number, got "0.1"$/));
  assert.throws(() => checkOneOf("hinge", ["svm", "softmax"], "loss"), invalid(/^loss must be one of "svm", "softmax"; got "hinge"$/));
  assert.throws(() => checkK(0, 5), invalid(/^k must be a positive integer, got 0$/));
  assert.throws(() => checkK(7, 6), invalid(/^k=7 is larger than the 6 training examples$/));
  assert.throws(() => checkLabels([0, 1, 10], 10, "training labels"), invalid(/^training labels\[2\] = 10 is not a class index in 0\.\.9$/));
  assert.throws(() => checkLabels([0], 0), invalid(/^numClasses must be a positive integer, got 0$/));
  assert.equal(describeValue(new Float64Array(2)), "a Float64Array");
  assert.equal(describeValue([1, 2]), "an array of 2");
});

test("unknown option names fail with the closest known name: respelled, initials, or a small typo", () => {
  const training = ["epochs", "iterations", "batchSize", "learningRate", "optimizer", "seed", "onDiverge"];
  assert.equal(closestName("lr", training), "learningRate");
  assert.equal(closestName("bs", training), "batchSize");
  assert.equal(closestName("epoch", training), "epochs");
  assert.equal(closestName("batch_size", training), "batchSize");
  assert.equal(closestName("learning_rate", training), "learningRate");
  assert.equal(closestName("nTrian", ["nTrain", "nTest", "seed"]), "nTrain");
  assert.equal(closestName("momentum", training), undefined);
  assert.throws(() => checkKnownOptions({ epochs: 2, lr: 0.1 }, training, "training options"), (e: unknown) =>
    e instanceof InvalidInputError && e.message === "training options: unknown option 'lr'; did you mean 'learningRate'?");
  assert.throws(() => checkKnownOptions({ momentum: 0.9 }, training, "training options"), /unknown option 'momentum'; known options: 'epochs', 'iterations'/);
  assert.throws(() => checkKnownOptions(5, training, "training options"), /training options must be an object of options, got 5/);
  assert.throws(() => checkKnownOptions([1], training, "training options"), /must be an object of options, got an array of 1/);
  checkKnownOptions(undefined, training, "training options");
  checkKnownOptions({ epochs: 1, seed: 3 }, training, "training options");
});

test("the course's public functions fail with InvalidInputError naming the argument (not a plain Error)", async () => {
  const { makeExamples, subsetExamples } = await import("../lib/src/data/index.js");
  const { kFoldSplit, checkDistanceShapes } = await import("../lib/src/knn/index.js");
  const { svmLossFromScores, checkRegularizer } = await import("../lib/src/losses/index.js");
  const { affineForward } = await import("../lib/src/nn/index.js");
  const { optimizerByName } = await import("../lib/src/optim/index.js");
  const { loadDatasetSync, encodeIdx, encodeNpy } = await import("../lib/src/data/index.js");
  const { createRng, sampleWithoutReplacement } = await import("../lib/src/core/random.js");
  const { toDataFrame } = await import("../lib/src/notebook/tables.js");
  const tfc = await import("@tensorflow/tfjs-core");
  const { initBackend } = await import("../lib/src/runtime/backend.js");
  await initBackend({ log: false });
  const cases: [string, () => unknown, string][] = [
    ["makeExamples with d = 0", () => makeExamples(new Float32Array(4), new Int32Array(2), 0), "d"],
    ["subsetExamples asking for more than there are", () => subsetExamples(makeExamples(new Float32Array(4), Int32Array.of(0, 1), 2), 5, 1), "count"],
    ["kFoldSplit into more folds than examples", () => kFoldSplit(3, 5, 1), "folds"],
    ["distances between rows of different widths", () => checkDistanceShapes(tfc.zeros([2, 3]), tfc.zeros([4, 5])), "queries"],
    ["scores and labels of different lengths", () => svmLossFromScores(tfc.zeros([3, 2]) as never, Int32Array.of(0, 1)), "y"],
    ["a negative regularisation strength", () => checkRegularizer({ kind: "l2", strength: -1 }), "reg"],
    ["an affine layer whose W does not fit x", () => affineForward(tfc.zeros([2, 3]) as never, tfc.zeros([4, 5]) as never, tfc.zeros([5]) as never), "x"],
    ["an unknown optimiser name", () => optimizerByName("adamw" as never), "name"],
    ["an unknown dataset name", () => loadDatasetSync("mnist-100k" as never), "name"],
    ["an IDX file whose dimensions do not hold the data", () => encodeIdx([2, 3], new Uint8Array(5)), "data"],
    ["a .npy shape that does not hold the data", () => encodeNpy([1, 2, 3], [2, 2]), "data"],
    ["a non-finite seed", () => createRng(NaN), "seed"],
    ["more distinct samples than items", () => sampleWithoutReplacement(3, 4, 0), "count"],
    ["a table of no rows", () => toDataFrame([]), "rows"],
  ];
  for (const [what, run, argument] of cases) {
    assert.throws(run, (err: unknown) => err instanceof InvalidInputError && err.argument === argument, what);
  }
});
