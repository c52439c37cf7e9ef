import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { crossValidateKnn, kFoldSplit, pickBestScore, type KnnCrossValidationScore } from "../lib/src/knn/crossval.js";
import { KnnClassifier } from "../lib/src/knn/knn.js";
import { accuracy } from "../lib/src/eval/metrics.js";
import { selectExamples } from "../lib/src/data/preprocess.js";
import { threeBlobs } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

test("k-fold splits are disjoint, cover everything, and differ in size by at most one", () => {
  for (const [n, folds] of [[10, 5], [23, 5], [7, 7], [101, 3]] as const) {
    const split = kFoldSplit(n, folds, 42);
    assert.equal(split.length, folds);
    const seen = new Int32Array(n);
    const sizes = split.map((f) => f.validation.length);
    for (const fold of split) {
      for (const i of fold.validation) seen[i]!++;
      assert.equal(fold.train.length + fold.validation.length, n);
      const held = new Set(fold.validation);
      for (const i of fold.train) assert.ok(!held.has(i), `row ${i} is in both train and validation`);
      assert.equal(new Set(fold.train).size, fold.train.length);
    }
    assert.ok(seen.every((c) => c === 1), "each row is held out exactly once");
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
  }
});

test("k-fold splitting is seeded", () => {
  const a = kFoldSplit(50, 5, 1).map((f) => Array.from(f.validation));
  const b = kFoldSplit(50, 5, 1).map((f) => Array.from(f.validation));
  const c = kFoldSplit(50, 5, 2).map((f) => Array.from(f.validation));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.throws(() => kFoldSplit(3, 5, 0), /cannot split 3 examples into 5/);
  assert.throws(() => kFoldSplit(10, 1, 0), /folds must be an integer ≥ 2/);
});


test("cross-validation matches fitting each fold separately, for every k and metric", async () => {
  const data = threeBlobs(90, 5);
  const ks = [1, 3, 4, 9];
  const tensorsBefore = tf.memory().numTensors;
  const result = await crossValidateKnn(data, { ks: [9, 1, 4, 3, 3], folds: 4, seed: 11, showProgress: false });
  assert.equal(tf.memory().numTensors, tensorsBefore, "cross-validation leaks no tensors");
  assert.deepEqual(result.ks, ks);
  assert.deepEqual(result.metrics, ["l2", "l1"]);
  assert.equal(result.scores.length, 8);
  const folds = kFoldSplit(90, 4, 11);
  for (const score of result.scores) {
    const expected: number[] = [];
    for (const fold of folds) {
      const knn = await new KnnClassifier({ k: score.k, metric: score.metric }).fit(selectExamples(data, fold.train), { numClasses: 3 });
      const held = selectExamples(data, fold.validation);
      expected.push(accuracy(held.y, await knn.predict(held.x)));
      knn.dispose();
    }
    assert.deepEqual(score.foldAccuracies, expected, `${score.metric} k=${score.k}`);
    const mean = expected.reduce((a, b) => a + b) / 4;
    assert.ok(Math.abs(score.mean - mean) < 1e-12);
    assert.ok(Math.abs(score.std - Math.sqrt(expected.reduce((a, b) => a + (b - mean) ** 2, 0) / 4)) < 1e-12);
  }
  const bestMean = Math.max(...result.scores.map((s) => s.mean));
  assert.equal(result.best.mean, bestMean);
});

test("best score: highest mean, then smaller k, then the metric listed first", () => {
  const s = (metric: "l1" | "l2", k: number, mean: number): KnnCrossValidationScore => ({ metric, k, mean, std: 0, foldAccuracies: [mean] });
  assert.deepEqual(pickBestScore([s("l2", 1, 0.8), s("l2", 3, 0.9), s("l1", 1, 0.85)], ["l2", "l1"]), s("l2", 3, 0.9));
  assert.deepEqual(pickBestScore([s("l2", 5, 0.9), s("l2", 3, 0.9), s("l1", 7, 0.9)], ["l2", "l1"]), s("l2", 3, 0.9));
  assert.deepEqual(pickBestScore([s("l2", 3, 0.9), s("l1", 3, 0.9)], ["l1", "l2"]), s("l1", 3, 0.9));
});

test("cross-validation rejects bad options", async () => {
  const data = threeBlobs(20, 1);
  await assert.rejects(crossValidateKnn(data, { ks: [] }), /ks is empty/);
  await assert.rejects(crossValidateKnn(data, { ks: [0] }), /positive integer/);
  await assert.rejects(crossValidateKnn(data, { ks: [17], folds: 5, showProgress: false }), /k=17 is larger than a fold's 16/);
  await assert.rejects(crossValidateKnn(data, { ks: [1], metrics: ["cosine" as "l1"] }), /metric must be one of "l2", "l1"; got "cosine"/);
  await assert.rejects(crossValidateKnn(data, { ks: [1], numClasses: 1 }), /crossValidateKnn labels\[1\] = 1 is not a class index in 0\.\.0/);
  const withNaN = { ...data, x: data.x.map((v, i) => (i === 5 ? Number.NaN : v)) };
  await assert.rejects(crossValidateKnn(withNaN, { ks: [1] }), /crossValidateKnn: x has a non-finite value NaN at row 1, column 1/);
});
