// The convolutional network (nn/cnn.ts, cnn-persist.ts): parameter counts, whole-network gradients
// against numerical gradients and tf.grad, a flat tensor count while training, the classifier
// contract, keep-best and divergence with the shared training loop, save/load, an accuracy floor,
// and bad input named.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/index.js";
import {
  ConvNet,
  convNetLoss,
  convNetLossAndGrads,
  countConvNetParameters,
  enableAutodiff,
  initConvNetParams,
  loadConvNet,
  planConvNet,
  saveConvNet,
  writeNpy,
} from "../lib/src/index.js";
import { gradCheckTensors, adamOptimizer } from "../lib/src/optim/index.js";
import { trainModel } from "../lib/src/training/index.js";
import { loadDataset, selectExamples } from "../lib/src/data/index.js";
import { createRng } from "../lib/src/core/random.js";
import type { Examples } from "../lib/src/core/types.js";

const dir = mkdtempSync(join(tmpdir(), "cnn-test-"));
before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { printEvery: 0, trainAccuracySample: 0 };

/** n random 8×8 one-channel "images" whose class is which quadrant is brightest (4 classes). */
function quadrants(n: number, seed: number): Examples {
  const rng = createRng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = rng.int(4);
    y[i] = label;
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        const quadrant = (r < 4 ? 0 : 2) + (c < 4 ? 0 : 1);
        x[i * 64 + r * 8 + c] = 0.3 * rng.normal() + (quadrant === label ? 1 : 0);
      }
    }
  }
  return { x, y, n, d: 64 };
}

function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(x[i]!) + Math.abs(y[i]!), 1e-3));
  return worst;
}

