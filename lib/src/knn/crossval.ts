/**
 * k-fold cross-validation: seeded fold splitting, and choosing kNN's k and distance on the
 * training set alone (the test set stays untouched until the final report).
 *
 * Efficiency: for each fold and distance the neighbour search runs once with the largest k;
 * every smaller k votes over a prefix of the same sorted neighbour lists.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Examples } from "../core/types.js";
import { nearestNeighbors, type Metric } from "./neighbors.js";
import { knnVote } from "./knn.js";
import { accuracy } from "../eval/metrics.js";
import { permutation } from "../core/random.js";
import { selectExamples } from "../data/preprocess.js";
import { checkExamples, checkOneOf, inferNumClasses, InvalidInputError } from "../core/checks.js";
import { METRICS } from "./search-types.js";
import { progress } from "../core/progress.js";

/** One fold: indices into the examples, each ascending. */
export interface Fold {
  /** Rows used for fitting (all other folds). */
  train: Int32Array;
  /** Rows held out for scoring. */
  validation: Int32Array;
}

/**
 * Splits 0..n-1 into `folds` disjoint validation sets that together cover every index, after a
 * seeded shuffle. Sizes differ by at most one (the first n mod folds folds get the extra row).
 */
export function kFoldSplit(n: number, folds: number, seed: number): Fold[] {
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError("n", `n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(folds) || folds < 2) throw new InvalidInputError("folds", `folds must be an integer ≥ 2, got ${folds}`);
  if (folds > n) throw new InvalidInputError("folds", `cannot split ${n} examples into ${folds} non-empty folds`);
  // BEGIN SOLUTION kfold-split (2 pts)
  const order = permutation(n, seed);
  const base = Math.floor(n / folds);
  const extra = n % folds;
  const result: Fold[] = [];
  let start = 0;
  for (let f = 0; f < folds; f++) {
    const size = base + (f < extra ? 1 : 0);
    const validation = Int32Array.from(order.subarray(start, start + size)).sort();
    const train = Int32Array.from([...order.subarray(0, start), ...order.subarray(start + size)]).sort();
    result.push({ train, validation });
    start += size;
  }
  return result;
  // END SOLUTION
}

export interface KnnCrossValidationOptions {
  /** Candidate numbers of neighbours, e.g. [1, 3, 5, 8, 10, 12, 15, 20]. */
  ks: number[];
  /** Candidate distances (default ["l2", "l1"]). Earlier entries win exact ties. */
  metrics?: Metric[];
  /** Number of folds (default 5). */
  folds?: number;
  /** Shuffle seed for the folds (default 0). */
  seed?: number;
  /** Number of classes C (default max label + 1). */
  numClasses?: number;
  /** Print a progress line per fold and distance, more while a long one runs (default true). */
  showProgress?: boolean;
}

/** Cross-validated accuracy of one (distance, k) pair. */
export interface KnnCrossValidationScore {
  metric: Metric;
  k: number;
  /** Validation accuracy on each fold, [folds]. */
  foldAccuracies: number[];
  /** Mean over folds. */
  mean: number;
  /** Population standard deviation over folds. */
  std: number;
}

export interface KnnCrossValidationResult {
  folds: number;
  ks: number[];
  metrics: Metric[];
  /** One entry per (metric, k), metrics in the given order, ks ascending within each. */
  scores: KnnCrossValidationScore[];
  /**
   * The highest mean accuracy; ties (within 1e-12) go to the smaller k, then to the metric
   * listed first: prefer the simpler, cheaper model when the data cannot tell them apart.
   */
  best: KnnCrossValidationScore;
}

/**
 * Cross-validates kNN over every (distance, k) pair on `examples`.
 * @param examples x [N, D], y [N]
 */
export async function crossValidateKnn(
  examples: Examples,
  options: KnnCrossValidationOptions,
): Promise<KnnCrossValidationResult> {
  const metrics = options.metrics ?? ["l2", "l1"];
  const foldCount = options.folds ?? 5;
  const seed = options.seed ?? 0;
  const showProgress = options.showProgress ?? true;
  const ks = [...new Set(options.ks)].sort((a, b) => a - b);
  if (ks.length === 0) throw new InvalidInputError("ks", "ks is empty: give at least one k to try");
  if (metrics.length === 0) throw new InvalidInputError("metrics", "metrics is empty: give at least one of \"l1\", \"l2\"");
  for (const metric of metrics) checkOneOf(metric, METRICS, "metric");
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new InvalidInputError("ks", `every k must be a positive integer, got ${k}`);
  const numClasses = options.numClasses ?? inferNumClasses(examples.y, "crossValidateKnn labels");
  checkExamples(examples, "crossValidateKnn", { numClasses });

  // accuracies[metric][k][fold]
  const accuracies = metrics.map(() => ks.map(() => new Array<number>(foldCount).fill(0)));
  // BEGIN SOLUTION knn-cross-validation (3 pts)
  const folds = kFoldSplit(examples.n, foldCount, seed);
  const maxK = ks[ks.length - 1]!;
  const smallestTrain = Math.min(...folds.map((f) => f.train.length));
  if (maxK > smallestTrain) {
    throw new InvalidInputError("k", `k=${maxK} is larger than a fold's ${smallestTrain} training examples`);
  }
  for (let f = 0; f < foldCount; f++) {
    const fold = folds[f]!;
    const fitPart = selectExamples(examples, fold.train);
    const heldOut = selectExamples(examples, fold.validation);
    const trainRows = tf.tensor2d(fitPart.x, [fitPart.n, fitPart.d]);
    const queryRows = tf.tensor2d(heldOut.x, [heldOut.n, heldOut.d]);
    try {
      for (let mi = 0; mi < metrics.length; mi++) {
        const metric = metrics[mi]!;
        const meter = showProgress
          ? progress(`cross-validation fold ${f + 1}/${foldCount}, ${metric}: ${heldOut.n} × ${fitPart.n}`, heldOut.n, { everySeconds: 10 })
          : undefined;
        let reported = 0;
        const neighbors = await nearestNeighbors(trainRows, queryRows, maxK, {
          metric,
          onProgress: (done) => {
            meter?.tick(done - reported);
            reported = done;
          },
        });
        meter?.done();
        ks.forEach((k, ki) => {
          const predicted = knnVote(neighbors, fitPart.y, k, numClasses);
          accuracies[mi]![ki]![f] = accuracy(heldOut.y, predicted);
        });
      }
    } finally {
      trainRows.dispose();
      queryRows.dispose();
    }
  }
  // END SOLUTION

  const scores: KnnCrossValidationScore[] = [];
  metrics.forEach((metric, mi) => ks.forEach((k, ki) => {
    const foldAccuracies = accuracies[mi]![ki]!;
    const mean = foldAccuracies.reduce((a, b) => a + b, 0) / foldCount;
    const variance = foldAccuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / foldCount;
    scores.push({ metric, k, foldAccuracies, mean, std: Math.sqrt(variance) });
  }));
  return { folds: foldCount, ks, metrics: [...metrics], scores, best: pickBestScore(scores, metrics) };
}

/** Highest mean; within 1e-12, the smaller k, then the metric earlier in `metricOrder`. */
export function pickBestScore(scores: KnnCrossValidationScore[], metricOrder: Metric[]): KnnCrossValidationScore {
  if (scores.length === 0) throw new InvalidInputError("scores", "no scores to choose from");
  const rank = (m: Metric): number => metricOrder.indexOf(m);
  let best = scores[0]!;
  for (const s of scores.slice(1)) {
    const better = s.mean > best.mean + 1e-12
      || (Math.abs(s.mean - best.mean) <= 1e-12 && (s.k < best.k || (s.k === best.k && rank(s.metric) < rank(best.metric))));
    if (better) best = s;
  }
  return best;
}
