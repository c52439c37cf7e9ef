import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { createLinearClassifier } from "../lib/src/linear/linear.js";
import { trainModel, TrainingDivergedError } from "../lib/src/training/index.js";
import { modelPredict } from "../lib/src/core/model.js";
import { modelAccuracy } from "../lib/src/eval/metrics.js";
import { momentumOptimizer } from "../lib/src/optim/optimizers.js";
import { cosineSchedule } from "../lib/src/optim/schedules.js";
import { l2Regularizer } from "../lib/src/losses/regularizers.js";
import { toyBlobs, toySpiral } from "../lib/src/data/toydata.js";
import { loadDataset } from "../lib/src/data/datasets.js";
import { subtractTrainMean } from "../lib/src/data/preprocess.js";
import type { Examples } from "../lib/src/core/types.js";

before(async () => {
  await initBackend({ log: false });
});

const quiet = { printEvery: 0 };

test("training reduces the loss and records one loss per iteration", async () => {
  const data = toySpiral({ nPerClass: 100, classes: 3, seed: 1 });
  for (const loss of ["svm", "softmax"] as const) {
    const model = createLinearClassifier({ inputDim: 2, numClasses: 3, loss, seed: 2 });
    const history = await trainModel(model, data, { learningRate: 0.5, batchSize: 50, epochs: 20, seed: 3, ...quiet });
    assert.equal(history.loss.length, 6 * 20);
    assert.equal(history.epochs.length, 20);
    const first = history.loss.slice(0, 6).reduce((a, b) => a + b) / 6;
    const last = history.loss.slice(-6).reduce((a, b) => a + b) / 6;
    assert.ok(last < 0.85 * first, `${loss}: mean loss ${first} -> ${last}`);
    // A line separates about half of the spiral: better than chance (1/3), far from perfect.
    const acc = modelAccuracy(model, data);
    assert.ok(acc > 0.4 && acc < 0.75, `${loss} spiral accuracy ${acc}`);
    model.dispose();
  }
});

test("same seed, same run; the running average is printed every printEvery iterations", async () => {
  const data = toyBlobs({ n: 120, seed: 4 });
  const run = async (lines: string[]) => {
    const model = createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "softmax", seed: 1, biasTrick: true });
    const h = await trainModel(model, data, { learningRate: 0.1, batchSize: 16, iterations: 40, seed: 9, printEvery: 10, log: (l) => lines.push(l) });
    model.dispose();
    return h;
  };
  const linesA: string[] = [];
  const a = await run(linesA);
  const b = await run([]);
  assert.deepEqual(a.loss, b.loss);
  const iterationLines = linesA.filter((l) => l.startsWith("iteration"));
  assert.equal(iterationLines.length, 4);
  assert.match(iterationLines[0]!, /^iteration 10\/40: loss \d+\.\d+ \(mean of last 10\)/);
  const mean = a.loss.slice(10, 20).reduce((s, v) => s + v) / 10;
  assert.ok(iterationLines[1]!.includes(`loss ${mean.toFixed(4)}`), iterationLines[1]);
});

test("an absurd learning rate stops training with a message naming the iteration", async () => {
  const data = toyBlobs({ n: 100, seed: 5 });
  const scaled: Examples = { ...data, x: data.x.map((v) => v * 1e6) };
  const model = createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "softmax", seed: 1 });
  await assert.rejects(
    trainModel(model, scaled, { learningRate: 1e30, batchSize: 20, epochs: 5, ...quiet }),
    (err: unknown) => {
      assert.ok(err instanceof TrainingDivergedError);
      assert.match(err.message, /the loss became (NaN|Infinity) at iteration \d+/);
      assert.match(err.message, /learning rate that is too high/);
      assert.equal(err.history.loss.length, err.iteration);
      assert.ok(!Number.isFinite(err.history.loss.at(-1)!));
      return true;
    },
  );
  const lines: string[] = [];
  const stopped = await trainModel(model, scaled, { learningRate: 1e30, batchSize: 20, epochs: 5, onDiverge: "stop", log: (l) => lines.push(l) });
  assert.ok(stopped.diverged && stopped.diverged.iteration <= 3, JSON.stringify(stopped.diverged));
  assert.ok(lines.some((l) => l.includes(`at iteration ${stopped.diverged!.iteration}`)));
  model.dispose();
});

test("the live tensor count stays flat across iterations (SGD and momentum)", async () => {
  const data = toySpiral({ nPerClass: 50, classes: 3, seed: 2 });
  const validation = toySpiral({ nPerClass: 20, classes: 3, seed: 3 });
  for (const biasTrick of [false, true]) {
    const model = createLinearClassifier({ inputDim: 2, numClasses: 3, loss: "svm", reg: l2Regularizer(1e-3), seed: 1, biasTrick });
    const optimizer = momentumOptimizer();
    // One iteration first: it creates the optimiser's velocity tensors, which then persist.
    await trainModel(model, data, { learningRate: 0.1, batchSize: 30, iterations: 1, optimizer, ...quiet });
    const before = tf.memory().numTensors;
    await trainModel(model, data, { learningRate: cosineSchedule(0.1, 50), batchSize: 30, iterations: 50, optimizer, validation, ...quiet });
    assert.equal(tf.memory().numTensors, before, `biasTrick ${biasTrick}`);
    optimizer.dispose();
    model.dispose();
  }
});

