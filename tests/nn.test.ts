import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/index.js";
import {
  ACTIVATION_NAMES,
  activationLayer,
  affineBackward,
  affineForward,
  countParameters,
  enableAutodiff,
  createNetwork,
  initNetworkParams,
  networkLoss,
  networkLossAndGrads,
  sigmoidForward,
  type ActivationCache,
  type ActivationName,
  type NetworkConfig,
} from "../lib/src/nn/index.js";
import { binaryCrossEntropyFromScores, mseLossFromScores, NETWORK_LOSS_KINDS, networkLossFromScores } from "../lib/src/losses/index.js";
import { gradCheckTensors } from "../lib/src/optim/index.js";
import { adamOptimizer } from "../lib/src/optim/index.js";
import { trainModel } from "../lib/src/training/index.js";
import { loadDataset, subtractTrainMean, toySpiral } from "../lib/src/data/index.js";
import { modelPredict } from "../lib/src/core/index.js";
import { modelAccuracy } from "../lib/src/eval/index.js";

before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});

const quiet = { printEvery: 0, trainAccuracySample: 0 };

/** Largest |a − b| / max(|a| + |b|, 1e-3) over the entries: how far two gradients disagree. */
function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(x[i]!) + Math.abs(y[i]!), 1e-3));
  return worst;
}

function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, "float32", seed), scale));
}

test("parameter counts: 3-4-2 has 26, 3-4-4-1 has 41, and the network's variables hold that many numbers", () => {
  assert.deepEqual(countParameters([3, 4, 2]), { weights: 20, biases: 6, total: 26 });
  assert.equal(countParameters([3, 4, 4, 1]).total, 41);
  const net = createNetwork({ layerSizes: [3, 4, 4, 1], loss: "bce" });
  assert.equal(net.parameterCount, 41);
  assert.equal(Object.values(net.params).reduce((sum, v) => sum + v.size, 0), 41);
  assert.deepEqual(Object.keys(net.params), ["W1", "b1", "W2", "b2", "W3", "b3"]);
  assert.deepEqual(net.params.W2!.shape, [4, 4]);
  net.dispose();
});

test("initialisation: seeded, zero biases, scales of small / he / xavier", () => {
  const he = initNetworkParams([400, 300, 10], "he", 3);
  const again = initNetworkParams([400, 300, 10], "he", 3);
  assert.deepEqual(Array.from(he.W1!.dataSync().slice(0, 5)), Array.from(again.W1!.dataSync().slice(0, 5)));
  assert.equal(tf.max(tf.abs(he.b1!)).dataSync()[0], 0);
  const std = (t: tf.Tensor): number => Math.sqrt(tf.moments(t).variance.dataSync()[0]!);
  assert.ok(Math.abs(std(he.W1!) / Math.sqrt(2 / 400) - 1) < 0.02);
  const xavier = initNetworkParams([400, 300, 10], "xavier", 3);
  assert.ok(Math.abs(std(xavier.W1!) / Math.sqrt(2 / 700) - 1) < 0.02);
  const small = initNetworkParams([400, 300, 10], "small", 3);
  assert.ok(Math.abs(std(small.W1!) / 1e-4 - 1) < 0.02);
  for (const p of [he, again, xavier, small]) for (const v of Object.values(p)) v.dispose();
});

test("a forward pass by hand: 2-2-2 ReLU network", () => {
  // h = relu(x·W1 + b1) = relu((1, −2)·[[1, 2], [3, −1]] + (0, 1)) = relu((−5, 5)) = (0, 5)
  // s = h·W2 + b2 = (0, 5)·[[1, 0], [2, −1]] + (0.5, 0) = (10.5, −5)
  tf.tidy(() => {
    const params = { W1: tf.tensor2d([[1, 2], [3, -1]]), b1: tf.tensor1d([0, 1]), W2: tf.tensor2d([[1, 0], [2, -1]]), b2: tf.tensor1d([0.5, 0]) };
    const x = tf.tensor2d([[1, -2]]);
    const loss = networkLoss(params, x, new Int32Array([0]), { loss: "mse" });
    // ½((10.5 − 1)² + (−5 − 0)²) = ½(90.25 + 25) = 57.625
    assert.ok(Math.abs(loss.dataSync()[0]! - 57.625) < 1e-4);
  });
});

