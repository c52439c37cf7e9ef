/**
 * Pruned exact L2 search: lower bounds in a principal subspace rule out most training rows,
 * the rest get exact float64 distances (on worker threads when the wasm heap is shared).
 */
import * as tf from "@tensorflow/tfjs-core";
import { availableParallelism } from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import { createRng } from "../core/random.js";
import type { Metric, NeighborResult } from "./search-types.js";
import { PRUNE_DIMS, resolveStrategy, type NeighborStrategy } from "./strategy.js";
import { fastMatrixProducts } from "../runtime/backend.js";
import { valuesView } from "../runtime/values-view.js";
import { runOnWorker, startWorkers } from "../runtime/worker-pool.js";

/** Scan workers, started on first use and kept (unref'd) for later searches. */
let scanWorkers: NodeWorker[] | undefined;
// ---------------------------------------------------------------------------------------------
// Pruned exact L2 search.
//
// For an orthonormal basis P [D, p] of a subspace, write q = Pq̂ + q⊥. Then
//   ‖q − r‖² = ‖q̂ − r̂‖² + ‖q⊥ − r⊥‖² ≥ ‖q̂ − r̂‖² + (‖q⊥‖ − ‖r⊥‖)² =: LB(q, r),
// a lower bound that costs a (p + 2)-wide product instead of a D-wide one. With P spanning the
// leading principal directions of the training rows, LB is tight for images: on Fashion-MNIST
// (p = 64) about 0.5% of training rows have LB below a query's nearest-neighbour distance.
// Per query: the k rows with the smallest LB give an upper bound UB on the k-th nearest squared
// distance; every row with LB ≤ UB (+ a slack far above float32 rounding) is then checked with
// its exact distance, computed in float64 from the float32 inputs. Nothing is approximated: a
// row is skipped only if its distance provably exceeds k others'.
// ---------------------------------------------------------------------------------------------

/** Training rows sampled (evenly) to estimate the principal directions. */
const PRUNE_SAMPLE_ROWS = 4096;
/** Subspace-iteration steps; the basis only needs to be good, not converged, to be correct. */
const PRUNE_ITERATIONS = 8;
/** Relative slack on the bound test, ~100× float32 rounding, so rounding never drops a neighbour. */
const PRUNE_SLACK = 1e-4;

/** Whether `strategy` means the pruned search here, on the active backend (see strategy.ts). */
export function usePruning(strategy: NeighborStrategy, metric: Metric, m: number, n: number, d: number): boolean {
  return resolveStrategy(strategy, fastMatrixProducts(), m, n, d, metric) === "pruned";
}

/** Modified Gram–Schmidt, twice, on the p columns of the row-major [d, p] matrix `z`, in place. */
function orthonormalizeColumns(z: Float64Array, d: number, p: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < d; r++) dot += z[r * p + i]! * z[r * p + j]!;
        for (let r = 0; r < d; r++) z[r * p + j]! -= dot * z[r * p + i]!;
      }
      let norm = 0;
      for (let r = 0; r < d; r++) norm += z[r * p + j]! ** 2;
      norm = Math.sqrt(norm);
      // A degenerate column is zeroed: a smaller subspace still gives valid bounds.
      const scale = norm > 1e-12 ? 1 / norm : 0;
      for (let r = 0; r < d; r++) z[r * p + j]! *= scale;
    }
  }
}

/** An orthonormal [D, p] basis of the leading principal directions of the rows `train` [N, D]. */
async function principalBasis(train: Float32Array, n: number, d: number, p: number): Promise<Float32Array> {
  const step = Math.max(1, Math.floor(n / PRUNE_SAMPLE_ROWS));
  const sampleRows = Math.ceil(n / step);
  const sample = new Float32Array(sampleRows * d);
  for (let i = 0; i < sampleRows; i++) sample.set(train.subarray(i * step * d, (i * step + 1) * d), i * d);
  const covariance = tf.tidy(() => {
    const x = tf.tensor2d(sample, [sampleRows, d]);
    const centred = tf.sub(x, tf.mean(x, 0));
    return tf.matMul(tf.transpose(centred), centred);
  });
  const rng = createRng(20240611);
  const z = Float64Array.from({ length: d * p }, () => rng.normal());
  try {
    orthonormalizeColumns(z, d, p);
    for (let it = 0; it < PRUNE_ITERATIONS; it++) {
      const next = tf.tidy(() => tf.matMul(covariance, tf.tensor2d(Float32Array.from(z), [d, p])));
      z.set(await next.data());
      next.dispose();
      orthonormalizeColumns(z, d, p);
    }
  } finally {
    covariance.dispose();
  }
  return Float32Array.from(z);
}

