/**
 * One contract for every classifier (core/model.ts): a class whose `fit` resolves to the model
 * itself, with what training recorded on `model.history`; `predict` and `score` take the same
 * query types; `dispose` frees what it holds and leaves no tensor behind.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import type { Classifier } from "../lib/src/core/model.js";
import { InvalidInputError } from "../lib/src/core/checks.js";
import { toyBlobs } from "../lib/src/data/index.js";
import { KnnClassifier } from "../lib/src/knn/index.js";
import { BinaryLinearClassifier, LinearClassifier, Perceptron } from "../lib/src/linear/index.js";
import { ConvNet, Network } from "../lib/src/nn/index.js";
import { GradientClassifier } from "../lib/src/training/index.js";

before(async () => {
  await initBackend({ log: false });
});

const quiet = { printEvery: 0, trainAccuracySample: 0, seed: 1 };

test("every classifier: fit resolves to the model, history on it, predict/score on examples and rows, dispose frees all", async () => {
  const data = toyBlobs({ n: 64, seed: 3 }); // 2 features, 2 classes, separable
  const none = { x: new Float32Array(0), y: new Int32Array(0), n: 0, d: 2 };
  const makers: [string, () => Classifier<never>][] = [
    ["kNN", () => new KnnClassifier({ k: 3 })],
    ["linear", () => new LinearClassifier({ inputDim: 2, numClasses: 2, loss: "softmax", training: { ...quiet, learningRate: 0.5, epochs: 20 } })],
    ["perceptron", () => new Perceptron({ seed: 1 })],
    ["logistic", () => new BinaryLinearClassifier("logistic", 2, 0, { ...quiet, learningRate: 0.5, iterations: 100 })],
    ["binary SVM", () => new BinaryLinearClassifier("svm", 2, 1e-3, { ...quiet, learningRate: 0.5, iterations: 100 })],
    ["network", () => new Network({ layerSizes: [2, 8, 2], training: { ...quiet, learningRate: 0.1, epochs: 20 } })],
    ["CNN", () => new ConvNet({ imageShape: [1, 2, 1], conv: [{ filters: 2, size: 1 }], pool: 1, hidden: [4], numClasses: 2, training: { ...quiet, learningRate: 0.05, epochs: 20 } })],
  ];
  for (const [name, make] of makers) {
    const before = tf.memory().numTensors;
    const model = make();
    const trained = await model.fit(data);
    assert.equal(trained, model, `${name}: fit resolves to the model`);
    if (!(model instanceof KnnClassifier)) assert.ok((model as { history?: unknown }).history, `${name}: history is on the model`);
    if (model instanceof GradientClassifier) assert.ok(model.history!.loss.length > 0, `${name}: a loss per iteration`);
    const fromExamples = await model.predict(data);
    assert.deepEqual(Array.from(await model.predict(data.x)), Array.from(fromExamples), `${name}: rows predict like examples`);
    const correct = fromExamples.filter((p, i) => p === data.y[i]).length;
    assert.equal(await model.score(data), correct / data.n, `${name}: score is the share predict gets right`);
    assert.ok(correct / data.n >= 0.9, `${name}: ${correct} of ${data.n} on separable blobs`);
    await assert.rejects(model.score(none), (err: unknown) => err instanceof InvalidInputError && err.argument === "truth", `${name}: the score of zero examples is an error, not 0`);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, `${name}: dispose leaves no tensor behind`);
  }
});
