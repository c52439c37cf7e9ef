/**
 * Ready-made objectives: train a model for one configuration and measure it on the validation
 * set. A diverging run is a "diverged" trial with the loop's reason, not an error that stops the
 * study; any other error (a bad setting, memory) propagates and the study records a "failed" trial.
 */
import { checkKnownOptions, InvalidInputError } from "../core/checks.js";
import type { Examples } from "../core/types.js";
import { createLinearClassifier } from "../linear/linear.js";
import { createNetwork } from "../nn/index.js";
import { optimizerByName, type OptimizerName } from "../optim/optimizers.js";
import { cosineSchedule } from "../optim/schedules.js";
import type { LinearLossKind } from "../losses/losses.js";
import { l2Regularizer } from "../losses/regularizers.js";
import type { TrainHistory } from "../training/options.js";
import type { Config } from "./space.js";
import type { Objective, TrialOutcome } from "./study.js";

export interface LinearObjectiveOptions {
  train: Examples;
  validation: Examples;
  numClasses: number;
  /** Used when the configuration has no `loss` (default "svm"). */
  loss?: LinearLossKind;
  /** Used when the configuration has no `epochs` / `batchSize` (defaults 5 and 200). */
  epochs?: number;
  batchSize?: number;
  seed?: number;
}

const num = (config: Config, name: string, fallback?: number): number => {
  const v = config[name] ?? fallback;
  if (typeof v !== "number") throw new InvalidInputError(name, `the configuration needs a number "${name}", got ${JSON.stringify(v)}`);
  return v;
};

/**
 * Trains a linear classifier per configuration: `learningRate`, `reg` (L2 strength) and
 * optionally `loss`, `epochs`, `batchSize`.
 */
export function linearObjective(options: LinearObjectiveOptions): Objective {
  checkKnownOptions(options, ["train", "validation", "numClasses", "loss", "epochs", "batchSize", "seed"], "linearObjective");
  return async (config): Promise<TrialOutcome> => {
    const loss = (config.loss as LinearLossKind | undefined) ?? options.loss ?? "svm";
    const model = createLinearClassifier({
      inputDim: options.train.d,
      numClasses: options.numClasses,
      loss,
      reg: l2Regularizer(num(config, "reg", 0)),
      seed: options.seed ?? 1,
    });
    return measureTrial(model, () =>
      model.fit(options.train, {
        learningRate: num(config, "learningRate"),
        epochs: num(config, "epochs", options.epochs ?? 5),
        batchSize: num(config, "batchSize", options.batchSize ?? 200),
        validation: options.validation,
        seed: options.seed ?? 1,
        ...TRIAL_FIT_OPTIONS,
      }),
    );
  };
}

/** Fit options every trial shares: quiet, no training-accuracy sample, and a diverging loss stops the run (`history.diverged`) instead of throwing. */
const TRIAL_FIT_OPTIONS = { printEvery: 0, trainAccuracySample: 0, onDiverge: "stop" } as const;

/**
 * Trains (`fit`), then reports the trial: "diverged" with the loop's reason when the loss became
 * NaN or exploded, else "ok" with the last epoch's validation accuracy and mean loss. The model is
 * disposed either way; any other error propagates (the study records a failed trial).
 */
async function measureTrial(model: { dispose(): void }, fit: () => Promise<{ history: TrainHistory }>): Promise<TrialOutcome> {
  try {
    const { history } = await fit();
    if (history.diverged) return { status: "diverged", validationAccuracy: null, finalLoss: null, lossCurve: history.loss, error: history.diverged.message };
    const last = history.epochs.at(-1);
    return { status: "ok", validationAccuracy: last?.validationAccuracy ?? null, finalLoss: last?.meanLoss ?? null, lossCurve: history.loss };
  } finally {
    model.dispose();
  }
}

export interface NetworkObjectiveOptions {
  train: Examples;
  validation: Examples;
  numClasses: number;
  /** Used when the configuration has no `epochs` / `batchSize` (defaults 3 and 64). */
  epochs?: number;
  batchSize?: number;
  seed?: number;
}

/**
 * Trains a 2-layer ReLU network (softmax loss) per configuration: `learningRate`, `reg`,
 * `hidden` (width), `batchSize`, `optimizer` ("sgd", "momentum", "nesterov", "adagrad",
 * "rmsprop", "adam") and `schedule` ("constant" or "cosine"), all optional but the rate.
 */
export function networkObjective(options: NetworkObjectiveOptions): Objective {
  checkKnownOptions(options, ["train", "validation", "numClasses", "epochs", "batchSize", "seed"], "networkObjective");
  return async (config): Promise<TrialOutcome> => {
    const hidden = num(config, "hidden", 100);
    const batchSize = num(config, "batchSize", options.batchSize ?? 64);
    const epochs = num(config, "epochs", options.epochs ?? 3);
    const rate = num(config, "learningRate");
    const iterations = epochs * Math.ceil(options.train.n / batchSize);
    const net = createNetwork({
      layerSizes: [options.train.d, hidden, options.numClasses],
      activation: "relu",
      loss: "softmax",
      reg: num(config, "reg", 0),
      seed: options.seed ?? 1,
    });
    return measureTrial(net, () =>
      net.fit(options.train, {
        learningRate: config.schedule === "cosine" ? cosineSchedule(rate, iterations) : rate,
        optimizer: optimizerByName((config.optimizer as OptimizerName | undefined) ?? "sgd"),
        iterations,
        batchSize,
        validation: options.validation,
        seed: options.seed ?? 1,
        ...TRIAL_FIT_OPTIONS,
      }),
    );
  };
}
