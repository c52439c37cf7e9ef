/**
 * The mini-batch training loop shared by every model in the course (linear classifiers now, neural
 * networks later): sample a batch, compute loss and gradients, let the optimiser update the
 * parameters, record the loss; print a running average now and then; measure accuracy each epoch;
 * stop with a clear message when the loss becomes NaN or infinite.
 *
 * A model is anything with named `tf.Variable` parameters, a loss-and-gradients function on a batch
 * and a scores function (see `TrainableModel`). Batches are drawn from a seeded shuffle of the
 * training set each epoch, so a run is reproducible. Memory: every iteration's tensors are freed,
 * so `tf.memory().numTensors` stays flat (optimiser state is created once, on the first step).
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng, permutation } from "../core/random.js";
import type { Examples } from "../core/types.js";
import { sgdOptimizer, type Optimizer } from "../optim/optimizers.js";
import { asSchedule, type LearningRateSchedule } from "../optim/schedules.js";
import { checkLabels } from "../losses/losses.js";
import { assertValidExamples, selectExamples } from "../data/preprocess.js";
import { modelAccuracy, type TrainableModel } from "../core/model.js";

export interface TrainOptions {
  /** Passes over the training set (default 10), unless `iterations` is given. */
  epochs?: number;
  /** Total updates; overrides `epochs`. */
  iterations?: number;
  /** Examples per update (default 200). 0 or ≥ N means full-batch gradient descent. */
  batchSize?: number;
  /** A constant rate or a schedule (iteration -> rate). */
  learningRate: number | LearningRateSchedule;
  /** Update rule (default plain SGD). */
  optimizer?: Optimizer;
  /** Seed for the batch order (default 0). */
  seed?: number;
  /** Print the running mean loss every this many iterations (default 100; 0 = never). */
  printEvery?: number;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
  /** Held-out examples: accuracy is measured on them at the end of every epoch. */
  validation?: Examples;
  /**
   * Also measure training accuracy each epoch, on this many training examples (a fixed seeded
   * sample; default 2000; 0 = skip). Accuracy on all 60,000 would cost more than the epoch.
   */
  trainAccuracySample?: number;
  /** When the loss becomes NaN/±∞: throw a `TrainingDivergedError` (default) or stop and return. */
  onDiverge?: "throw" | "stop";
}

/** Accuracy measured at the end of an epoch. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Iterations done so far. */
  iteration: number;
  /** Mean batch loss during this epoch. */
  meanLoss: number;
  trainAccuracy?: number;
  validationAccuracy?: number;
}

export interface TrainHistory {
  /** Batch loss of every iteration, in order. */
  loss: number[];
  /** Learning rate used at every iteration. */
  learningRate: number[];
  epochs: EpochRecord[];
  iterations: number;
  seconds: number;
  /** Set when training stopped because the loss was NaN or infinite (onDiverge: "stop"). */
  diverged?: { iteration: number; loss: number; message: string };
}

