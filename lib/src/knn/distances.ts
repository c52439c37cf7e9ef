/**
 * Distance matrices for nearest neighbours, written three ways as the classic course assignment
 * does: two loops (plain JavaScript), one loop (one tensor op per query row) and no loops
 * (whole-matrix tensor ops, in chunks of queries). All three return the same [M, N] matrix of
 * L1 or L2 distances between M query rows and N training rows; they exist to teach
 * vectorisation, and the no-loop one also serves as a simple neighbour search fallback.
 *
 * The fast, memory-bounded search used for real predictions lives in neighbors.ts.
 */
import * as tf from "@tensorflow/tfjs-core";
import { METRICS, type Metric } from "./search-types.js";
import { checkOneOf, InvalidInputError } from "../core/checks.js";
import { timed } from "../core/timing.js";


/** How a distance matrix is computed; all give the same numbers up to float32 rounding. */
export type DistanceMethod = "two-loops" | "one-loop" | "no-loops";

export const DISTANCE_METHODS: readonly DistanceMethod[] = ["two-loops", "one-loop", "no-loops"];

/** A dense distance matrix: `values[i * cols + j]` = distance(query i, training row j). */
export interface DistanceMatrix {
  /** Row-major [rows, cols]. */
  values: Float32Array;
  /** Number of queries M. */
  rows: number;
  /** Number of training rows N. */
  cols: number;
}

export interface ChunkOptions {
  /**
   * Upper bound on the elements of the largest temporary tensor (default 2^24 = 64 MB of float32).
   * L2 holds a [chunk, N] product; L1 broadcasts to [chunk, N, D], so its chunks are smaller.
   */
  maxElements?: number;
}

const DEFAULT_MAX_ELEMENTS = 1 << 24;

/** Throws unless both are rank-2 with the same number of columns; returns [M, N, D]. */
export function checkDistanceShapes(queries: tf.Tensor, train: tf.Tensor): [number, number, number] {
  if (queries.rank !== 2) throw new InvalidInputError("queries", `queries must be a [M, D] matrix, got shape [${queries.shape}]`);
  if (train.rank !== 2) throw new InvalidInputError("train", `training rows must be a [N, D] matrix, got shape [${train.shape}]`);
  const [m, dq] = queries.shape as [number, number];
  const [n, dt] = train.shape as [number, number];
  if (dq !== dt) {
    throw new InvalidInputError("queries", `dimension mismatch: queries have D=${dq} features but training rows have D=${dt}`);
  }
  if (n === 0) throw new InvalidInputError("train", "no training rows: N must be at least 1");
  return [m, n, dq];
}

/**
 * Two loops: for every query i and every training row j, walk the D features in plain
 * JavaScript. O(M·N·D) scalar work with no vectorisation; fine for a few hundred rows.
 * @param queries [M, D]
 * @param train [N, D]
 * @returns [M, N]
 */
export function distancesTwoLoops(queries: tf.Tensor2D, train: tf.Tensor2D, metric: Metric = "l2"): DistanceMatrix {
  checkOneOf(metric, METRICS, "metric");
  const [m, n, d] = checkDistanceShapes(queries, train);
  // BEGIN SOLUTION knn-distances-two-loops (2 pts)
  const q = queries.dataSync() as Float32Array;
  const t = train.dataSync() as Float32Array;
  const values = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const qOffset = i * d;
    for (let j = 0; j < n; j++) {
      const tOffset = j * d;
      let sum = 0;
      if (metric === "l1") {
        for (let f = 0; f < d; f++) sum += Math.abs(q[qOffset + f]! - t[tOffset + f]!);
        values[i * n + j] = sum;
      } else {
        for (let f = 0; f < d; f++) {
          const diff = q[qOffset + f]! - t[tOffset + f]!;
          sum += diff * diff;
        }
        values[i * n + j] = Math.sqrt(sum);
      }
    }
  }
  return { values, rows: m, cols: n };
  // END SOLUTION
}