/**
 * For query rows x [r, D]: [2·x̂, 2·‖x⊥‖, 1] [r, p + 2] and ‖x̂‖² + ‖x⊥‖² [r]. A query row
 * times a column of {@link trainingBoundWeights} gives 2(q̂·r̂ + ‖q⊥‖‖r⊥‖) − ‖r̂‖² − ‖r⊥‖², and
 * LB = (‖q̂‖² + ‖q⊥‖²) minus that.
 */
function projectQueries(x: tf.Tensor2D, basis: tf.Tensor2D, basisT: tf.Tensor2D): [tf.Tensor2D, tf.Tensor1D] {
  return tf.tidy(() => {
    const rows = x.shape[0];
    const coords = tf.matMul(x, basis);
    // The residual is formed explicitly (not as ‖x‖² − ‖x̂‖²) to avoid cancellation.
    const residualNorm = tf.reshape(tf.sqrt(tf.sum(tf.square(tf.sub(x, tf.matMul(coords, basisT))), 1)), [rows, 1]);
    const squaredNorm = tf.add(tf.sum(tf.square(coords), 1), tf.reshape(tf.square(residualNorm), [rows]));
    const augmented = tf.concat([tf.mul(coords, 2), tf.mul(residualNorm, 2), tf.ones([rows, 1])], 1);
    return [augmented as tf.Tensor2D, squaredNorm as tf.Tensor1D];
  });
}

/**
 * The training side of the bound product, [p + 2, N]: rows x̂ (p of them), ‖x⊥‖ and
 * −(‖x̂‖² + ‖x⊥‖²). Whole-matrix ops (row slices are slow on wasm), disposing each [N, D]
 * temporary as soon as it is used, so at most two exist at once.
 */
function trainingBoundWeights(train: tf.Tensor2D, basis: tf.Tensor2D, basisT: tf.Tensor2D): tf.Tensor2D {
  const n = train.shape[0];
  const coords = tf.matMul(train, basis);
  const back = tf.matMul(coords, basisT);
  const residualSquares = tf.squaredDifference(train, back);
  back.dispose();
  const residualNorm = tf.tidy(() => tf.reshape(tf.sqrt(tf.sum(residualSquares, 1)), [n, 1]));
  residualSquares.dispose();
  const weights = tf.tidy(() => {
    const squaredNorm = tf.add(tf.sum(tf.square(coords), 1), tf.reshape(tf.square(residualNorm), [n]));
    return tf.transpose(tf.concat([coords, residualNorm, tf.reshape(tf.neg(squaredNorm), [n, 1])], 1)) as tf.Tensor2D;
  });
  coords.dispose();
  residualNorm.dispose();
  return weights;
}

/**
 * Σ a_i·b_i over d entries, in float64 (each float32 product is exact in float64). Scan workers
 * run its source text next to {@link scanRows}'s, so it may use nothing outside its own body.
 */
function dot(a: Float32Array, aStart: number, b: Float32Array, bStart: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < d; j += 4) {
    s0 += a[aStart + j]! * b[bStart + j]!;
    s1 += a[aStart + j + 1]! * b[bStart + j + 1]!;
    s2 += a[aStart + j + 2]! * b[bStart + j + 2]!;
    s3 += a[aStart + j + 3]! * b[bStart + j + 3]!;
  }
  for (; j < d; j++) s0 += a[aStart + j]! * b[bStart + j]!;
  return s0 + s1 + s2 + s3;
}