test("parameter counts: the default network has 82,934 (208 + 3,216 + 78,500 + 1,010) and its variables hold them", () => {
  const net = new ConvNet();
  // conv 5×5×1×8 + 8, conv 5×5×8×16 + 16, affine 7·7·16 = 784 → 100, affine 100 → 10
  assert.equal(net.parameterCount, 25 * 8 + 8 + 25 * 8 * 16 + 16 + 784 * 100 + 100 + 100 * 10 + 10);
  assert.equal(net.parameterCount, 82934);
  assert.deepEqual(Object.keys(net.params), ["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]);
  assert.deepEqual(net.params.W2!.shape, [5, 5, 8, 16]);
  assert.deepEqual(net.plan.conv.map((l) => l.output), [[14, 14, 8], [7, 7, 16]]);
  assert.equal(net.numFeatures, 784);
  net.dispose();
  const bn = new ConvNet({ batchNorm: true });
  assert.deepEqual(Object.keys(bn.params).slice(0, 5), ["W1", "gamma1", "beta1", "runningMean1", "runningVar1"]);
  // no biases before batch norm, γ and β instead (the running statistics are not parameters)
  assert.equal(bn.parameterCount, 82934 + 8 + 16 + 100);
  assert.equal(bn.params.runningMean1!.trainable, false);
  bn.dispose();
  assert.equal(countConvNetParameters(planConvNet({ imageShape: [32, 32, 3], conv: [{ filters: 6, size: 5, pad: 0 }], hidden: [] })), 5 * 5 * 3 * 6 + 6 + 14 * 14 * 6 * 10 + 10);
});

/** The network's handwritten gradients against tf.grad of its forward-only loss and against numerical gradients. */
function checkNetworkGradients(options: ConstructorParameters<typeof ConvNet>[0], seed: number): void {
  const plan = planConvNet(options);
  const params = initConvNetParams(plan, "he", seed);
  const data = quadrants(6, seed);
  tf.tidy(() => {
    for (const [name, v] of Object.entries(params)) if (/^(b|beta)\d/.test(name)) v.assign(tf.randomNormal(v.shape, 0, 0.1, "float32", seed));
    const x = tf.tensor2d(data.x, [data.n, data.d]);
    const { loss, grads } = convNetLossAndGrads(params, x, data.y, plan, 7);
    const names = Object.keys(grads);
    const label = JSON.stringify(options);
    assert.ok(Math.abs(loss.dataSync()[0]! - convNetLoss(params, x, data.y, plan, 7).dataSync()[0]!) < 1e-5, label);
    const auto = tf.grads((...ts: tf.Tensor[]) => convNetLoss({ ...params, ...Object.fromEntries(names.map((k, i) => [k, ts[i]!])) }, x, data.y, plan, 7))(names.map((k) => params[k]!));
    names.forEach((k, i) => assert.ok(maxRelativeDifference(grads[k]!, auto[i]!) < 1e-3, `${label} ${k} vs tf.grad: ${maxRelativeDifference(grads[k]!, auto[i]!)}`));
    const trainable = Object.fromEntries(names.map((k) => [k, params[k]!]));
    const report = gradCheckTensors(
      { params: trainable, grads, loss: (p) => convNetLoss({ ...params, ...p }, x, data.y, plan, 7) },
      // ReLU kinks and pooling winners may change within θ ± h for a coordinate or two
      { samples: 6, h: 1e-3, allowedFailures: 3 },
    );
    assert.ok(report.passed, `${label}: ${report.summary}`);
  });
  for (const v of Object.values(params)) v.dispose();
}

test("whole-network gradients (plain, with L2, batch norm, dropout, stride 2) against numerical gradients and tf.grad", () => {
  const small = { imageShape: [8, 8, 1] as [number, number, number], conv: [{ filters: 3, size: 3 }], hidden: [5], numClasses: 4 };
  checkNetworkGradients(small, 1);
  checkNetworkGradients({ ...small, conv: [{ filters: 3, size: 3 }, { filters: 4, size: 3 }], reg: 0.05 }, 2);
  checkNetworkGradients({ ...small, batchNorm: true }, 3);
  checkNetworkGradients({ ...small, dropout: 0.3, hidden: [6, 5] }, 4);
  checkNetworkGradients({ ...small, conv: [{ filters: 2, size: 2, stride: 2, pad: 0 }], pool: 1, hidden: [] }, 5);
});

test("the live tensor count stays flat over 100 training steps (batch norm and dropout on)", async () => {
  const data = quadrants(200, 1);
  const net = new ConvNet({ imageShape: [8, 8, 1], conv: [{ filters: 4, size: 3 }], hidden: [8], numClasses: 4, batchNorm: true, dropout: 0.2, seed: 1 });
  const optimizer = adamOptimizer();
  const counts: number[] = [];
  await trainModel(net, data, { learningRate: 0.01, batchSize: 16, iterations: 100, optimizer, ...quiet, onIteration: () => counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 100);
  assert.equal(counts[99], counts[5], `tensors: ${counts[5]} after 6 steps, ${counts[99]} after 100`);
  optimizer.dispose();
  net.dispose();
});

test("fit / predict / score / dispose, keep-best with batch norm's running statistics, and the divergence stop", async () => {
  const train = quadrants(400, 2);
  const validation = quadrants(100, 3);
  const net = new ConvNet({ imageShape: [8, 8, 1], conv: [{ filters: 4, size: 3 }], hidden: [16], numClasses: 4, batchNorm: true, seed: 2, training: { ...quiet, learningRate: 0.01, batchSize: 32, epochs: 4, optimizer: adamOptimizer() } });
  const returned = await net.fit(train, { validation, keepBest: true });
  assert.equal(returned, net);
  assert.equal(net.history!.epochs.length, 4);
  const best = net.history!.best!;
  // the kept parameters, running statistics included, give the best epoch's validation accuracy
  assert.equal(await net.score(validation), best.validationAccuracy);
  assert.ok(best.validationAccuracy > 0.9, `validation accuracy ${best.validationAccuracy}`);
  const predicted = await net.predict(validation.x);
  assert.equal(predicted.length, 100);
  assert.deepEqual(predicted, await net.predict(validation));
  net.dispose();
  await assert.rejects(net.score(validation), /was disposed/);
  const wild = new ConvNet({ imageShape: [8, 8, 1], conv: [{ filters: 4, size: 3 }], hidden: [16], numClasses: 4, seed: 2 });
  await assert.rejects(wild.fit(train, { ...quiet, learningRate: 1e4, epochs: 5 }), /learning rate that is too high/);
  wild.dispose();
});

test("save and load: the same predictions, batch norm's running statistics included; a wrong shape is refused", async () => {
  const data = quadrants(120, 4);
  const net = new ConvNet({ imageShape: [8, 8, 1], conv: [{ filters: 3, size: 3 }], hidden: [8], numClasses: 4, batchNorm: true, seed: 4 });
  await net.fit(data, { ...quiet, learningRate: 0.01, batchSize: 20, epochs: 2, optimizer: adamOptimizer() });
  const folder = join(dir, "cnn");
  const manifest = saveConvNet(net, folder);
  assert.ok(manifest.parameters.some((p) => p.name === "runningVar1" && p.shape.join() === "3"));
  const loaded = loadConvNet(folder);
  assert.deepEqual(await loaded.predict(data), await net.predict(data));
  assert.ok(maxRelativeDifference(loaded.params.runningMean1!, net.params.runningMean1!) === 0);
  writeNpy(join(folder, "W1.npy"), new Float32Array(2 * 3 * 3), [2, 3, 3]);
  assert.throws(() => loadConvNet(folder), /W1\.npy has shape \[2, 3, 3\], but W1 of this network is \[3, 3, 1, 3\]/);
  writeFileSync(join(folder, "convnet.json"), "{");
  assert.throws(() => loadConvNet(folder), /convnet\.json is not valid JSON/);
  assert.throws(() => loadConvNet(join(dir, "nothing")), /no such folder/);
  net.dispose();
  loaded.dispose();
});

test("accuracy floor on mnist-10k: the small CNN reaches ≥ 0.95 after 3 epochs on 4,000 images", async () => {
  const data = await loadDataset("mnist-10k", { seed: 0 });
  const train = selectExamples(data.train, Int32Array.from({ length: 4000 }, (_, i) => i));
  const net = new ConvNet({ seed: 1, scoresLossOn: "host" });
  await net.fit(train, { ...quiet, learningRate: 2e-3, batchSize: 50, epochs: 3, optimizer: adamOptimizer(), seed: 1 });
  const accuracy = await net.score(data.test);
  assert.ok(accuracy >= 0.95, `test accuracy ${accuracy}`);
  const maps = net.featureMaps(data.test.x.subarray(0, 2 * 784), 2);
  assert.deepEqual(maps.shape, [2, 14, 14, 16]);
  assert.ok(maps.values.every((v) => v >= 0)); // after ReLU
  net.dispose();
});

test("bad input fails with a message naming the mistake", async () => {
  assert.throws(() => new ConvNet({ filters: 8 } as never), /ConvNet options: unknown option 'filters'/);
  assert.throws(() => new ConvNet({ hiden: [10] } as never), /unknown option 'hiden'; did you mean 'hidden'\?/);
  assert.throws(() => new ConvNet({ conv: [{ filters: 8, size: 5 }, { filters: 8, size: 15, pad: 0 }] }), /conv\[1\]: output height: the filter \(F = 15\) is larger than the padded input \(H \+ 2P = 14 \+ 2·0 = 14\)/);
  assert.throws(() => new ConvNet({ imageShape: [28, 28, 1], conv: [{ filters: 8, size: 5, stride: 2, pad: 0 }] }), /conv\[0\]: output height \(H \+ 2P − F\)\/S \+ 1 = \(28 \+ 2·0 − 5\)\/2 \+ 1 = 12\.50 is not an integer/);
  assert.throws(() => new ConvNet({ conv: [{ filters: 8, size: 5 }, { filters: 8, size: 5 }, { filters: 8, size: 5 }] }), /max pooling: output height \(H − size\)\/stride \+ 1 = \(7 − 2\)\/2 \+ 1 = 3\.50 is not an integer/);
  assert.throws(() => new ConvNet({ conv: [{ filters: 8, size: 5, padding: 2 } as never] }), /conv\[0\]: unknown option 'padding'; known options: 'filters', 'size', 'stride', 'pad'/);
  assert.throws(() => new ConvNet({ dropout: 1 }), /dropout \(the probability of dropping a unit\) must be in \[0, 1\), got 1/);
  assert.throws(() => new ConvNet({ imageShape: [28, 28] as never }), /imageShape must be \[H, W, C\]/);
  const data = quadrants(20, 5);
  const net = new ConvNet(); // 28×28×1 by default
  await assert.rejects(net.fit(data, quiet), /ConvNet: the examples have 64 values each, but imageShape \[28, 28, 1\] needs 784; pass imageShape/);
  net.dispose();
  const small = new ConvNet({ imageShape: [8, 8, 1], conv: [{ filters: 2, size: 3 }], hidden: [4], numClasses: 4, batchNorm: true });
  await assert.rejects(small.fit(data, { ...quiet, batchSize: 1, learningRate: 0.01 }), /batchSize 1 would normalise each image by its own statistics/);
  await assert.rejects(small.fit(quadrants(21, 6), { ...quiet, batchSize: 10, learningRate: 0.01 }), /21 examples in batches of 10 leave a last batch of 1 in every epoch.*use another batchSize \(e\.g\. 9 or 11\)/);
  const withNaN = Float32Array.from(data.x);
  withNaN[70] = Number.NaN;
  await assert.rejects(small.fit({ ...data, x: withNaN }, { ...quiet, learningRate: 0.01 }), /non-finite value NaN at row 1, column 6/);
  await assert.rejects(small.predict(withNaN), /non-finite value NaN at row 1, column 6/);
  assert.throws(() => small.featureMaps(data.x, 3), /layer must be 1\.\.1/);
  small.dispose();
});