/**
 * One loop: for every query row, one tensor expression against all N training rows at once
 * (broadcast [1, D] against [N, D], reduce over D).
 * @param queries [M, D]
 * @param train [N, D]
 * @returns [M, N]
 */
export function distancesOneLoop(queries: tf.Tensor2D, train: tf.Tensor2D, metric: Metric = "l2"): DistanceMatrix {
  checkOneOf(metric, METRICS, "metric");
  const [m, n, d] = checkDistanceShapes(queries, train);
  // BEGIN SOLUTION knn-distances-one-loop (2 pts)
  const values = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = tf.tidy(() => {
      const diff = tf.sub(train, tf.slice(queries, [i, 0], [1, d]));
      return metric === "l1" ? tf.sum(tf.abs(diff), 1) : tf.sqrt(tf.sum(tf.square(diff), 1));
    });
    values.set(row.dataSync() as Float32Array, i * n);
    row.dispose();
  }
  return { values, rows: m, cols: n };
  // END SOLUTION
}

/**
 * No loops (apart from chunking): L2 through ‖q‖² + ‖t‖² − 2 q·tᵀ, so the heavy work is one
 * matrix product per chunk; L1 by broadcasting [c, 1, D] − [1, N, D] and summing over D.
 * Calls `onChunk(firstQueryRow, distances [c, N])` for consecutive chunks of queries; the
 * chunk tensor is disposed after the callback returns, so memory stays bounded whatever M is.
 * @param queries [M, D]
 * @param train [N, D]
 */
export function forEachDistanceChunk(
  queries: tf.Tensor2D,
  train: tf.Tensor2D,
  metric: Metric,
  onChunk: (firstRow: number, distances: tf.Tensor2D) => void,
  options: ChunkOptions = {},
): void {
  checkOneOf(metric, METRICS, "metric");
  const [m, n, d] = checkDistanceShapes(queries, train);
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (!(maxElements >= 1)) throw new InvalidInputError("maxElements", `maxElements must be at least 1, got ${maxElements}`);
  if (m === 0) return;
  // BEGIN SOLUTION knn-distances-no-loops (3 pts)
  if (metric === "l2") {
    // Transposing once up front matters: on the wasm backend matMul(q, t, false, true)
    // is ~20× slower than matMul(q, tᵀ) (measured; docs/knn-search.md).
    const trainT = tf.tidy(() => tf.transpose(train) as tf.Tensor2D);
    const trainSquaredNorms = tf.tidy(() => tf.reshape(tf.sum(tf.square(train), 1), [1, n]));
    try {
      const chunk = Math.max(1, Math.floor(maxElements / n));
      for (let start = 0; start < m; start += chunk) {
        const size = Math.min(chunk, m - start);
        const block = tf.tidy(() => {
          const q = tf.slice(queries, [start, 0], [size, d]);
          const querySquaredNorms = tf.sum(tf.square(q), 1, true);
          const cross = tf.matMul(q, trainT);
          const squared = tf.sub(tf.add(querySquaredNorms, trainSquaredNorms), tf.mul(cross, 2));
          // Rounding can leave tiny negatives where the true distance is ~0; sqrt would give NaN.
          return tf.sqrt(tf.relu(squared)) as tf.Tensor2D;
        });
        try {
          onChunk(start, block);
        } finally {
          block.dispose();
        }
      }
    } finally {
      trainT.dispose();
      trainSquaredNorms.dispose();
    }
    return;
  }
  // L1 has no matrix-product trick: the broadcast difference [c, N, D] is materialised, so a
  // chunk holds few queries, and when even one query against all N rows is too big, the
  // training rows are split too.
  const perQuery = n * d;
  const queryChunk = Math.max(1, Math.floor(maxElements / perQuery));
  const trainChunk = perQuery <= maxElements ? n : Math.max(1, Math.floor(maxElements / d));
  for (let start = 0; start < m; start += queryChunk) {
    const size = Math.min(queryChunk, m - start);
    const block = tf.tidy(() => {
      const q = tf.reshape(tf.slice(queries, [start, 0], [size, d]), [size, 1, d]);
      const parts: tf.Tensor2D[] = [];
      for (let tStart = 0; tStart < n; tStart += trainChunk) {
        const tSize = Math.min(trainChunk, n - tStart);
        const t = tf.reshape(tf.slice(train, [tStart, 0], [tSize, d]), [1, tSize, d]);
        parts.push(tf.sum(tf.abs(tf.sub(q, t)), 2) as tf.Tensor2D);
      }
      return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    });
    try {
      onChunk(start, block);
    } finally {
      block.dispose();
    }
  }
  // END SOLUTION
}

