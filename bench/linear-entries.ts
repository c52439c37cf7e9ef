/**
 * Benchmark entries for the linear classifiers: `svm-fashion-mnist` and `softmax-fashion-mnist`
 * train on the full 60,000 Fashion-MNIST training images for 20 epochs of mini-batch SGD and report
 * seconds (training + test evaluation, data loading excluded) and test accuracy on the 10,000 test
 * images. Reference: scikit-learn's SGDClassifier, 20 epochs, ~14 s (hinge) and ~24 s (log-loss).
 */
import { loadDataset } from "../lib/src/data/datasets.js";
import { subtractTrainMean } from "../lib/src/data/preprocess.js";
import { createLinearClassifier } from "../lib/src/linear/linear.js";
import { trainModel } from "../lib/src/training/train.js";
import { modelAccuracy } from "../lib/src/eval/metrics.js";
import { l2Regularizer } from "../lib/src/losses/regularizers.js";
import { momentumOptimizer, sgdOptimizer } from "../lib/src/optim/optimizers.js";
import type { LinearLossKind } from "../lib/src/losses/losses.js";
import type { BenchEntry, EntryMeasurement } from "./types.js";

/** Settings tuned for speed and accuracy on Fashion-MNIST (pixels in [0, 1], mean subtracted). */
export const LINEAR_BENCH_SETTINGS: Record<LinearLossKind, { learningRate: number; reg: number; batchSize: number; epochs: number; momentum: number }> = {
  svm: { learningRate: 0.02, reg: 1e-4, batchSize: 2000, epochs: 20, momentum: 0 },
  softmax: { learningRate: 0.3, reg: 1e-4, batchSize: 1000, epochs: 20, momentum: 0 },
};

export async function linearFashionMnist(kind: LinearLossKind): Promise<EntryMeasurement> {
  const settings = LINEAR_BENCH_SETTINGS[kind];
  const { dataset } = subtractTrainMean(await loadDataset("fashion-mnist", { seed: 0 }));
  const { train, test } = dataset;
  const start = performance.now();
  const model = createLinearClassifier({ inputDim: train.d, numClasses: 10, loss: kind, reg: l2Regularizer(settings.reg), seed: 0, scoresLossOn: "host" });
  const history = await trainModel(model, train, {
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    epochs: settings.epochs,
    optimizer: settings.momentum > 0 ? momentumOptimizer({ momentum: settings.momentum }) : sgdOptimizer(),
    seed: 0,
    printEvery: 0,
    trainAccuracySample: 0,
  });
  const accuracy = modelAccuracy(model, test);
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  // forward XW (2·N·D·C) plus backward dScoresᵀX (2·N·D·C) per example per epoch
  const flops = history.iterations > 0 ? 4 * train.n * settings.epochs * train.d * 10 : 0;
  return { nTrain: train.n, nTest: test.n, seconds, accuracy, gflops: flops / seconds / 1e9 };
}

export const LINEAR_ENTRIES: BenchEntry[] = [
  { name: "svm-fashion-mnist", dataset: "fashion-mnist", run: () => linearFashionMnist("svm") },
  { name: "softmax-fashion-mnist", dataset: "fashion-mnist", run: () => linearFashionMnist("softmax") },
];
