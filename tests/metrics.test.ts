import { before, test } from "node:test";
import assert from "node:assert/strict";
import {
  accuracy,
  confusionMatrix,
  modelAccuracy,
  misclassifiedIndices,
  numClassesFromLabels,
  perClassAccuracy,
  topConfusions,
} from "../lib/src/eval/metrics.js";
import { createRng } from "../lib/src/core/random.js";
import { InvalidInputError } from "../lib/src/core/checks.js";
import type { TrainableModel } from "../lib/src/core/model.js";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";

before(async () => {
  await initBackend({ log: false });
});

// Hand-computed case, 3 classes, 8 examples.
const truth = [0, 0, 0, 1, 1, 2, 2, 2];
const predicted = [0, 1, 0, 1, 2, 2, 0, 2];

test("numClassesFromLabels: largest label + 1", () => {
  assert.equal(numClassesFromLabels(truth), 3);
  assert.equal(numClassesFromLabels(Int32Array.from([4, 0, 4])), 5);
  assert.equal(numClassesFromLabels([]), 0);
});

test("accuracy on a hand-computed case", () => {
  assert.equal(accuracy(truth, predicted), 5 / 8);
  assert.equal(accuracy(Int32Array.from([3, 3]), Int32Array.from([3, 3])), 1);
  const rejected = (argument: string, message: RegExp) => (err: unknown) => err instanceof InvalidInputError && err.argument === argument && message.test(err.message);
  assert.throws(() => accuracy([], []), rejected("truth", /zero examples/));
  assert.throws(() => accuracy([0, 1], [0]), rejected("predicted", /differ in length: 2 vs 1/));
});

test("a model's accuracy is accuracy() of its predictions; zero examples are rejected, not scored 0", () => {
  // a linear model with fixed weights: class = argmax of x·W, W picks feature 0 for class 0, feature 1 for class 1
  const W = tf.variable(tf.tensor2d([[1, 0], [0, 1]]));
  const model: TrainableModel = {
    numClasses: 2,
    numFeatures: 2,
    params: { W },
    scores: (x) => tf.matMul(x, W),
    lossAndGrads: () => {
      throw new Error("not trained here");
    },
  };
  const examples = { x: Float32Array.from([2, 1, 0, 3, 5, 4, 1, 0]), y: Int32Array.from([0, 1, 1, 0]), n: 4, d: 2 };
  // predictions 0, 1, 0, 0 against 0, 1, 1, 0
  assert.equal(modelAccuracy(model, examples), 3 / 4);
  assert.throws(() => modelAccuracy(model, { x: new Float32Array(0), y: new Int32Array(0), n: 0, d: 2 }), InvalidInputError);
  W.dispose();
});

test("confusion matrix: rows are true classes, columns predictions", () => {
  assert.deepEqual(confusionMatrix(truth, predicted, 3), [
    [2, 1, 0],
    [0, 1, 1],
    [1, 0, 2],
  ]);
});

test("confusion matrix totals match counts on random labels", () => {
  const rng = createRng(3);
  const c = 10, n = 500;
  const t = Int32Array.from({ length: n }, () => rng.int(c));
  const p = Int32Array.from({ length: n }, (_, i) => (rng.next() < 0.7 ? t[i]! : rng.int(c)));
  const matrix = confusionMatrix(t, p, c);
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  assert.equal(total, n);
  for (let k = 0; k < c; k++) {
    assert.equal(matrix[k]!.reduce((a, b) => a + b, 0), t.filter((y) => y === k).length, `row ${k} = true count`);
    assert.equal(matrix.reduce((a, row) => a + row[k]!, 0), p.filter((y) => y === k).length, `column ${k} = predicted count`);
  }
  const diagonal = matrix.reduce((a, row, k) => a + row[k]!, 0);
  assert.equal(diagonal / n, accuracy(t, p));
  assert.equal(misclassifiedIndices(t, p).length, n - diagonal);
});

test("confusion matrix validates label ranges and lengths", () => {
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /true labels\[1\] = 3 is not a class index in 0\.\.2/);
  assert.throws(() => confusionMatrix([0, 1], [0, -1], 3), /predicted labels\[1\] = -1 is not a class index in 0\.\.2/);
  assert.throws(() => confusionMatrix([0, 1.5], [0, 1], 3), /true labels\[1\] = 1\.5 is not a class index/);
  assert.throws(() => confusionMatrix([0, 1], [0], 3), /differ in length/);
  assert.throws(() => confusionMatrix([0], [0], 0), /numClasses must be a positive integer/);
});

test("per-class accuracy is the diagonal over row sums, NaN for absent classes", () => {
  assert.deepEqual(perClassAccuracy(truth, predicted, 3), [2 / 3, 1 / 2, 2 / 3]);
  const withAbsent = perClassAccuracy([0, 0, 2], [0, 2, 2], 3);
  assert.deepEqual(withAbsent.slice(0, 1), [0.5]);
  assert.ok(Number.isNaN(withAbsent[1]));
  assert.equal(withAbsent[2], 1);
});

test("misclassified indices and top confusions", () => {
  assert.deepEqual(Array.from(misclassifiedIndices(truth, predicted)), [1, 4, 6]);
  assert.deepEqual(topConfusions(confusionMatrix(truth, predicted, 3), 2), [
    { truth: 0, predicted: 1, count: 1 },
    { truth: 1, predicted: 2, count: 1 },
  ]);
});