test("every activation's backward against numerical gradients and tf.grad", () => {
  for (const name of ACTIVATION_NAMES) {
    tf.tidy(() => {
      const layer = activationLayer(name);
      // Inputs away from 0 so ReLU's kink is not between x ± h.
      const z = tf.tidy(() => {
        const r = randomTensor([4, 5], 1);
        return tf.add(r, tf.mul(tf.sign(r), 0.1));
      });
      const upstream = randomTensor([4, 5], 2);
      const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.forward(input).out, upstream));
      const { cache } = layer.forward(z);
      const dz = layer.backward(upstream, cache);
      const numeric = gradCheckTensors({ params: { z }, grads: { z: dz }, loss: (p) => f(p.z!) }, { samples: 20, h: 1e-3 });
      assert.ok(numeric.passed, `${name}: ${numeric.summary}`);
      const auto = tf.grad(f)(z);
      assert.ok(maxRelativeDifference(dz, auto) < 1e-4, `${name}: handwritten vs tf.grad differ by ${maxRelativeDifference(dz, auto)}`);
    });
  }
});

test("the affine layer's backward against numerical gradients and tf.grad", () => {
  tf.tidy(() => {
    const x = randomTensor([5, 3], 3) as tf.Tensor2D;
    const W = randomTensor([3, 4], 4) as tf.Tensor2D;
    const b = randomTensor([4], 5) as tf.Tensor1D;
    const upstream = randomTensor([5, 4], 6);
    const f = (xx: tf.Tensor, WW: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(affineForward(xx as tf.Tensor2D, WW as tf.Tensor2D, bb as tf.Tensor1D).out, upstream));
    const { cache } = affineForward(x, W, b);
    const { dx, dW, db } = affineBackward(upstream as tf.Tensor2D, cache);
    const report = gradCheckTensors({ params: { x, W, b }, grads: { x: dx!, W: dW, b: db }, loss: (p) => f(p.x!, p.W!, p.b!) }, { samples: 12 });
    assert.ok(report.passed, report.summary);
    const [ax, aW, ab] = tf.grads(f)([x, W, b]);
    assert.ok(maxRelativeDifference(dx!, ax!) < 1e-4);
    assert.ok(maxRelativeDifference(dW, aW!) < 1e-4);
    assert.ok(maxRelativeDifference(db, ab!) < 1e-4);
    assert.equal(affineBackward(upstream as tf.Tensor2D, cache, false).dx, undefined);
  });
});

test("network losses from scores: MSE and binary cross-entropy by hand, gradients against tf.grad", () => {
  tf.tidy(() => {
    const scores = tf.tensor2d([[2, -1, 0], [0.5, 0.5, 1]]);
    const y = new Int32Array([0, 2]);
    // MSE: ½[(1² + 1² + 0²) + (0.5² + 0.5² + 0²)] / 2 = ½(2 + 0.5) / 2 = 0.625
    assert.ok(Math.abs(mseLossFromScores(scores, y).loss.dataSync()[0]! - 0.625) < 1e-6);
    // BCE of one logit s = 0 against t = 1 is log 2; of s = 2 against t = 0 is log(1 + e²).
    const bce = binaryCrossEntropyFromScores(tf.tensor2d([[0], [2]]), new Int32Array([1, 0])).loss.dataSync()[0]!;
    assert.ok(Math.abs(bce - (Math.log(2) + Math.log(1 + Math.exp(2))) / 2) < 1e-5);
    for (const kind of NETWORK_LOSS_KINDS) {
      const { dScores } = networkLossFromScores(kind, scores, y);
      const auto = tf.grad((s: tf.Tensor) => networkLossFromScores(kind, s as tf.Tensor2D, y).loss)(scores);
      assert.ok(maxRelativeDifference(dScores, auto) < 1e-4, kind);
    }
    // the host route (Float64 loops) agrees with the tensor route
    for (const kind of ["svm", "softmax"] as const) {
      const host = networkLossFromScores(kind, scores, y, { scoresLossOn: "host" });
      const backend = networkLossFromScores(kind, scores, y);
      assert.ok(Math.abs(host.loss.dataSync()[0]! - backend.loss.dataSync()[0]!) < 1e-5);
      assert.ok(maxRelativeDifference(host.dScores, backend.dScores) < 1e-5);
    }
  });
});

