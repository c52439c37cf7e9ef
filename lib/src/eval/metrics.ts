/**
 * Evaluation metrics for classifiers: accuracy, per-class accuracy, the confusion matrix and the
 * indices of misclassified examples. Labels are integers 0..C-1; inputs are checked for equal
 * lengths and label ranges so a mix-up fails loudly instead of giving a plausible number.
 */

/** Any array of integer labels: Int32Array, number[], Uint8Array, ... */
import { checkLabels, InvalidInputError } from "../core/checks.js";
import { modelPredict, type TrainableModel } from "../core/model.js";
import type { Examples } from "../core/types.js";

export type LabelArray = ArrayLike<number>;

function checkSameLength(truth: LabelArray, predicted: LabelArray): void {
  if (truth.length !== predicted.length) {
    throw new InvalidInputError("predicted", `true and predicted labels differ in length: ${truth.length} vs ${predicted.length}`);
  }
}

/** The default class count C for labels 0..C-1: the largest label + 1 (0 for no labels). */
export function numClassesFromLabels(labels: LabelArray): number {
  let count = 0;
  for (let i = 0; i < labels.length; i++) count = Math.max(count, labels[i]! + 1);
  return count;
}

/**
 * Fraction of positions where `predicted` equals `truth`, in [0, 1]: the one definition of
 * accuracy every model's `score`, the training history and cross-validation use. Zero examples
 * have no accuracy (an InvalidInputError, rather than a 0 that would read as "all wrong").
 */
export function accuracy(truth: LabelArray, predicted: LabelArray): number {
  checkSameLength(truth, predicted);
  if (truth.length === 0) throw new InvalidInputError("truth", "accuracy of zero examples is undefined");
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  return correct / truth.length;
}

/** Fraction of `examples` [N] a model that gives class scores classifies correctly (see `accuracy`). */
export function modelAccuracy(model: TrainableModel, examples: Examples): number {
  return accuracy(examples.y, modelPredict(model, examples));
}

/**
 * Confusion matrix [C, C]: `matrix[t][p]` counts examples of true class t predicted as p
 * (rows = true, columns = predicted). Row sums are the class counts; the total is the length.
 */
export function confusionMatrix(truth: LabelArray, predicted: LabelArray, numClasses: number): number[][] {
  checkSameLength(truth, predicted);
  checkLabels(truth, numClasses, "true labels");
  checkLabels(predicted, numClasses, "predicted labels");
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]!]![predicted[i]!]!++;
  return matrix;
}

/**
 * Accuracy within each true class, [C]: correct / examples of that class (the recall of each
 * class). A class with no examples gets NaN, since there is nothing to be right or wrong about.
 */
export function perClassAccuracy(truth: LabelArray, predicted: LabelArray, numClasses: number): number[] {
  const matrix = confusionMatrix(truth, predicted, numClasses);
  return matrix.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? Number.NaN : row[c]! / total;
  });
}

/** Positions where `predicted` differs from `truth`, ascending. */
export function misclassifiedIndices(truth: LabelArray, predicted: LabelArray): Int32Array {
  checkSameLength(truth, predicted);
  const wrong: number[] = [];
  for (let i = 0; i < truth.length; i++) if (truth[i] !== predicted[i]) wrong.push(i);
  return Int32Array.from(wrong);
}

/** The `count` largest off-diagonal cells of a confusion matrix: the most common mistakes. */
export function topConfusions(matrix: number[][], count = 5): { truth: number; predicted: number; count: number }[] {
  const cells: { truth: number; predicted: number; count: number }[] = [];
  matrix.forEach((row, t) => row.forEach((n, p) => {
    if (t !== p && n > 0) cells.push({ truth: t, predicted: p, count: n });
  }));
  cells.sort((a, b) => b.count - a.count || a.truth - b.truth || a.predicted - b.predicted);
  return cells.slice(0, count);
}
