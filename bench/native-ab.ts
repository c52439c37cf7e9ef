/**
 * A/B measurement of the native backend's fast paths (lib/src/runtime/native/) on the two MLP bench
 * jobs (784-100-10 ReLU on Fashion-MNIST: SVM loss + SGD at batch 20, softmax + Adam at batch 64):
 * training steps alternate between the fast version and the one it replaced, in rounds of 100 steps
 * inside one process, so that the machine's ups and downs hit both alike. Run on the native backend:
 *
 *   node --import tsx bench/native-ab.ts [rounds]        (default 20 rounds per comparison)
 *
 * Prints µs per training step for: the fast kernels (MatMul, Sum, one-kernel affine layers) against
 * tfjs-node's own, the one-kernel affine layers (runtime/native/fused-affine.ts) against product,
 * bias and ReLU kernels, and the fused optimiser update against the element-wise one. A benchmark,
 * not a test: it asserts nothing.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/index.js";
import { setNativeKernels } from "../lib/src/runtime/native/index.js";
import { loadDataset, subtractTrainMean } from "../lib/src/data/index.js";
import { createNetwork } from "../lib/src/nn/index.js";
import { adamOptimizer, sgdOptimizer, type Optimizer } from "../lib/src/optim/index.js";
import { createBatchSampler } from "../lib/src/training/batches.js";
import { trainingStep } from "../lib/src/training/step.js";
import { MLP_BENCH_SETTINGS } from "./mlp-entries.js";

const STEPS_PER_ROUND = 100;

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, got ${process.argv[2]}`);
  const info = await initBackend();
  if (info.name !== "tensorflow") throw new Error(`the fast paths are the native backend's; this process has ${info.name} (unset CLASSIFIERS_BACKEND)`);
  const { dataset } = subtractTrainMean(await loadDataset("fashion-mnist", { seed: 0 }));
  for (const job of ["svm", "adam"] as const) {
    const settings = MLP_BENCH_SETTINGS[job];
    const net = createNetwork({ layerSizes: [dataset.train.d, 100, 10], activation: "relu", loss: settings.loss, init: "he", seed: 0, scoresLossOn: "host" });
    const batches = createBatchSampler(dataset.train, settings.batchSize, 0);
    const makeOptimizer = (fused: boolean): Optimizer => (job === "adam" ? adamOptimizer({ fused }) : sgdOptimizer({ fused }));
    const fusedOptimizer = makeOptimizer(true);
    const elementwiseOptimizer = makeOptimizer(false);
    /** Mean µs per training step with each variant's optimiser (after its set-up), alternating them round by round. */
    const compare = (variants: Record<string, () => Optimizer>): Record<string, number> => {
      const total: Record<string, number> = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]));
      for (let round = -1; round < rounds; round++) {
        for (const [name, prepare] of Object.entries(variants)) {
          const optimizer = prepare();
          const start = performance.now();
          for (let i = 0; i < STEPS_PER_ROUND; i++) {
            const batch = batches.next();
            trainingStep(net, batch.x, batch.y, optimizer, settings.learningRate);
            batches.release(batch);
          }
          if (round >= 0) total[name]! += performance.now() - start; // round -1 warms both up
        }
      }
      return Object.fromEntries(Object.entries(total).map(([k, ms]) => [k, (ms * 1000) / (rounds * STEPS_PER_ROUND)]));
    };
    const kernels = compare({
      "fast kernels": () => (setNativeKernels(true), fusedOptimizer),
      "tfjs-node's kernels": () => (setNativeKernels(false), fusedOptimizer),
    });
    const affine = compare({
      "one-kernel affine layers": () => (setNativeKernels(true), fusedOptimizer),
      "product, bias, ReLU kernels": () => (setNativeKernels(true, { fusedAffine: false }), fusedOptimizer),
    });
    setNativeKernels(true);
    const updates = compare({ "fused update": () => fusedOptimizer, "element-wise update": () => elementwiseOptimizer });
    const line = (r: Record<string, number>) => Object.entries(r).map(([k, us]) => `${k} ${us.toFixed(0)} µs/step`).join(", ");
    console.log(`${job} (batch ${settings.batchSize}): ${line(kernels)}; ${line(affine)}; ${line(updates)}`);
    fusedOptimizer.dispose();
    elementwiseOptimizer.dispose();
    batches.dispose();
    net.dispose();
  }
  console.log(`live tensors at the end: ${tf.memory().numTensors}`);
}

await main();
