/**
 * The mini-batch training loop shared by every model trained by gradient descent (linear
 * classifiers, binary logistic regression and SVM, neural networks): take a batch
 * (batches.ts), compute loss and gradients and let the optimiser update the parameters
 * (step.ts), record the loss; report a running average now and then; evaluate each epoch
 * (evaluate.ts), optionally keeping the best parameters; stop with a clear message when the
 * loss becomes NaN or infinite.
 *
 * Every periodic report goes through the `onIteration` / `onEpoch` callbacks as well as the
 * printed lines, so a notebook display can follow training live. Batches come from a seeded
 * shuffle, so a run is reproducible. Memory: every iteration's tensors are freed, so
 * `tf.memory().numTensors` stays flat (optimiser state is created once, on the first step).
 */
import type { TrainableModel } from "../core/model.js";
import type { Examples } from "../core/types.js";
import { createRng } from "../core/random.js";
import { liveProgress } from "../core/progress.js";
import { sgdOptimizer } from "../optim/optimizers.js";
import { asSchedule, scheduledRate } from "../optim/schedules.js";
import {
  checkKnownOptions,
  checkNonNegativeInteger,
  checkOneOf,
  checkPositiveInteger,
  describeValue,
  InvalidInputError,
  toExamples,
} from "../core/checks.js";
import { checkUsable } from "../core/model.js";
import { modelAccuracy } from "../eval/metrics.js";
import { createBatchSampler } from "./batches.js";
import { trainingStep } from "./step.js";
import { disposeSnapshot, restoreParameters, snapshotParameters, trainAccuracySample, type ParameterSnapshot } from "./evaluate.js";
import { ON_DIVERGE_CHOICES, TRAIN_OPTION_NAMES, TrainingDivergedError, type EpochRecord, type TrainHistory, type TrainOptions } from "./options.js";

/**
 * Shapes, finite values and labels, checked once here (so NaN inputs are named by row and column,
 * not blamed on the learning rate later); x as Float64Array or number[] is converted once.
 */
function checkedExamples(model: TrainableModel, examples: Examples, what: string): Examples {
  return toExamples(examples, what, { nonEmpty: true, numFeatures: model.numFeatures, numClasses: model.numClasses });
}

/**
 * A loss this many times its starting value (or 1, whichever is larger) means training diverged
 * even though it is still finite: a learning rate of 1e30 gives losses near 1e29 long before NaN.
 */
const EXPLOSION_FACTOR = 1e3;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Names, kinds and choices of the training options (numbers are checked where they are read):
 * a misspelt name, `onDiverge: "ignore"` or a callback that is not a function fails here, before
 * any work, instead of being ignored.
 */
function checkTrainOptions(options: TrainOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new InvalidInputError("options", `training options must be an object with at least learningRate, got ${describeValue(options)}`);
  }
  checkKnownOptions(options, TRAIN_OPTION_NAMES, "training options");
  if (options.onDiverge !== undefined) checkOneOf(options.onDiverge, ON_DIVERGE_CHOICES, "onDiverge");
  for (const name of ["live", "keepBest"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new InvalidInputError(name, `${name} must be true or false, got ${describeValue(options[name])}`);
    }
  }
  for (const name of ["log", "onIteration", "onEpoch"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new InvalidInputError(name, `${name} must be a function, got ${describeValue(options[name])}`);
    }
  }
  const optimizer: unknown = options.optimizer;
  if (optimizer !== undefined && (typeof optimizer !== "object" || optimizer === null || typeof (optimizer as { step?: unknown }).step !== "function")) {
    throw new InvalidInputError("optimizer", `optimizer must be an optimiser such as adamOptimizer(), got ${describeValue(optimizer)}`);
  }
}

/**
 * Trains `model` on `train` with mini-batch gradient descent and returns the loss history and
 * per-epoch accuracies. Async only so that notebook output appears while it runs.
 */
