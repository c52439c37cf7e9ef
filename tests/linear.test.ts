import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import {
  appendBiasColumn,
  appendBiasFeature,
  argmaxRows,
  createLinearClassifier,
  linearPredict,
  linearScores,
  linearScoresNaive,
} from "../lib/src/linear/linear.js";
import { modelPredict } from "../lib/src/core/model.js";
import { toyBlobs } from "../lib/src/data/toydata.js";

before(async () => {
  await initBackend({ log: false });
});

// X = [[1, 2], [−1, 1]], W = [[1, 0, −1], [0, 1, 2]], b = (0.5, 0, −4):
//   s₁ = (1, 2, 3) + b = (1.5, 2, −1) -> class 1;  s₂ = (−1, 1, 3) + b = (−0.5, 1, −1) -> class 1
const X = new Float32Array([1, 2, -1, 1]);
const W = new Float64Array([1, 0, -1, 0, 1, 2]);
const b = new Float64Array([0.5, 0, -4]);

test("scores XW + b and argmax predictions, by hand, naive and with tensors", () => {
  const naive = linearScoresNaive({ W, b, d: 2, c: 3 }, { x: X, y: new Int32Array(2), n: 2, d: 2 });
  assert.deepEqual(Array.from(naive), [1.5, 2, -1, -0.5, 1, -1]);
  assert.deepEqual(Array.from(argmaxRows(naive, 2, 3)), [1, 1]);
  tf.tidy(() => {
    const params = { W: tf.tensor2d(Float32Array.from(W), [2, 3]), b: tf.tensor1d(Float32Array.from(b)) };
    const x = tf.tensor2d(X, [2, 2]);
    assert.deepEqual(Array.from(linearScores(x, params).dataSync()), [1.5, 2, -1, -0.5, 1, -1]);
    assert.deepEqual(Array.from(linearPredict(x, params)), [1, 1]);
    // The bias trick gives the same scores: [X, 1]·[W; b]
    const stacked = tf.tensor2d(Float32Array.from([...W, ...b]), [3, 3]);
    assert.deepEqual(Array.from(linearScores(appendBiasColumn(x), { W: stacked }).dataSync()), [1.5, 2, -1, -0.5, 1, -1]);
  });
});

test("appendBiasFeature adds a constant-1 column", () => {
  const ex = appendBiasFeature({ x: X, y: new Int32Array([0, 2]), n: 2, d: 2 });
  assert.equal(ex.d, 3);
  assert.deepEqual(Array.from(ex.x), [1, 2, 1, -1, 1, 1]);
  assert.ok(ex.x instanceof Float32Array);
});

test("createLinearClassifier: parameter shapes, zero biases, templates without the bias row", () => {
  const plain = createLinearClassifier({ inputDim: 4, numClasses: 3, loss: "svm", seed: 1 });
  assert.deepEqual(plain.params.W!.shape, [4, 3]);
  assert.deepEqual(plain.params.b!.shape, [3]);
  assert.deepEqual(Array.from(plain.biases()), [0, 0, 0]);
  const trick = createLinearClassifier({ inputDim: 4, numClasses: 3, loss: "svm", seed: 1, biasTrick: true });
  assert.deepEqual(trick.params.W!.shape, [5, 3]);
  assert.equal(trick.params.b, undefined);
  assert.equal(trick.weights().length, 12);
  assert.deepEqual(Array.from(trick.biases()), [0, 0, 0]);
  assert.deepEqual(Array.from(trick.weights()), Array.from(plain.weights())); // same seed, same weights
  // Both models give the same scores on the same raw input.
  const x = tf.tensor2d([[1, 2, 3, 4], [0, -1, 0.5, 2]]);
  assert.deepEqual(Array.from(modelPredict(plain, x)), Array.from(modelPredict(trick, x)));
  const before = tf.memory().numTensors;
  plain.dispose();
  trick.dispose();
  x.dispose();
  assert.equal(tf.memory().numTensors, before - 4);
  assert.throws(() => createLinearClassifier({ inputDim: 0, numClasses: 3, loss: "svm" }), /inputDim ≥ 1/);
});

test("a linear classifier is a Classifier: fit, predict and score agree with the training loop's view", async () => {
  const data = toyBlobs({ n: 200, seed: 5 });
  const model = createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "softmax", seed: 1, training: { learningRate: 0.5, batchSize: 50, epochs: 5, printEvery: 0 } });
  const returned = await model.fit(data, { epochs: 3 });
  assert.equal(returned, model, "fit resolves to the model");
  const history = model.history!;
  assert.equal(history.epochs.length, 3, "a call's options override the model's defaults");
  assert.equal(history.iterations, 12);
  const predicted = await model.predict(data);
  assert.deepEqual(Array.from(await model.predict(data.x)), Array.from(predicted), "raw rows predict like examples");
  const correct = predicted.filter((p, i) => p === data.y[i]).length;
  assert.equal(await model.score(data), correct / data.n);
  assert.ok(correct / data.n > 0.95, `separable blobs, accuracy ${correct / data.n}`);
  await assert.rejects(model.predict(new Float32Array(5)), /5 numbers, not a multiple of the 2 features/);
  model.dispose();
});