/**
 * No loops: the whole [M, N] matrix, computed chunk by chunk (see `forEachDistanceChunk`).
 * @param queries [M, D]
 * @param train [N, D]
 * @returns [M, N]
 */
export function distancesNoLoops(
  queries: tf.Tensor2D,
  train: tf.Tensor2D,
  metric: Metric = "l2",
  options: ChunkOptions = {},
): DistanceMatrix {
  const [m, n] = checkDistanceShapes(queries, train);
  const values = new Float32Array(m * n);
  forEachDistanceChunk(queries, train, metric, (firstRow, block) => {
    values.set(block.dataSync() as Float32Array, firstRow * n);
  }, options);
  return { values, rows: m, cols: n };
}

/**
 * The [M, N] distance matrix by the chosen method; the three methods agree up to float32 rounding.
 * @param queries [M, D]
 * @param train [N, D]
 */
export function distanceMatrix(
  queries: tf.Tensor2D,
  train: tf.Tensor2D,
  metric: Metric = "l2",
  method: DistanceMethod = "no-loops",
): DistanceMatrix {
  switch (method) {
    case "two-loops":
      return distancesTwoLoops(queries, train, metric);
    case "one-loop":
      return distancesOneLoop(queries, train, metric);
    case "no-loops":
      return distancesNoLoops(queries, train, metric);
    default:
      throw new InvalidInputError("method", `unknown distance method "${String(method)}"; use one of ${DISTANCE_METHODS.join(", ")}`);
  }
}

/** Largest absolute difference between two distance matrices of the same shape. */
export function maxDistanceDifference(a: DistanceMatrix, b: DistanceMatrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new InvalidInputError("b", `distance matrices differ in shape: [${a.rows}, ${a.cols}] vs [${b.rows}, ${b.cols}]`);
  }
  let worst = 0;
  for (let i = 0; i < a.values.length; i++) {
    const diff = Math.abs(a.values[i]! - b.values[i]!);
    if (Number.isNaN(diff)) return Number.NaN;
    if (diff > worst) worst = diff;
  }
  return worst;
}

/** One row of `compareDistanceMethods`. */
export interface DistanceMethodTiming {
  metric: Metric;
  method: DistanceMethod;
  /** Wall-clock time of one distance matrix. */
  ms: number;
  /** Largest |difference| from the two-loop result (0 up to float rounding when all agree). */
  maxDifference: number;
}

/**
 * Times the three implementations on the same queries [M, D] and training rows [N, D], for each
 * metric, and checks each against the two-loop result: the "vectorise your loops" lesson as a table.
 */
export function compareDistanceMethods(queries: tf.Tensor2D, train: tf.Tensor2D, metrics: readonly Metric[] = ["l2", "l1"]): DistanceMethodTiming[] {
  const rows: DistanceMethodTiming[] = [];
  for (const metric of metrics) {
    const reference = distanceMatrix(queries, train, metric, "two-loops");
    for (const method of DISTANCE_METHODS) {
      const { value, ms } = timed(() => distanceMatrix(queries, train, metric, method));
      rows.push({ metric, method, ms, maxDifference: maxDistanceDifference(value, reference) });
    }
  }
  return rows;
}