export async function trainModel(model: TrainableModel, trainInput: Examples, options: TrainOptions): Promise<TrainHistory> {
  if (typeof model !== "object" || model === null || typeof model.lossAndGrads !== "function") {
    throw new InvalidInputError("model", `trainModel needs a TrainableModel (params, lossAndGrads, scores), got ${describeValue(model)}`);
  }
  checkUsable(model);
  checkTrainOptions(options);
  const train = checkedExamples(model, trainInput, "training set");
  const validation = options.validation ? checkedExamples(model, options.validation, "validation set") : undefined;
  if (options.epochs !== undefined) checkPositiveInteger(options.epochs, "epochs");
  if (options.iterations !== undefined) checkPositiveInteger(options.iterations, "iterations");
  if (options.printEvery !== undefined) checkNonNegativeInteger(options.printEvery, "printEvery");
  if (options.trainAccuracySample !== undefined) checkNonNegativeInteger(options.trainAccuracySample, "trainAccuracySample");
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 0)) {
    throw new InvalidInputError("batchSize", `batchSize must be a positive integer (or 0 for full batch), got ${options.batchSize}`);
  }
  if (options.keepBest && !validation) throw new InvalidInputError("keepBest", "keepBest needs a validation set to pick the best epoch");

  const seeds = createRng(options.seed ?? 0);
  const batches = createBatchSampler(train, options.batchSize ?? 200, seeds.seed());
  const total = options.iterations ?? batches.perEpoch * (options.epochs ?? 10);
  if (!Number.isInteger(total) || total < 1) {
    batches.dispose();
    throw new InvalidInputError("iterations", `need at least one iteration, got ${total}`);
  }
  const schedule = asSchedule(options.learningRate);
  const optimizer = options.optimizer ?? sgdOptimizer(); // disposed at the end when made here
  const printEvery = options.printEvery ?? 100;
  const log = options.log ?? ((line: string) => console.log(line));
  const onDiverge = options.onDiverge ?? "throw";
  // In a notebook kernel: one output updated in place replaces the printed lines.
  const live = options.live !== false && !options.log && printEvery > 0 ? liveProgress("training", total) : undefined;
  const report = (line: string): void => {
    if (live) live.tick(0, { note: line });
    else log(line);
  };
  const trainSample = trainAccuracySample(train, options.trainAccuracySample ?? 2000, seeds.seed());

  const history: TrainHistory = { loss: [], learningRate: [], epochs: [], iterations: 0, seconds: 0 };
  const start = performance.now();
  const seconds = (): number => (performance.now() - start) / 1000;
  let epochLossSum = 0;
  let epochIterations = 0;
  let windowSum = 0;
  let windowCount = 0;
  let best: ParameterSnapshot | undefined;

  const endEpoch = (): void => {
    const record: EpochRecord = {
      epoch: history.epochs.length + 1,
      iteration: history.iterations,
      meanLoss: epochLossSum / Math.max(1, epochIterations),
    };
    if (trainSample) record.trainAccuracy = modelAccuracy(model, trainSample);
    if (validation) record.validationAccuracy = modelAccuracy(model, validation);
    history.epochs.push(record);
    if (options.keepBest && record.validationAccuracy !== undefined && record.validationAccuracy > (history.best?.validationAccuracy ?? -1)) {
      disposeSnapshot(best);
      best = snapshotParameters(model);
      history.best = { epoch: record.epoch, validationAccuracy: record.validationAccuracy };
    }
    const parts = [`epoch ${record.epoch}: mean loss ${record.meanLoss.toFixed(4)}`];
    if (record.trainAccuracy !== undefined) parts.push(`train acc ${record.trainAccuracy.toFixed(4)}`);
    if (record.validationAccuracy !== undefined) parts.push(`val acc ${record.validationAccuracy.toFixed(4)}`);
    if (printEvery > 0) report(parts.join(", "));
    options.onEpoch?.(record);
    epochLossSum = 0;
    epochIterations = 0;
  };

  try {
    for (let it = 0; it < total; it++) {
      const lr = scheduledRate(schedule, it);
      const batch = batches.next();
      let lossValue: number;
      try {
        lossValue = trainingStep(model, batch.x, batch.y, optimizer, lr);
      } finally {
        batches.release(batch);
      }
      history.loss.push(lossValue);
      history.learningRate.push(lr);
      history.iterations = it + 1;
      const epoch = Math.floor(it / batches.perEpoch) + 1;

      const exploded = Number.isFinite(lossValue) && lossValue > EXPLOSION_FACTOR * Math.max(history.loss[0]!, 1);
      if (!Number.isFinite(lossValue) || exploded) {
        const what = exploded
          ? `the loss exploded from ${history.loss[0]!.toPrecision(3)} to ${lossValue.toPrecision(3)}`
          : `the loss became ${lossValue}`;
        const message =
          `Training stopped: ${what} at iteration ${it + 1} (epoch ${epoch}, learning rate ${lr.toPrecision(3)}). ` +
          "The usual cause is a learning rate that is too high: the updates overshoot and the weights blow up. " +
          "Try a rate 3-10× smaller (or check the inputs for NaN).";
        history.seconds = seconds();
        live?.done(message);
        if (onDiverge === "throw") throw new TrainingDivergedError(message, it + 1, lossValue, history);
        if (!live) log(message);
        history.diverged = { iteration: it + 1, loss: lossValue, message };
        return history;
      }

      options.onIteration?.({ iteration: it + 1, total, epoch, loss: lossValue, learningRate: lr, seconds: seconds() });
      live?.tick(1, { loss: lossValue, epoch });
      epochLossSum += lossValue;
      epochIterations++;
      windowSum += lossValue;
      windowCount++;
      if (printEvery > 0 && (it + 1) % printEvery === 0) {
        if (!live) log(`iteration ${it + 1}/${total}: loss ${(windowSum / windowCount).toFixed(4)} (mean of last ${windowCount}), lr ${lr.toPrecision(3)}, ${seconds().toFixed(1)} s`);
        windowSum = 0;
        windowCount = 0;
        await yieldToEventLoop();
      }
      if (batch.endsEpoch) {
        endEpoch();
        if (printEvery > 0) await yieldToEventLoop();
      }
    }
    if (epochIterations > 0) endEpoch(); // a final partial epoch (when `iterations` is not a multiple)
    if (best) {
      restoreParameters(model, best);
      best = undefined;
    }
    live?.done(history.best ? `kept the parameters of epoch ${history.best.epoch}` : undefined);
  } finally {
    disposeSnapshot(best);
    batches.dispose();
    if (!options.optimizer) optimizer.dispose();
  }
  history.seconds = seconds();
  return history;
}
