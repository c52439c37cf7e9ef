import { test } from "node:test";
import assert from "node:assert/strict";
import {
  accuracy,
  confusionMatrix,
  misclassifiedIndices,
  numClassesFromLabels,
  perClassAccuracy,
  topConfusions,
} from "../lib/src/eval/metrics.js";
import { createRng } from "../lib/src/core/random.js";

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
  assert.throws(() => accuracy([], []), /zero examples/);
  assert.throws(() => accuracy([0, 1], [0]), /differ in length: 2 vs 1/);
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
