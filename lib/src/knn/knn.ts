/**
 * k-nearest-neighbour classifier. "Training" memorises the examples; prediction finds each
 * query's k closest training rows and takes a majority vote of their labels.
 *
 * Vote tie-break (deterministic, documented because k ≥ 2 ties are common with small k):
 * among the labels with the most votes, the one whose nearest member is closest wins; if those
 * distances are equal too, the smaller label wins. Neighbour lists themselves are ordered nearest
 * first, equal distances broken by the lower training index; the search is neighbors.ts's
 * `nearestNeighbors` (exact, chunked, memory-bounded).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Examples } from "../core/types.js";
import type { Classifier } from "../core/model.js";
import { nearestNeighbors, type Metric, type NeighborResult } from "./neighbors.js";
import { progress } from "../core/progress.js";
import { METRICS } from "./search-types.js";
import { accuracy } from "../eval/metrics.js";
import {
  checkFiniteValues,
  checkK,
  checkNumClasses,
  checkOneOf,
  checkPositiveInteger,
  inferNumClasses,
  InvalidInputError,
  toExamples,
  toFloat32,
} from "../core/checks.js";

/**
 * Majority vote over the first `k` neighbours of each row (the lists may be wider, so one search
 * with the largest k serves every smaller k). Tie-break: most votes, then the label whose nearest
 * member is closest, then the smaller label.
 * @param neighbors [M, K] lists with K ≥ k
 * @param trainLabels [N] labels of the training rows
 * @returns [M] predicted labels
 */
export function knnVote(
  neighbors: NeighborResult,
  trainLabels: Int32Array,
  k: number,
  numClasses: number,
): Int32Array {
  checkPositiveInteger(k, "k");
  if (k > neighbors.k) {
    throw new InvalidInputError("k", `k=${k} is larger than the ${neighbors.k} neighbours in each list`);
  }
  const counts = new Int32Array(numClasses);
  const nearest = new Float64Array(numClasses);
  const predictions = new Int32Array(neighbors.m);
  for (let i = 0; i < neighbors.m; i++) {
    counts.fill(0);
    nearest.fill(Infinity);
    const rowStart = i * neighbors.k;
    for (let r = 0; r < k; r++) {
      const index = neighbors.indices[rowStart + r]!;
      const label = trainLabels[index];
      if (label === undefined || label < 0 || label >= numClasses) {
        throw new Error(`internal error: neighbour ${index} has label ${label}, outside 0..${numClasses - 1}`);
      }
      counts[label]!++;
      const d = neighbors.distances[rowStart + r]!;
      if (d < nearest[label]!) nearest[label] = d;
    }
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      // Visiting labels in increasing order and replacing only when strictly better
      // leaves the smaller label in place on a complete tie.
      if (counts[c]! > counts[best]! || (counts[c] === counts[best] && nearest[c]! < nearest[best]!)) best = c;
    }
    predictions[i] = best;
  }
  return predictions;
}

export interface KnnOptions {
  /** Neighbours that vote (default 1). */
  k?: number;
  /** Distance (default "l2"). */
  metric?: Metric;
}

export interface KnnPredictOptions extends KnnOptions {
  /** Queries per chunk of the neighbour search. */
  chunkSize?: number;
  /**
   * Show progress (core/progress.ts; live in a notebook). Default: on when M·N ≥ 10⁷ distance
   * evaluations, i.e. when a prediction takes long enough to wonder about.
   */
  showProgress?: boolean;
}

/** Query rows [M, D]: a tensor, row-major numbers (Float32Array, Float64Array or number[]), or examples. */
export type KnnQueries = tf.Tensor2D | Float32Array | Float64Array | number[] | Examples;

/** What `fit` takes besides the examples. */
export interface KnnFitOptions {
  /** Classes C (default: largest label + 1). */
  numClasses?: number;
}

/**
 * k-nearest-neighbour classifier.
 *
 * ```ts
 * const knn = await new KnnClassifier({ k: 3, metric: "l2" }).fit(data.train);
 * const predicted = await knn.predict(data.test.x);
 * knn.dispose();
 * ```
 */
