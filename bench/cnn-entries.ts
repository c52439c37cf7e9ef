/**
 * Benchmark entry for the convolutional network of notebook 05 on the full Fashion-MNIST (60,000
 * training images, pixels in [0, 1]): conv 5×5 ×8 → ReLU → max pool 2 → conv 5×5 ×16 → ReLU → max
 * pool 2 → affine 100 → ReLU → affine 10, softmax, Adam (lr 1e-3), batch 64, 2 epochs, reporting
 * seconds per epoch, test accuracy, live tensors left after training and (from the harness) peak RSS.
 * bench/peers.py trains the same network the same way in PyTorch on the CPU.
 *
 * Training uses the library's fast layers (nn/conv.ts, pool.ts, conv-relu-pool.ts) through the
 * shared training loop; the naive layers are for teaching and never run here.
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadDataset } from "../lib/src/data/index.js";
import { ConvNet } from "../lib/src/nn/index.js";
import { trainModel } from "../lib/src/training/index.js";
import { modelAccuracy } from "../lib/src/eval/index.js";
import { adamOptimizer } from "../lib/src/optim/index.js";
import type { BenchEntry, EntryMeasurement } from "./types.js";

/** The job; bench/peers.py repeats it in PyTorch with the same numbers. */
export const CNN_BENCH_SETTINGS = { filters: [8, 16], size: 5, hidden: 100, learningRate: 1e-3, batchSize: 64, epochs: 2 } as const;

export async function cnnFashionMnist(): Promise<EntryMeasurement> {
  const s = CNN_BENCH_SETTINGS;
  const { train, test } = await loadDataset("fashion-mnist", { seed: 0 });
  const tensorsBefore = tf.memory().numTensors;
  const start = performance.now();
  const net = new ConvNet({ conv: s.filters.map((filters) => ({ filters, size: s.size })), hidden: [s.hidden], seed: 0, scoresLossOn: "host" });
  const optimizer = adamOptimizer();
  const history = await trainModel(net, train, { learningRate: s.learningRate, batchSize: s.batchSize, epochs: s.epochs, optimizer, seed: 0, printEvery: 0, trainAccuracySample: 0 });
  const trainSeconds = (performance.now() - start) / 1000;
  const accuracy = modelAccuracy(net, test);
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  net.dispose();
  const liveTensors = tf.memory().numTensors - tensorsBefore;
  // forward multiply-adds per image (conv1, conv2, two affine layers), ×2 flops, ×3 for forward + both backward products
  const macs = 28 * 28 * 8 * 25 * 1 + 14 * 14 * 16 * 25 * 8 + 784 * 100 + 100 * 10;
  const flops = history.iterations > 0 ? s.epochs * train.n * 2 * 3 * macs : 0;
  return { nTrain: train.n, nTest: test.n, seconds, accuracy, gflops: flops / trainSeconds / 1e9, secondsPerEpoch: trainSeconds / s.epochs, liveTensors };
}

export const CNN_ENTRIES: BenchEntry[] = [{ name: "cnn-fashion-mnist", dataset: "fashion-mnist", run: cnnFashionMnist }];