test("bad training input fails clearly", async () => {
  const model = createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "svm" });
  const data = toyBlobs({ n: 10, seed: 1 });
  await assert.rejects(trainModel(model, { ...data, y: data.y.map((v, i) => (i === 3 ? 5 : v)) }, { learningRate: 0.1 }), /training set labels\[3\] = 5 is not a class index in 0\.\.1/);
  await assert.rejects(trainModel(model, { ...data, d: 3 }, { learningRate: 0.1 }), /training set: x has 20 values, but n\*d = 10\*3 = 30/);
  const withNaN = Float32Array.from(data.x);
  withNaN[2 * 4 + 1] = Number.NaN;
  await assert.rejects(trainModel(model, { ...data, x: withNaN }, { learningRate: 0.1 }), /training set: x has a non-finite value NaN at row 4, column 1/);
  assert.throws(() => modelPredict(model, tf.zeros([2, 5]) as tf.Tensor2D), /expected inputs with 2 features/);
  model.dispose();
});

test("accuracy floors on mnist-10k (8000/2000): SVM ≥ 0.85, softmax ≥ 0.85", async () => {
  const { dataset } = subtractTrainMean(await loadDataset("mnist-10k"));
  assert.equal(dataset.train.n, 8000);
  assert.equal(dataset.test.n, 2000);
  for (const [loss, learningRate] of [["svm", 0.01], ["softmax", 0.3]] as const) {
    const model = createLinearClassifier({ inputDim: 784, numClasses: 10, loss, reg: l2Regularizer(1e-4), seed: 1 });
    const history = await trainModel(model, dataset.train, { learningRate, batchSize: 200, epochs: 6, seed: 1, trainAccuracySample: 0, ...quiet });
    const acc = modelAccuracy(model, dataset.test);
    assert.ok(acc >= 0.85, `${loss} test accuracy ${acc}`);
    assert.ok(history.loss.at(-1)! < history.loss[0]!);
    model.dispose();
  }
});

test("callbacks see every update and every epoch, with the values the history records", async () => {
  const data = toyBlobs({ n: 120, seed: 4 });
  const model = createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "softmax", seed: 1 });
  const iterations: { iteration: number; epoch: number; loss: number; learningRate: number }[] = [];
  const epochs: number[] = [];
  const history = await trainModel(model, data, {
    learningRate: cosineSchedule(0.2, 13), batchSize: 50, iterations: 13, seed: 2, validation: data, ...quiet,
    onIteration: (info) => iterations.push(info),
    onEpoch: (record) => epochs.push(record.epoch),
  });
  assert.deepEqual(iterations.map((i) => i.iteration), Array.from({ length: 13 }, (_, i) => i + 1));
  assert.deepEqual(iterations.map((i) => i.loss), history.loss);
  assert.deepEqual(iterations.map((i) => i.learningRate), history.learningRate);
  // 120 rows in batches of 50: 3 batches per epoch, so updates 1-3 are epoch 1, 13 is epoch 5.
  assert.deepEqual(iterations.map((i) => i.epoch), [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5]);
  assert.deepEqual(epochs, [1, 2, 3, 4, 5]);
  assert.deepEqual(epochs, history.epochs.map((e) => e.epoch));
  model.dispose();
});

test("keepBest leaves the model with the parameters of its best validation epoch", async () => {
  const dataset = await loadDataset("mnist-10k", { nTrain: 1000, nTest: 500, seed: 1 });
  const { train, test: validation } = subtractTrainMean(dataset).dataset;
  // A rate this high makes validation accuracy jump around from epoch to epoch.
  const options = { learningRate: 2, batchSize: 100, epochs: 8, seed: 3, validation, trainAccuracySample: 0, ...quiet };
  const plain = createLinearClassifier({ inputDim: 784, numClasses: 10, loss: "svm", seed: 2 });
  const plainHistory = await trainModel(plain, train, options);
  const accuracies = plainHistory.epochs.map((e) => e.validationAccuracy!);
  const bestEpoch = accuracies.indexOf(Math.max(...accuracies)) + 1;
  assert.ok(bestEpoch < 8, `the test needs a run whose last epoch is not its best (accuracies ${accuracies.join(", ")})`);
  assert.ok(modelAccuracy(plain, validation) < Math.max(...accuracies));

  const kept = createLinearClassifier({ inputDim: 784, numClasses: 10, loss: "svm", seed: 2 });
  const before = tf.memory().numTensors;
  const keptHistory = await trainModel(kept, train, { ...options, keepBest: true });
  assert.equal(tf.memory().numTensors, before, "snapshots are freed");
  assert.deepEqual(keptHistory.best, { epoch: bestEpoch, validationAccuracy: Math.max(...accuracies) });
  assert.equal(modelAccuracy(kept, validation), Math.max(...accuracies));
  await assert.rejects(trainModel(kept, train, { learningRate: 0.1, keepBest: true }), /keepBest needs a validation set/);
  plain.dispose();
  kept.dispose();
});
