/**
 * What the training loop takes and gives back: options (including callbacks), the per-epoch
 * records and the history, and the error thrown when the loss diverges.
 */
import type { Examples } from "../core/types.js";
import type { Optimizer } from "../optim/optimizers.js";
import type { LearningRateSchedule } from "../optim/schedules.js";

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
  /**
   * In a notebook, show progress as one live output (bar, loss curve) instead of lines
   * (default true; only when `log` is not given and `printEvery` > 0; CLASSIFIERS_LIVE=0 turns it off).
   */
  live?: boolean;
  /** Held-out examples: accuracy is measured on them at the end of every epoch. */
  validation?: Examples;
  /**
   * Also measure training accuracy each epoch, on this many training examples (a fixed seeded
   * sample; default 2000; 0 = skip). Accuracy on all 60,000 would cost more than the epoch.
   */
  trainAccuracySample?: number;
  /** When the loss becomes NaN/±∞: throw a `TrainingDivergedError` (default) or stop and return. */
  onDiverge?: "throw" | "stop";
  /**
   * Keep the parameters of the epoch with the best validation accuracy (needs `validation`), as
   * the classic course's Solver does: at the end, the model holds those, not the last ones.
   */
  keepBest?: boolean;
  /** Called after every update (progress displays, custom logging, early stopping by throwing). */
  onIteration?: (info: IterationInfo) => void;
  /** Called after every epoch's evaluation. */
  onEpoch?: (record: EpochRecord) => void;
}

/** What `onIteration` receives after each update. */
/** Every option `TrainOptions` has: any other name is a typo (`epoch`, `lr`) and an error. */
export const TRAIN_OPTION_NAMES: readonly (keyof TrainOptions)[] = [
  "epochs", "iterations", "batchSize", "learningRate", "optimizer", "seed", "printEvery", "log", "live",
  "validation", "trainAccuracySample", "onDiverge", "keepBest", "onIteration", "onEpoch",
];

/** What `onDiverge` may say. */
export const ON_DIVERGE_CHOICES: readonly NonNullable<TrainOptions["onDiverge"]>[] = ["throw", "stop"];

export interface IterationInfo {
  /** 1-based number of the update just done. */
  iteration: number;
  /** Updates planned in all. */
  total: number;
  /** 1-based epoch the update belongs to. */
  epoch: number;
  /** Batch loss before the update. */
  loss: number;
  learningRate: number;
  /** Seconds since training started. */
  seconds: number;
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
  /** With `keepBest`: the epoch whose parameters the model holds at the end, and its validation accuracy. */
  best?: { epoch: number; validationAccuracy: number };
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
