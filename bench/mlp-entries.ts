/**
 * Benchmark entries for fully connected networks on the full Fashion-MNIST (60,000 training images,
 * mean subtracted): a 784-100-10 ReLU network trained for 5 epochs,
 *   `mlp-fashion-mnist-adam`  softmax cross-entropy, Adam (lr 1e-3), batch 64
 *   `mlp-fashion-mnist-svm`   multiclass SVM loss, plain SGD, batch 20
 * reporting seconds per epoch, test accuracy, live tensors left after training and (from the harness)
 * peak RSS. The peers (bench/peers.py) train the same network the same way in PyTorch on the CPU.
 *
 * Small batches are dominated by the per-kernel overhead (~30-40 µs a call), so the network computes
 * its [B, 10] loss on the host (`scoresLossOn: "host"`) and skips the input gradient of the first
 * layer; the training loop gathers batches on the host.
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadDataset } from "../lib/src/data/index.js";
import { subtractTrainMean } from "../lib/src/data/index.js";
import { createNetwork } from "../lib/src/nn/index.js";
import { trainModel } from "../lib/src/training/index.js";
import { modelAccuracy } from "../lib/src/eval/index.js";
import { adamOptimizer, sgdOptimizer } from "../lib/src/optim/index.js";
import type { BenchEntry, EntryMeasurement } from "./types.js";

/** The two jobs; bench/peers.py repeats them in PyTorch with the same numbers. */
export const MLP_BENCH_SETTINGS = {
  adam: { loss: "softmax", optimizer: "adam", learningRate: 1e-3, batchSize: 64, epochs: 5 },
  svm: { loss: "svm", optimizer: "sgd", learningRate: 0.02, batchSize: 20, epochs: 5 },
} as const;

export async function mlpFashionMnist(job: keyof typeof MLP_BENCH_SETTINGS): Promise<EntryMeasurement> {
  const settings = MLP_BENCH_SETTINGS[job];
  const { dataset } = subtractTrainMean(await loadDataset("fashion-mnist", { seed: 0 }));
  const { train, test } = dataset;
  const tensorsBefore = tf.memory().numTensors;
  const start = performance.now();
  const net = createNetwork({ layerSizes: [train.d, 100, 10], activation: "relu", loss: settings.loss, init: "he", seed: 0, scoresLossOn: "host" });
  const optimizer = settings.optimizer === "adam" ? adamOptimizer() : sgdOptimizer();
  const history = await trainModel(net, train, {
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    epochs: settings.epochs,
    optimizer,
    seed: 0,
    printEvery: 0,
    trainAccuracySample: 0,
  });
  const trainSeconds = (performance.now() - start) / 1000;
  const accuracy = modelAccuracy(net, test);
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  net.dispose();
  // Everything the job made is freed by now: anything left leaked.
  const liveTensors = tf.memory().numTensors - tensorsBefore;
  // forward x·W1, h·W2 and backward xᵀ·dz1, hᵀ·ds, ds·W2ᵀ: 2·(2·D·H + 3·H·C) flops per example
  const flops = history.iterations > 0 ? settings.epochs * train.n * 2 * (2 * train.d * 100 + 3 * 100 * 10) : 0;
  return { nTrain: train.n, nTest: test.n, seconds, accuracy, gflops: flops / trainSeconds / 1e9, secondsPerEpoch: trainSeconds / settings.epochs, liveTensors };
}

export const MLP_ENTRIES: BenchEntry[] = [
  { name: "mlp-fashion-mnist-adam", dataset: "fashion-mnist", run: () => mlpFashionMnist("adam") },
  { name: "mlp-fashion-mnist-svm", dataset: "fashion-mnist", run: () => mlpFashionMnist("svm") },
];