/** Thrown when the loss becomes NaN or infinite; carries the history up to that point. */
export class TrainingDivergedError extends Error {
  constructor(
    message: string,
    readonly iteration: number,
    readonly lossValue: number,
    readonly history: TrainHistory,
  ) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

/** Shapes and finite values (preprocess.ts), so NaN inputs are named here, not blamed on the learning rate later. */
function checkExamples(examples: Examples, what: string): void {
  assertValidExamples(examples, undefined, what);
  if (examples.n === 0) throw new Error(`${what}: no examples`);
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Trains `model` on `train` with mini-batch gradient descent and returns the loss history and
 * per-epoch accuracies. Async only so that notebook output appears while it runs.
 */
export async function trainModel(model: TrainableModel, train: Examples, options: TrainOptions): Promise<TrainHistory> {
  checkExamples(train, "training set");
  if (options.validation) checkExamples(options.validation, "validation set");
  const numClasses = tf.tidy(() => model.scores(tf.zeros([1, train.d]) as tf.Tensor2D).shape[1]);
  checkLabels(train.y, numClasses, "training labels");
  if (options.validation) checkLabels(options.validation.y, numClasses, "validation labels");

  const n = train.n;
  const batchSize = !options.batchSize || options.batchSize >= n ? n : options.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
  const perEpoch = Math.ceil(n / batchSize);
  const total = options.iterations ?? perEpoch * (options.epochs ?? 10);
  if (!Number.isInteger(total) || total < 1) throw new Error(`need at least one iteration, got ${total}`);
  const schedule = asSchedule(options.learningRate);
  const optimizer = options.optimizer ?? sgdOptimizer();
  const printEvery = options.printEvery ?? 100;
  const log = options.log ?? ((line: string) => console.log(line));
  const onDiverge = options.onDiverge ?? "throw";
  const seeds = createRng(options.seed ?? 0);
  const sampleSize = Math.min(options.trainAccuracySample ?? 2000, n);
  const trainSample = sampleSize > 0 ? selectExamples(train, permutation(n, seeds.seed()).subarray(0, sampleSize)) : undefined;

  // Full batch: the data go to the backend once. Mini-batches are assembled on the JavaScript side
  // in reused buffers and uploaded: on the wasm backend that costs ~1 ms for 500×784, where
  // tf.gather from the resident [N, D] tensor took ~25 ms.
  const fullBatch = batchSize >= n;
  const xAll = fullBatch ? tf.tensor2d(train.x, [n, train.d]) : undefined;
  const yAll = fullBatch ? tf.tensor1d(train.y, "int32") : undefined;
  const xBuffer = new Float32Array(fullBatch ? 0 : batchSize * train.d);
  const yBuffer = new Int32Array(fullBatch ? 0 : batchSize);
  const history: TrainHistory = { loss: [], learningRate: [], epochs: [], iterations: 0, seconds: 0 };
  const start = performance.now();
  let order = permutation(n, seeds.seed());
  let cursor = 0;
  let epochLossSum = 0;
  let epochIterations = 0;
  let windowSum = 0;
  let windowCount = 0;

  const endEpoch = (): void => {
    const record: EpochRecord = {
      epoch: history.epochs.length + 1,
      iteration: history.iterations,
      meanLoss: epochLossSum / Math.max(1, epochIterations),
    };
    if (trainSample) record.trainAccuracy = modelAccuracy(model, trainSample);
    if (options.validation) record.validationAccuracy = modelAccuracy(model, options.validation);
    history.epochs.push(record);
    const parts = [`epoch ${record.epoch}: mean loss ${record.meanLoss.toFixed(4)}`];
    if (record.trainAccuracy !== undefined) parts.push(`train acc ${record.trainAccuracy.toFixed(4)}`);
    if (record.validationAccuracy !== undefined) parts.push(`val acc ${record.validationAccuracy.toFixed(4)}`);
    if (printEvery > 0) log(parts.join(", "));
    epochLossSum = 0;
    epochIterations = 0;
  };

  try {
    for (let it = 0; it < total; it++) {
      const lr = schedule(it);
      const lossValue = tf.tidy(() => {
        let xb: tf.Tensor2D;
        let yb: tf.Tensor1D;
        if (xAll && yAll) {
          xb = xAll;
          yb = yAll;
        } else {
          const end = Math.min(cursor + batchSize, n);
          const size = end - cursor;
          const d = train.d;
          for (let r = 0; r < size; r++) {
            const row = order[cursor + r]!;
            xBuffer.set(train.x.subarray(row * d, (row + 1) * d), r * d);
            yBuffer[r] = train.y[row]!;
          }
          cursor = end;
          xb = tf.tensor2d(xBuffer.subarray(0, size * d), [size, d]);
          yb = tf.tensor1d(yBuffer.subarray(0, size), "int32");
        }
        const { loss, grads } = model.lossAndGrads(xb, yb);
        const value = loss.dataSync()[0]!;
        if (Number.isFinite(value)) optimizer.step(model.params, grads, lr);
        return value;
      });
      history.loss.push(lossValue);
      history.learningRate.push(lr);
      history.iterations = it + 1;

      if (!Number.isFinite(lossValue)) {
        const epoch = Math.floor(it / perEpoch) + 1;
        const message =
          `Training stopped: the loss became ${lossValue} at iteration ${it + 1} (epoch ${epoch}, learning rate ${lr.toPrecision(3)}). ` +
          "The usual cause is a learning rate that is too high: the updates overshoot and the weights blow up. " +
          "Try a rate 3-10× smaller (or check the inputs for NaN).";
        history.seconds = (performance.now() - start) / 1000;
        if (onDiverge === "throw") throw new TrainingDivergedError(message, it + 1, lossValue, history);
        log(message);
        history.diverged = { iteration: it + 1, loss: lossValue, message };
        return history;
      }

      epochLossSum += lossValue;
      epochIterations++;
      windowSum += lossValue;
      windowCount++;
      if (printEvery > 0 && (it + 1) % printEvery === 0) {
        const seconds = (performance.now() - start) / 1000;
        log(`iteration ${it + 1}/${total}: loss ${(windowSum / windowCount).toFixed(4)} (mean of last ${windowCount}), lr ${lr.toPrecision(3)}, ${seconds.toFixed(1)} s`);
        windowSum = 0;
        windowCount = 0;
        await yieldToEventLoop();
      }
      if (fullBatch || cursor >= n) {
        endEpoch();
        order = permutation(n, seeds.seed());
        cursor = 0;
        if (printEvery > 0) await yieldToEventLoop();
      }
    }
    if (epochIterations > 0) endEpoch(); // a final partial epoch (when `iterations` is not a multiple)
  } finally {
    xAll?.dispose();
    yAll?.dispose();
  }
  history.seconds = (performance.now() - start) / 1000;
  return history;
}
