import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import type { Dataset, Examples } from "../lib/src/core/types.js";
import {
  shiftImages,
  bytesToFloat32,
  classCounts,
  examplesOfClass,
  indicesOfClass,
  makeExamples,
  meanImage,
  scaleToUnit,
  selectExamples,
  splitValidation,
  subsetExamples,
  subtractMean,
  subtractTrainMean,
  toTensors,
} from "../lib/src/data/preprocess.js";

before(async () => {
  await initBackend({ log: false });
});

/** n rows of d features; row i is [i*d, i*d+1, ...] so each row identifies itself; label i % 3. */
function ramp(n: number, d: number): Examples {
  const x = Float32Array.from({ length: n * d }, (_, k) => k);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  return { x, y, n, d };
}

test("scaleToUnit and bytesToFloat32 map 0..255 onto [0, 1]", () => {
  const ex = makeExamples(Float32Array.from([0, 51, 255, 127.5]), Int32Array.from([0, 1]), 2);
  assert.deepEqual([...scaleToUnit(ex).x], [0, 0.2, 1, 0.5].map((v) => Math.fround(v)));
  assert.deepEqual([...bytesToFloat32(Uint8Array.from([0, 255]), 1 / 255)], [0, 1]);
  assert.deepEqual([...bytesToFloat32(Uint8Array.from([3, 200]))], [3, 200]);
});

test("meanImage is the column mean (hand-computed)", () => {
  const ex = makeExamples(Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([0, 1, 0]), 2);
  assert.deepEqual([...meanImage(ex)], [3, 4]);
  assert.deepEqual([...subtractMean(ex, meanImage(ex)).x], [-2, -2, 0, 0, 2, 2]);
  assert.throws(() => subtractMean(ex, new Float32Array(3)), /mean has 3 values, but examples have d=2/);
});

test("subtractTrainMean: train column means ~0, test shifted by the TRAIN mean", () => {
  const train = ramp(50, 4);
  const test = makeExamples(new Float32Array(8).fill(100), Int32Array.from([0, 1]), 4);
  const validation = makeExamples(new Float32Array(4).fill(10), Int32Array.from([2]), 4);
  const ds: Dataset = { name: "toy", train, test, validation, imageShape: [2, 2], classNames: ["a", "b", "c"] };
  const { dataset, mean } = subtractTrainMean(ds);
  const centredMeans = meanImage(dataset.train);
  for (const v of centredMeans) assert.ok(Math.abs(v) < 1e-4, `train column mean ${v} should be ~0`);
  // Train mean of column j is mean over i of (4i + j) = 4 * 24.5 + j.
  assert.deepEqual([...mean], [98, 99, 100, 101]);
  assert.deepEqual([...dataset.test.x.subarray(0, 4)], [2, 1, 0, -1]);
  assert.deepEqual([...dataset.validation!.x], [-88, -89, -90, -91]);
  assert.equal(ds.train.x[0], 0, "input is not modified");
});

test("selectExamples and subsetExamples gather whole rows, seeded", () => {
  const ex = ramp(10, 3);
  const picked = selectExamples(ex, [4, 1]);
  assert.deepEqual([...picked.x], [12, 13, 14, 3, 4, 5]);
  assert.deepEqual([...picked.y], [1, 1]);
  assert.throws(() => selectExamples(ex, [10]), /index 10 .* out of range 0..9/);
  const a = subsetExamples(ex, 4, 7);
  const b = subsetExamples(ex, 4, 7);
  const c = subsetExamples(ex, 4, 8);
  assert.equal(a.examples.n, 4);
  assert.deepEqual([...a.indices], [...b.indices]);
  assert.notDeepEqual([...a.indices], [...c.indices]);
  assert.equal(new Set(a.indices).size, 4);
  a.indices.forEach((i, k) => assert.equal(a.examples.x[k * 3], i * 3));
  assert.throws(() => subsetExamples(ex, 11, 0), /asked for 11 examples, but only 10/);
});