/** Handwritten gradients of a whole network vs numerical and vs tf.grad of the same loss. */
function checkNetworkGradients(layerSizes: number[], config: NetworkConfig, seed: number): void {
  const params = initNetworkParams(layerSizes, "xavier", seed);
  tf.tidy(() => {
    // non-zero biases so every path is exercised
    for (const [name, v] of Object.entries(params)) if (name.startsWith("b")) v.assign(randomTensor(v.shape, seed + 7, 0.1) as tf.Tensor1D);
    const n = 6;
    const x = randomTensor([n, layerSizes[0]!], seed + 1) as tf.Tensor2D;
    const c = layerSizes[layerSizes.length - 1]!;
    const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % Math.max(c, 2));
    const { loss, grads } = networkLossAndGrads(params, x, y, config);
    const names = Object.keys(params);
    const auto = tf.grads((...tensors: tf.Tensor[]) => networkLoss(Object.fromEntries(names.map((k, i) => [k, tensors[i]!])), x, y, config))(
      names.map((k) => params[k]!),
    );
    const label = `${layerSizes.join("-")} ${JSON.stringify(config)}`;
    assert.ok(Math.abs(loss.dataSync()[0]! - networkLoss(params, x, y, config).dataSync()[0]!) < 1e-5, label);
    names.forEach((k, i) => assert.ok(maxRelativeDifference(grads[k]!, auto[i]!) < 1e-3, `${label} ${k} vs tf.grad: ${maxRelativeDifference(grads[k]!, auto[i]!)}`));
    const report = gradCheckTensors(
      { params, grads, loss: (p) => networkLoss(p, x, y, config) },
      // ReLU/SVM kinks may fall between θ ± h for a coordinate or two; a wrong gradient fails most.
      { samples: 8, h: 1e-3, allowedFailures: 2 },
    );
    assert.ok(report.passed, `${label}: ${report.summary}`);
  });
  for (const v of Object.values(params)) v.dispose();
}

test("network gradients (every activation, every loss, depths 1-4, with L2) against numerical gradients and tf.grad", () => {
  for (const activation of ACTIVATION_NAMES) checkNetworkGradients([5, 7, 3], { activation, loss: "softmax", reg: 0.01 }, 1);
  for (const loss of NETWORK_LOSS_KINDS) checkNetworkGradients([4, 6, 5, 3], { activation: "tanh", loss, reg: 0.05 }, 2);
  checkNetworkGradients([4, 6, 6, 1], { activation: "relu", loss: "bce" }, 3);
  checkNetworkGradients([4, 3], { loss: "svm", reg: 0.1 }, 4);
  checkNetworkGradients([6, 8, 8, 8, 4], { activation: "leaky-relu", loss: "softmax", reg: 1e-3 }, 5);
});

test("a deliberately broken backward is caught by both checks", () => {
  tf.tidy(() => {
    // The classic slip: σ' written as σ instead of σ(1 − σ).
    const brokenSigmoidBackward = (dout: tf.Tensor, cache: ActivationCache): tf.Tensor => tf.mul(dout, cache.a);
    const z = randomTensor([4, 5], 8);
    const upstream = randomTensor([4, 5], 9);
    const f = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(sigmoidForward(input).out, upstream));
    const dz = brokenSigmoidBackward(upstream, sigmoidForward(z).cache);
    const numeric = gradCheckTensors({ params: { z }, grads: { z: dz }, loss: (p) => f(p.z!) }, { samples: 20, h: 1e-3 });
    assert.equal(numeric.passed, false);
    assert.ok(numeric.failures > 15, numeric.summary);
    assert.ok(maxRelativeDifference(dz, tf.grad(f)(z)) > 0.1);
  });
});