export class KnnClassifier implements Classifier<KnnFitOptions> {
  readonly k: number;
  readonly metric: Metric;
  private trainRows: tf.Tensor2D | undefined;
  private labels = new Int32Array(0);
  private classes = 0;

  constructor(options: KnnOptions = {}) {
    this.k = options.k ?? 1;
    this.metric = options.metric ?? "l2";
    checkPositiveInteger(this.k, "k");
    checkOneOf(this.metric, METRICS, "metric");
  }

  /**
   * Memorises the examples (copies them into a tensor; no learning happens).
   * @param examples x [N, D], y [N]
   * @param options.numClasses C; default max label + 1
   */
  async fit(examples: Examples, options: KnnFitOptions = {}): Promise<this> {
    if (options.numClasses !== undefined) checkNumClasses(options.numClasses);
    const { x, y, n, d } = toExamples(examples, "training set", { nonEmpty: true, numClasses: options.numClasses });
    const classes = options.numClasses ?? inferNumClasses(y, "training set labels");
    checkK(this.k, n);
    this.trainRows?.dispose();
    this.trainRows = tf.tensor2d(x, [n, d]);
    this.labels = Int32Array.from(y);
    this.classes = classes;
    return this;
  }

  /** Number of memorised examples N (0 before `fit`). */
  get size(): number {
    return this.labels.length;
  }

  /** Number of classes C. */
  get numClasses(): number {
    return this.classes;
  }

  /** Labels of the memorised examples, [N]. */
  get trainLabels(): Int32Array {
    return this.labels;
  }

  private rows(): tf.Tensor2D {
    if (!this.trainRows) throw new Error("KnnClassifier has no training data: call fit(examples) first");
    return this.trainRows;
  }

  /**
   * The k nearest training rows of each query.
   * @param queries [M, D]
   */
  async kneighbors(input: KnnQueries, options: KnnPredictOptions = {}): Promise<NeighborResult> {
    const train = this.rows();
    const queries =
      input instanceof tf.Tensor ? input : toFloat32(typeof input === "object" && input !== null && "x" in input ? input.x : input, "queries");
    const k = options.k ?? this.k;
    const metric = options.metric ?? this.metric;
    checkK(k, this.size);
    const [n, d] = train.shape;
    const ownsQueries = queries instanceof Float32Array;
    if (ownsQueries) {
      if (queries.length % d !== 0) {
        throw new InvalidInputError("queries", `queries have ${queries.length} numbers, not a multiple of D=${d}`);
      }
      checkFiniteValues(queries, "queries", d);
    }
    const queryRows = ownsQueries ? tf.tensor2d(queries, [queries.length / d, d]) : queries;
    try {
      const m = queryRows.shape[0];
      const show = options.showProgress ?? m * n >= 1e7;
      const meter = show ? progress(`kNN (k=${k}, ${metric}) ${m} queries × ${n} training`, m) : undefined;
      let reported = 0;
      const result = await nearestNeighbors(train, queryRows, k, {
        metric,
        chunkSize: options.chunkSize,
        onProgress: (done) => {
          meter?.tick(done - reported);
          reported = done;
        },
      });
      meter?.done();
      return result;
    } finally {
      if (ownsQueries) queryRows.dispose();
    }
  }

  /**
   * Predicted labels by majority vote of the k nearest (tie-break in the module comment).
   * @param queries [M, D]
   * @returns [M]
   */
  async predict(queries: KnnQueries, options: KnnPredictOptions = {}): Promise<Int32Array> {
    const k = options.k ?? this.k;
    const neighbors = await this.kneighbors(queries, options);
    return knnVote(neighbors, this.labels, k, this.classes);
  }

  /** Fraction of `examples` whose predicted label is their label. */
  async score(examples: Examples, options: KnnPredictOptions = {}): Promise<number> {
    return accuracy(examples.y, await this.predict(examples, options));
  }

  /** Frees the memorised tensor. */
  dispose(): void {
    this.trainRows?.dispose();
    this.trainRows = undefined;
  }
}
