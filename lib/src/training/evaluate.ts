/**
 * End-of-epoch evaluation for the training loop: accuracy on a fixed sample of the training set
 * and on the validation set, and snapshots of the parameters for "keep the best".
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TrainableModel } from "../core/model.js";
import { permutation } from "../core/random.js";
import type { Examples } from "../core/types.js";
import { selectExamples } from "../data/preprocess.js";

/** A seeded sample of `size` training examples (accuracy on all 60,000 would cost more than an epoch). */
export function trainAccuracySample(train: Examples, size: number, seed: number): Examples | undefined {
  const count = Math.min(size, train.n);
  return count > 0 ? selectExamples(train, permutation(train.n, seed).subarray(0, count)) : undefined;
}

/** Copies of the model's parameters, to restore later. */
export type ParameterSnapshot = Record<string, tf.Tensor>;

export function snapshotParameters(model: TrainableModel): ParameterSnapshot {
  return Object.fromEntries(Object.entries(model.params).map(([name, v]) => [name, tf.clone(v)]));
}

/** Writes a snapshot back into the model's variables and frees it. */
export function restoreParameters(model: TrainableModel, snapshot: ParameterSnapshot): void {
  for (const [name, value] of Object.entries(snapshot)) {
    model.params[name]!.assign(value);
    value.dispose();
  }
}

export function disposeSnapshot(snapshot: ParameterSnapshot | undefined): void {
  for (const t of Object.values(snapshot ?? {})) t.dispose();
}

