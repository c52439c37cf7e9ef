import { test } from "node:test";
import assert from "node:assert/strict";
import {
  binaryAccuracy,
  binaryPredict,
  binarySvmTrain,
  logisticRegressionTrain,
  logisticSigmoid,
  perceptronTrain,
  createBinaryLinearModel,
  Perceptron,
} from "../lib/src/linear/binary-models.js";
import * as tf from "@tensorflow/tfjs-core";
import { gradCheckTensors } from "../lib/src/optim/gradcheck.js";
import { modelPredict } from "../lib/src/core/model.js";
import { initBackend } from "../lib/src/runtime/backend.js";
import { before } from "node:test";

before(async () => {
  await initBackend({ log: false });
});
import { toyBlobs, toyCircles, toyMoons, toySpiral, toyXor } from "../lib/src/data/toydata.js";

test("toy data: sizes, labels, seeded and reproducible", () => {
  for (const make of [toyBlobs, toyXor, toyMoons, toyCircles]) {
    const a = make({ n: 60, seed: 3 });
    assert.equal(a.n, 60);
    assert.equal(a.d, 2);
    assert.equal(a.x.length, 120);
    assert.equal(a.y.filter((v) => v === 1).length, 30);
    assert.deepEqual(Array.from(make({ n: 60, seed: 3 }).x), Array.from(a.x));
    assert.notDeepEqual(Array.from(make({ n: 60, seed: 4 }).x), Array.from(a.x));
  }
  const spiral = toySpiral({ nPerClass: 20, classes: 4 });
  assert.equal(spiral.n, 80);
  assert.deepEqual([0, 1, 2, 3].map((c) => spiral.y.filter((v) => v === c).length), [20, 20, 20, 20]);
  // XOR: label 1 exactly when the coordinates have different signs
  const xor = toyXor({ n: 50, seed: 1 });
  for (let i = 0; i < xor.n; i++) assert.equal(xor.y[i], xor.x[2 * i]! > 0 !== xor.x[2 * i + 1]! > 0 ? 1 : 0);
});

test("perceptron converges on separable blobs, every update was a mistake, and classifies them all", () => {
  const data = toyBlobs({ n: 200, seed: 7 });
  const result = perceptronTrain(data, { seed: 1 });
  assert.equal(result.converged, true);
  assert.equal(result.mistakesPerEpoch.at(-1), 0);
  assert.equal(result.updates, result.mistakesPerEpoch.reduce((a, b) => a + b));
  assert.ok(result.epochs < 100 && result.updates > 0);
  assert.equal(binaryAccuracy(result.model, data), 1);
  assert.equal(result.modelPerEpoch.length, result.epochs);
});

test("perceptron update rule by hand: w ← w + α(t − y')x", () => {
  // x = (1, 2), y = 1 (t = +1); w = 0, b = 0 → z = 0 → y' = −1: mistake, w = 0 + 1·(1 − (−1))·(1, 2) = (2, 4), b = 2.
  // Next epoch z = 2 + 8 + 2 > 0: no mistake, converged after 2 epochs and 1 update.
  const r = perceptronTrain({ x: new Float64Array([1, 2]), y: new Int32Array([1]), n: 1, d: 2 }, { shuffle: false });
  assert.deepEqual(Array.from(r.model.w), [2, 4]);
  assert.equal(r.model.b, 2);
  assert.deepEqual([r.updates, r.epochs, r.converged], [1, 2, true]);
});

test("perceptron never reaches zero mistakes on XOR", () => {
  const data = toyXor({ n: 200, seed: 2 });
  const result = perceptronTrain(data, { maxEpochs: 50 });
  assert.equal(result.converged, false);
  assert.equal(result.epochs, 50);
  assert.ok(Math.min(...result.mistakesPerEpoch) > 0);
  assert.ok(binaryAccuracy(result.model, data) < 0.8);
});

test("logistic regression reaches high accuracy on blobs, its loss falls, and it fails on XOR", async () => {
  const data = toyBlobs({ n: 200, seed: 3, margin: 0 });
  const { model, loss } = await logisticRegressionTrain(data, { learningRate: 0.5, iterations: 300 });
  assert.ok(binaryAccuracy(model, data) >= 0.95);
  assert.ok(loss.at(-1)! < 0.25 * loss[0]!, `${loss[0]} -> ${loss.at(-1)}`);
  assert.ok(Math.abs(loss[0]! - Math.log(2)) < 1e-6); // w = 0: p = ½ for every example (float32 loss)
  const xor = toyXor({ n: 200, seed: 3 });
  assert.ok(binaryAccuracy((await logisticRegressionTrain(xor)).model, xor) < 0.75);
  assert.ok(Math.abs(logisticSigmoid(0) - 0.5) < 1e-15 && logisticSigmoid(-800) === 0 && logisticSigmoid(800) === 1);
});