export async function prunedSearch(
  train: tf.Tensor2D,
  queries: tf.Tensor2D,
  k: number,
  chunkSize: number,
  onProgress: ((done: number, total: number) => void) | undefined,
): Promise<NeighborResult> {
  const [n, d] = train.shape;
  const m = queries.shape[0];
  const p = Math.max(1, Math.min(PRUNE_DIMS, Math.floor(d / 4)));
  const indices = new Int32Array(m * k);
  const distances = new Float32Array(m * k);
  // The training values are read in place from the wasm heap when possible (no 4·N·D-byte copy).
  let trainCopy: Float32Array | null = null;
  // Exact squared distances are ‖q‖² + ‖r‖² − 2 q·r in float64: one multiply-add per feature,
  // and cancellation costs ~1e-14, far below float32 input precision. Identical rows still get
  // bit-identical distances, so the tie-break rule holds.
  const trainSquares = new Float64Array(new SharedArrayBuffer(n * 8));
  let maxTrainNorm = 0;
  const trainValues = valuesView(train) ?? (trainCopy = (await train.data()) as Float32Array);
  for (let r = 0; r < n; r++) {
    trainSquares[r] = dot(trainValues, r * d, trainValues, r * d, d);
    maxTrainNorm = Math.max(maxTrainNorm, trainSquares[r]!);
  }

  const basisValues = await principalBasis(valuesView(train) ?? trainValues, n, d, p);
  const basis = tf.tensor2d(basisValues, [d, p]);
  const basisT = tf.transpose(basis) as tf.Tensor2D;
  let weights: tf.Tensor2D | null = null;
  try {
    weights = trainingBoundWeights(train, basis, basisT);

    const chunkRows = Math.min(chunkSize, m);
    const outIndices = new Int32Array(new SharedArrayBuffer(chunkRows * k * 4));
    const outSquares = new Float64Array(new SharedArrayBuffer(chunkRows * k * 8));
    for (let start = 0; start < m; start += chunkSize) {
      const rows = Math.min(chunkSize, m - start);
      const chunk = tf.slice(queries, [start, 0], [rows, d]);
      const [queryAug, queryNorms] = projectQueries(chunk, basis, basisT);
      const scores = tf.tidy(() => tf.matMul(queryAug, weights!)); // [rows, N]; LB = queryNorm − score
      queryAug.dispose();
      const seedsT = tf.tidy(() => (k === 1 ? tf.argMax(scores, 1) : tf.topk(scores, k).indices));
      const [seeds, boundNorms] = (await Promise.all([seedsT.data(), queryNorms.data()])) as [Int32Array, Float32Array];
      seedsT.dispose();
      queryNorms.dispose();
      try {
        // Views (valuesView) are taken together, with no await before the scan starts: another
        // task's tensor work could grow (and, single-threaded, detach) the memory they look into.
        const train0 = valuesView(train);
        const queries0 = valuesView(chunk);
        const scores0 = valuesView(scores);
        const inPlace = train0 && queries0 && scores0 ? { train: train0, queries: queries0, scores: scores0 } : null;
        const values = inPlace ?? {
          train: (trainCopy ??= (await train.data()) as Float32Array),
          queries: (await chunk.data()) as Float32Array,
          scores: (await scores.data()) as Float32Array,
        };
        await scanInParallel({
          ...values,
          trainSquares,
          seeds,
          boundNorms,
          n,
          d,
          k,
          slackRelative: PRUNE_SLACK,
          maxTrainNorm,
          rowFrom: 0,
          rowTo: rows,
          outIndices,
          outSquares,
        });
      } finally {
        scores.dispose();
        chunk.dispose();
      }
      for (let i = 0; i < rows * k; i++) {
        indices[start * k + i] = outIndices[i]!;
        distances[start * k + i] = Math.sqrt(outSquares[i]!);
      }
      onProgress?.(start + rows, m);
    }
  } finally {
    basis.dispose();
    basisT.dispose();
    weights?.dispose();
  }
  return { indices, distances, k, m };
}
interface ScanJob {
  /** Training rows [N, D]. */
  train: Float32Array;
  /** ‖r‖² per training row [N], float64. */
  trainSquares: Float64Array;
  /** The chunk's query rows [rows, D]. */
  queries: Float32Array;
  /** Bound scores [rows, N]: LB = boundNorms[row] − score. */
  scores: Float32Array;
  /** [rows, k] seed rows (smallest LB) that start each best list. */
  seeds: Int32Array;
  boundNorms: Float32Array;
  n: number;
  d: number;
  k: number;
  slackRelative: number;
  maxTrainNorm: number;
  rowFrom: number;
  rowTo: number;
  /** Outputs [rows, k]: indices and squared distances, ordered by (distance, index). */
  outIndices: Int32Array;
  outSquares: Float64Array;
}