test("splitValidation: disjoint, complete, seeded", () => {
  const ex = ramp(100, 2);
  const split = splitValidation(ex, 20, 3);
  assert.equal(split.train.n, 80);
  assert.equal(split.validation.n, 20);
  const all = new Set([...split.trainIndices, ...split.validationIndices]);
  assert.equal(all.size, 100, "every row lands in exactly one split");
  // Rows really are the indexed rows.
  split.validationIndices.forEach((i, k) => assert.equal(split.validation.x[k * 2], i * 2));
  assert.deepEqual([...splitValidation(ex, 20, 3).validationIndices], [...split.validationIndices]);
  assert.notDeepEqual([...splitValidation(ex, 20, 4).validationIndices], [...split.validationIndices]);
  assert.throws(() => splitValidation(ex, 100, 0), /keep any for training/);
});

test("classCounts, indicesOfClass, examplesOfClass", () => {
  const ex = ramp(10, 2); // labels 0,1,2,0,1,2,0,1,2,0
  assert.deepEqual([...classCounts(ex, 3)], [4, 3, 3]);
  assert.deepEqual([...classCounts(ex.y, 4)], [4, 3, 3, 0]);
  assert.throws(() => classCounts(ex, 2), /classCounts labels\[2\] = 2 is not a class index in 0\.\.1/);
  assert.deepEqual([...indicesOfClass(ex, 2)], [2, 5, 8]);
  const ones = examplesOfClass(ex, 1, 2);
  assert.equal(ones.n, 2);
  assert.deepEqual([...ones.x], [2, 3, 8, 9]);
});

test("makeExamples checks that x and y agree", () => {
  assert.throws(() => makeExamples(new Float32Array(6), new Int32Array(2), 2), /x has 3 rows of 2, but y has 2 labels/);
});

test("toTensors gives x [N, D] float32 and y [N] int32, and validates", () => {
  const ex = ramp(5, 3);
  const before = tf.memory().numTensors;
  const { x, y } = toTensors(ex, 3);
  assert.deepEqual(x.shape, [5, 3]);
  assert.equal(x.dtype, "float32");
  assert.deepEqual(y.shape, [5]);
  assert.equal(y.dtype, "int32");
  assert.deepEqual([...x.dataSync().subarray(3, 6)], [3, 4, 5]);
  assert.deepEqual([...y.dataSync()], [0, 1, 2, 0, 1]);
  x.dispose();
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  const bad = { ...ex, x: Float32Array.from(ex.x) };
  bad.x[0] = Infinity;
  assert.throws(() => toTensors(bad), /toTensors: x has a non-finite value Infinity/);
  assert.throws(() => toTensors(ex, 2), /toTensors labels\[2\] = 2 is not a class index in 0\.\.1/);
});

test("shiftImages moves pixels and fills the edge with background", () => {
  // one 2×3 image: 1 2 3 / 4 5 6
  const ex = { x: new Float32Array([1, 2, 3, 4, 5, 6]), y: new Int32Array([0]), n: 1, d: 6 };
  assert.deepEqual([...shiftImages(ex, [2, 3], 1).x], [0, 1, 2, 0, 4, 5]);
  assert.deepEqual([...shiftImages(ex, [2, 3], -1).x], [2, 3, 0, 5, 6, 0]);
  assert.deepEqual([...shiftImages(ex, [2, 3], 0, 1).x], [0, 0, 0, 1, 2, 3]);
  assert.deepEqual([...shiftImages(ex, [2, 3], 2, -1, 9).x], [9, 9, 4, 9, 9, 9]);
  assert.deepEqual([...shiftImages(ex, [2, 3], 0).x], [1, 2, 3, 4, 5, 6]);
  assert.throws(() => shiftImages(ex, [3, 3], 1), /image shape 3×3 does not match D = 6/);
});