test("binary SVM separates blobs; at w = 0 its hinge loss is 1", async () => {
  const data = toyBlobs({ n: 200, seed: 5 });
  const { model, loss } = await binarySvmTrain(data, { learningRate: 0.1, iterations: 300 });
  assert.equal(loss[0], 1);
  assert.ok(binaryAccuracy(model, data) >= 0.98);
  assert.deepEqual(Array.from(binaryPredict(model, { x: new Float64Array([-3, -3, 3, 3]), n: 2, d: 2 })), [0, 1]);
});

test("binary models reject non-binary labels", () => {
  assert.throws(() => perceptronTrain({ x: new Float64Array(4), y: new Int32Array([0, 2]), n: 2, d: 2 }), /must be 0 or 1; y\[1\] = 2/);
});

test("logistic regression and binary SVM gradients match numerical gradients; scores pick class 1 iff z > 0", () => {
  const data = toyMoons({ n: 60, seed: 2 });
  for (const kind of ["logistic", "svm"] as const) {
    const model = createBinaryLinearModel(kind, 2, 0.05);
    model.params.w!.assign(tf.tensor2d([[0.7], [-1.3]]));
    model.params.b!.assign(tf.tensor1d([0.2]));
    const x = tf.tensor2d(data.x, [data.n, 2]);
    const y = tf.tensor1d(data.y, "int32");
    const { loss, grads } = model.lossAndGrads(x, y);
    const report = gradCheckTensors({
      params: { w: model.params.w!, b: model.params.b! },
      grads,
      loss: (p) => {
        const saved = { w: tf.clone(model.params.w!), b: tf.clone(model.params.b!) };
        // Only the perturbed parameter is new: assigning a variable to itself frees its data
        // first (on wasm that ends in endless recursion inside tfjs).
        if (p.w !== model.params.w) model.params.w!.assign(p.w as tf.Tensor2D);
        if (p.b !== model.params.b) model.params.b!.assign(p.b as tf.Tensor1D);
        const value = model.lossAndGrads(x, y);
        model.params.w!.assign(saved.w);
        model.params.b!.assign(saved.b);
        tf.dispose([saved.w, saved.b, ...Object.values(value.grads)]);
        return value.loss;
      },
    // The hinge has a kink at each margin: a step small enough that no example crosses its margin.
    }, kind === "svm" ? { h: 1e-3 } : {});
    assert.ok(report.passed, `${kind}: ${report.summary}`);
    assert.equal(report.entries.length, 3);
    const z = tf.tidy(() => tf.add(tf.matMul(x, model.params.w!), model.params.b!).dataSync());
    const predicted = modelPredict(model, x);
    z.forEach((v, i) => assert.equal(predicted[i], v > 0 ? 1 : 0));
    tf.dispose([x, y, loss, ...Object.values(grads)]);
    model.dispose();
  }
});

test("the binary models are Classifiers: fit (resolving to the model, history on it), predict, score and dispose", async () => {
  const data = toyBlobs({ n: 100, seed: 8 });
  const perceptron = new Perceptron({ seed: 1 });
  await assert.rejects(perceptron.predict(data), /call fit\(examples\) first/);
  const returned = await perceptron.fit(data);
  assert.equal(returned, perceptron, "fit resolves to the model");
  const result = perceptron.history!;
  assert.ok(result.converged);
  assert.deepEqual(Array.from(await perceptron.predict(data)), Array.from(binaryPredict(result.model, data)));
  assert.equal(await perceptron.score(data), 1);
  for (const kind of ["logistic", "svm"] as const) {
    const model = createBinaryLinearModel(kind, 2, 1e-3);
    const { history } = await model.fit(data, { iterations: 50, learningRate: 0.5 });
    assert.equal(history, model.history, "the history lands on the model");
    assert.equal(history.loss.length, 50);
    const predicted = await model.predict(data.x);
    assert.equal(await model.score(data), predicted.filter((p, i) => p === data.y[i]).length / data.n);
    assert.ok((await model.score(data)) >= 0.98, kind);
    model.dispose();
  }
});