/**
 * The exact check for a range of query rows. Scan workers run its source text (and {@link dot}'s),
 * so it may use nothing outside its own body but `dot`.
 */
function scanRows(job: ScanJob): void {
  const { train, trainSquares, queries, scores, seeds, boundNorms, n, d, k } = job;
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  // seedMark[j] === r + 1 marks row r's seeds, so the scan skips them in O(1).
  const seedMark = new Int32Array(n);
  for (let r = job.rowFrom; r < job.rowTo; r++) {
    const queryStart = r * d;
    const querySquare = dot(queries, queryStart, queries, queryStart, d);
    const slack = job.slackRelative * (querySquare + job.maxTrainNorm) + 1e-6;
    let count = 0;
    // Keeps the k best by (squared distance, index).
    const consider = (j: number): void => {
      const dist = Math.max(0, querySquare + trainSquares[j]! - 2 * dot(queries, queryStart, train, j * d, d));
      if (count === k && !(dist < bestD[k - 1]! || (dist === bestD[k - 1]! && j < bestI[k - 1]!))) return;
      let pos = count === k ? k - 1 : count;
      while (pos > 0 && (bestD[pos - 1]! > dist || (bestD[pos - 1]! === dist && bestI[pos - 1]! > j))) {
        bestD[pos] = bestD[pos - 1]!;
        bestI[pos] = bestI[pos - 1]!;
        pos--;
      }
      bestD[pos] = dist;
      bestI[pos] = j;
      if (count < k) count++;
    };
    const seedStart = r * k;
    for (let s = 0; s < k; s++) {
      consider(seeds[seedStart + s]!);
      seedMark[seeds[seedStart + s]!] = r + 1;
    }
    // A row can still enter the best list only if LB − slack ≤ the current k-th best.
    const boundNorm = boundNorms[r]!;
    let threshold = boundNorm - bestD[k - 1]! - slack;
    const rowStart = r * n;
    for (let j = 0; j < n; j++) {
      if (!(scores[rowStart + j]! >= threshold)) continue;
      if (seedMark[j] === r + 1) continue;
      consider(j);
      threshold = boundNorm - bestD[k - 1]! - slack;
    }
    for (let i = 0; i < k; i++) {
      job.outIndices[r * k + i] = bestI[i]!;
      job.outSquares[r * k + i] = bestD[i]!;
    }
  }
}

function getScanWorkers(): NodeWorker[] {
  return (scanWorkers ??= startWorkers({ dot, scanRows }, "scanRows"));
}

/**
 * Runs the scan over all rows of `job`, split across worker threads when every array lives in
 * shared memory (the threaded wasm heap), else on this thread.
 */
async function scanInParallel(job: ScanJob): Promise<void> {
  const rows = job.rowTo - job.rowFrom;
  const shared = [job.train, job.trainSquares, job.queries, job.scores, job.outIndices, job.outSquares].every(
    (a) => a.buffer instanceof SharedArrayBuffer,
  );
  const workers = shared && rows >= 32 && availableParallelism() > 1 ? getScanWorkers() : [];
  if (workers.length < 2) {
    scanRows(job);
    return;
  }
  const per = Math.ceil(rows / workers.length);
  await Promise.all(
    workers.map((worker, w) => {
      const rowFrom = job.rowFrom + w * per;
      const rowTo = Math.min(job.rowTo, rowFrom + per);
      return rowFrom < rowTo ? runOnWorker(worker, { ...job, rowFrom, rowTo }) : Promise.resolve();
    }),
  );
}