test("the live tensor count stays flat over 100 training iterations", async () => {
  const data = toySpiral({ nPerClass: 40, seed: 1 });
  const net = createNetwork({ layerSizes: [2, 16, 16, 3], activation: "tanh", loss: "svm", reg: 1e-3, seed: 1 });
  const counts: number[] = [];
  const optimizer = adamOptimizer();
  await trainModel(net, data, { learningRate: 0.01, batchSize: 16, iterations: 100, optimizer, ...quiet, onIteration: () => counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 100);
  assert.equal(counts[99], counts[5], `tensors: ${counts[5]} after 6 iterations, ${counts[99]} after 100`);
  optimizer.dispose();
  net.dispose();
});

test("networks beat a linear model on the spiral, and fit/predict/score work", async () => {
  const data = toySpiral({ nPerClass: 100, seed: 2 });
  const linear = createNetwork({ layerSizes: [2, 3], seed: 1 });
  const net = createNetwork({ layerSizes: [2, 64, 3], activation: "relu", seed: 1, training: { ...quiet, learningRate: 0.05, batchSize: 32, epochs: 300, optimizer: adamOptimizer() } });
  await linear.fit(data, { ...quiet, learningRate: 0.5, batchSize: 0, iterations: 300 });
  await net.fit(data);
  const linearAcc = await linear.score(data);
  const netAcc = await net.score(data);
  assert.ok(linearAcc < 0.7, `linear ${linearAcc}`);
  assert.ok(netAcc > 0.95, `network ${netAcc}`);
  assert.equal((await net.predict(data.x)).length, data.n);
  linear.dispose();
  net.dispose();
});

test("accuracy floor on mnist-10k: a 2-layer ReLU net (hidden 100) reaches ≥ 0.90", async () => {
  const { dataset } = subtractTrainMean(await loadDataset("mnist-10k"));
  const net = createNetwork({ layerSizes: [784, 100, 10], activation: "relu", loss: "softmax", reg: 1e-4, seed: 1 });
  await trainModel(net, dataset.train, { learningRate: 0.05, batchSize: 64, epochs: 4, seed: 1, ...quiet });
  const acc = modelAccuracy(net, dataset.test);
  assert.ok(acc >= 0.9, `test accuracy ${acc}`);
  // the default chunks (1000 rows, and a last one of what is left) predict what one chunk does
  const rows = { ...dataset.test, n: 1234, x: dataset.test.x.subarray(0, 1234 * 784), y: dataset.test.y.subarray(0, 1234) };
  assert.deepEqual(modelPredict(net, rows), modelPredict(net, rows, 1234));
  net.dispose();
});

test("bad input fails with a message naming the mistake", async () => {
  const data = toySpiral({ nPerClass: 10, seed: 1 });
  assert.throws(() => createNetwork({ layerSizes: [784] }), /layerSizes must list at least the input and output sizes/);
  assert.throws(() => createNetwork({ layerSizes: [784, 0, 10] }), /layerSizes\[1\] must be a positive integer, got 0/);
  assert.throws(() => createNetwork({ layerSizes: [784, 2.5, 10] }), /layerSizes\[1\] must be a positive integer, got 2.5/);
  assert.throws(() => createNetwork({ layerSizes: [4, 1] }), /needs ≥ 2 outputs \(1 only with loss "bce"\)/);
  assert.throws(() => createNetwork({ layerSizes: [4, 3], activation: "softplus" as ActivationName }), /activation must be one of/);
  assert.throws(() => createNetwork({ layerSizes: [4, 3], loss: "hinge" as "svm" }), /loss must be one of/);
  assert.throws(() => createNetwork({ layerSizes: [4, 3], reg: -1 }), /reg \(the L2 strength λ\) must be a finite number ≥ 0, got -1/);
  assert.throws(() => createNetwork({ layerSizes: [4, 3], init: "glorot" as "he" }), /init must be one of small, he, xavier or a number/);
  const net = createNetwork({ layerSizes: [3, 8, 3], seed: 1 });
  await assert.rejects(net.fit(data, quiet), /training set: examples have 2 features but 3 are expected/);
  const ok = createNetwork({ layerSizes: [2, 8, 3], seed: 1 });
  const withNaN = Float32Array.from(data.x);
  withNaN[5] = Number.NaN;
  await assert.rejects(ok.fit({ ...data, x: withNaN }, quiet), /non-finite value NaN at row 2, column 1/);
  const badLabels = Int32Array.from(data.y);
  badLabels[4] = 7;
  await assert.rejects(ok.fit({ ...data, y: badLabels }, quiet), /7 is not a class index in 0\.\.2/);
  await assert.rejects(ok.fit(data, { ...quiet, learningRate: 1e4, epochs: 50 }), /learning rate that is too high/);
  net.dispose();
  ok.dispose();
});
