/**
 * Exact k-nearest-neighbour search, fast and memory-bounded: the engine behind kNN prediction
 * and cross-validation.
 *
 * How it stays fast: for L2 the squared distance is expanded as ‖q‖² + ‖r‖² − 2 q·r, so the
 * bulk of the work is one matrix product per chunk of queries against the training matrix,
 * transposed once to [D, N] (on the wasm backend a product with `transposeB` is ~20× slower).
 * ‖q‖² is the same for every training row of a query, so it is left out of the ranking.
 * Feature columns that are constant over all training rows add the same amount to every
 * distance of a query, so they are dropped before the product (exact: the ranking cannot change).
 *
 * How it stays exact: the expanded form loses a few float32 digits to cancellation, so it only
 * shortlists `k + SHORTLIST_MARGIN` candidates per query; their distances are then recomputed
 * directly from the differences (all columns), and the final order is by that distance, ties
 * broken by the lower training index.
 *
 * How it stays bounded: queries go through in chunks (`chunkSize` rows), so the largest
 * temporary is a [chunkSize, N] score matrix, whatever M is.
 */
import * as tf from "@tensorflow/tfjs-core";

/** "l2" = Euclidean √Σ(q − r)², "l1" = Manhattan Σ|q − r|. */
export type Metric = "l2" | "l1";

/**
 * The k nearest training rows of each query, row-major [M, k], nearest first.
 * Equal distances are ordered by the lower training index first.
 */
export interface NeighborResult {
  /** [M, k] training-row indices. */
  indices: Int32Array;
  /** [M, k] true distances (Euclidean for "l2", Manhattan for "l1"), ascending per row. */
  distances: Float32Array;
  k: number;
  /** Number of queries M. */
  m: number;
}

export interface NearestNeighborsOptions {
  /** Distance (default "l2"). */
  metric?: Metric;
  /**
   * Queries per chunk (default {@link DEFAULT_NEIGHBOR_CHUNK}). Peak memory grows with
   * chunkSize × N; larger chunks make the matrix product a little more efficient.
   */
  chunkSize?: number;
  /** Called after each chunk with (queries done, total queries). */
  onProgress?: (done: number, total: number) => void;
}

/** Default queries per chunk for L2; chosen by measurement (bench/bench.ts, README of bench). */
export const DEFAULT_NEIGHBOR_CHUNK = 1024;

/** Default queries per chunk for L1 (its cost is in broadcasting, not in a matrix product). */
const DEFAULT_L1_CHUNK = 64;

/** Extra candidates shortlisted per query before exact re-ranking (absorbs float32 rounding). */
const SHORTLIST_MARGIN = 8;

/** L1 broadcasts [queries, trainBlock, D]; keep that temporary near this many elements. */
const L1_BLOCK_ELEMENTS = 1 << 22;

function checkInputs(train: tf.Tensor, queries: tf.Tensor, k: number, options: NearestNeighborsOptions): void {
  if (train.rank !== 2) throw new Error(`nearestNeighbors: train must be [N, D], got shape [${train.shape}]`);
  if (queries.rank !== 2) throw new Error(`nearestNeighbors: queries must be [M, D], got shape [${queries.shape}]`);
  const [n, d] = train.shape as [number, number];
  const dq = queries.shape[1]!;
  if (d !== dq) {
    throw new Error(`nearestNeighbors: train has ${d} features per row but queries have ${dq}`);
  }
  if (n === 0) throw new Error("nearestNeighbors: train has no rows");
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new Error(`nearestNeighbors: k must be an integer in 1..${n} (training rows), got ${k}`);
  }
  const metric = options.metric ?? "l2";
  if (metric !== "l2" && metric !== "l1") {
    throw new Error(`nearestNeighbors: unknown metric "${String(metric)}"; use "l2" or "l1"`);
  }
  const chunk = options.chunkSize;
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) {
    throw new Error(`nearestNeighbors: chunkSize must be a positive integer, got ${chunk}`);
  }
  if (train.dtype !== "float32" && train.dtype !== "int32") {
    throw new Error(`nearestNeighbors: train must hold numbers, got dtype ${train.dtype}`);
  }
  if (queries.dtype !== "float32" && queries.dtype !== "int32") {
    throw new Error(`nearestNeighbors: queries must hold numbers, got dtype ${queries.dtype}`);
  }
}

async function checkFinite(x: tf.Tensor, what: string): Promise<void> {
  if (x.size === 0) return;
  const total = tf.tidy(() => tf.sum(tf.cast(x, "float32")));
  const value = (await total.data())[0]!;
  total.dispose();
  if (!Number.isFinite(value)) throw new Error(`nearestNeighbors: ${what} contains NaN or infinite values`);
}

/**
 * Indices of the columns of `x` [N, D] that are not constant over all rows; null when every
 * column varies (nothing to drop).
 */
async function varyingColumns(x: tf.Tensor2D): Promise<Int32Array | null> {
  const [lo, hi] = tf.tidy(() => [tf.min(x, 0), tf.max(x, 0)]);
  const [low, high] = await Promise.all([lo!.data(), hi!.data()]);
  lo!.dispose();
  hi!.dispose();
  const keep: number[] = [];
  for (let j = 0; j < low.length; j++) if (high[j]! > low[j]!) keep.push(j);
  if (keep.length === low.length) return null;
  // Every column constant: all rows are identical; keep one column so shapes stay valid.
  if (keep.length === 0) keep.push(0);
  return Int32Array.from(keep);
}

/**
 * Writes, for each of the `rows` rows of `values` (row length `n`), the columns of its `width`
 * smallest values into `out` [rows, width], smallest first; equal values: lower column first.
 */
function smallestPerRow(values: Float32Array, rows: number, n: number, width: number, out: Int32Array): void {
  const bestValue = new Float64Array(width);
  const bestIndex = new Int32Array(width);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * n;
    let count = 0;
    let worst = Infinity;
    for (let j = 0; j < n; j++) {
      const v = values[rowStart + j]!;
      if (count === width && !(v < worst)) continue;
      // Insert after every kept value <= v, so equal values stay in index order.
      let pos = count === width ? width - 1 : count;
      while (pos > 0 && bestValue[pos - 1]! > v) {
        bestValue[pos] = bestValue[pos - 1]!;
        bestIndex[pos] = bestIndex[pos - 1]!;
        pos--;
      }
      bestValue[pos] = v;
      bestIndex[pos] = j;
      if (count < width) count++;
      if (count === width) worst = bestValue[width - 1]!;
    }
    out.set(bestIndex.subarray(0, width), r * width);
  }
}

/**
 * Exact distances from each query row to its shortlisted training rows, then the k best per
 * row by (distance, index). `candidates` is [rows, width]; writes [rows, k] into the outputs.
 */
async function rerank(
  train: tf.Tensor2D,
  queryChunk: tf.Tensor2D,
  candidates: Int32Array,
  width: number,
  k: number,
  metric: Metric,
  outIndices: Int32Array,
  outDistances: Float32Array,
  outOffset: number,
): Promise<void> {
  const rows = queryChunk.shape[0];
  const d = queryChunk.shape[1];
  const exact = tf.tidy(() => {
    const picked = tf.reshape(tf.gather(train, tf.tensor1d(candidates, "int32")), [rows, width, d]);
    const diff = tf.sub(picked, tf.reshape(queryChunk, [rows, 1, d]));
    return metric === "l2" ? tf.sqrt(tf.sum(tf.square(diff), 2)) : tf.sum(tf.abs(diff), 2);
  });
  const dist = (await exact.data()) as Float32Array;
  exact.dispose();
  const order = new Int32Array(width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let i = 0; i < width; i++) order[i] = i;
    const byDistanceThenIndex = (a: number, b: number): number =>
      dist[base + a]! - dist[base + b]! || candidates[base + a]! - candidates[base + b]!;
    const sorted = Array.from(order).sort(byDistanceThenIndex);
    for (let i = 0; i < k; i++) {
      outIndices[outOffset + r * k + i] = candidates[base + sorted[i]!]!;
      outDistances[outOffset + r * k + i] = dist[base + sorted[i]!]!;
    }
  }
}

/**
 * The k nearest training rows of every query, exactly (up to float32 rounding of distances).
 *
 * @param train training rows [N, D] (not disposed)
 * @param queries query rows [M, D] (not disposed)
 * @param k neighbours per query, 1..N
 * @returns indices and distances [M, k], nearest first; equal distances ordered by lower
 *   training index.
 */
export async function nearestNeighbors(
  train: tf.Tensor2D,
  queries: tf.Tensor2D,
  k: number,
  options: NearestNeighborsOptions = {},
): Promise<NeighborResult> {
  checkInputs(train, queries, k, options);
  const metric = options.metric ?? "l2";
  const [n, d] = train.shape;
  const m = queries.shape[0];
  const indices = new Int32Array(m * k);
  const distances = new Float32Array(m * k);
  if (m === 0) return { indices, distances, k, m };
  await checkFinite(train, "train");
  await checkFinite(queries, "queries");

  const trainF = train.dtype === "float32" ? train : tf.cast(train, "float32");
  const queriesF = queries.dtype === "float32" ? queries : tf.cast(queries, "float32");
  const keep = await varyingColumns(trainF);
  const keepTensor = keep ? tf.tensor1d(keep, "int32") : null;
  const reduce = (x: tf.Tensor2D): tf.Tensor2D => (keepTensor ? tf.gather(x, keepTensor, 1) : x);

  // k = 1 is the hot path (argMax is ~6× faster than topk on wasm): no margin there.
  const width = k === 1 ? 1 : Math.min(n, k + SHORTLIST_MARGIN);
  const chunkSize = options.chunkSize ?? (metric === "l2" ? DEFAULT_NEIGHBOR_CHUNK : DEFAULT_L1_CHUNK);
  const candidates = new Int32Array(Math.min(chunkSize, m) * width);

  // L2 state: [2·Rᵀ; −‖r‖²], [D' + 1, N], so that [q, 1] times it is 2 q·r − ‖r‖²: larger
  // means nearer, and one product per chunk yields the ranking scores with no extra passes.
  let scoreWeights: tf.Tensor2D | null = null;
  // L1 state: the reduced training rows [N, D'].
  let trainReduced: tf.Tensor2D | null = null;
  try {
    if (metric === "l2") {
      scoreWeights = tf.tidy(() => {
        const r = reduce(trainF);
        const negNorms = tf.reshape(tf.neg(tf.sum(tf.square(r), 1)), [1, n]);
        return tf.concat([tf.mul(tf.transpose(r), 2), negNorms], 0) as tf.Tensor2D;
      });
    } else {
      trainReduced = keepTensor ? tf.tidy(() => reduce(trainF)) : null;
    }

    for (let start = 0; start < m; start += chunkSize) {
      const rows = Math.min(chunkSize, m - start);
      const chunk = tf.slice(queriesF, [start, 0], [rows, d]) as tf.Tensor2D;
      try {
        if (metric === "l2") {
          const picked = tf.tidy(() => {
            const scores = tf.matMul(tf.concat([reduce(chunk), tf.ones([rows, 1])], 1), scoreWeights!);
            // argMax keeps the first of equal maxima (the lower index), like topk.
            return width === 1 ? tf.argMax(scores, 1) : tf.topk(scores, width).indices;
          });
          candidates.set(await picked.data());
          picked.dispose();
        } else {
          const reduced = keepTensor ? tf.tidy(() => reduce(chunk)) : chunk;
          try {
            const scores = await l1Scores(trainReduced ?? trainF, reduced, n);
            smallestPerRow(scores, rows, n, width, candidates);
          } finally {
            if (reduced !== chunk) reduced.dispose();
          }
        }
        await rerank(trainF, chunk, candidates.subarray(0, rows * width), width, k, metric, indices, distances, start * k);
      } finally {
        chunk.dispose();
      }
      options.onProgress?.(start + rows, m);
    }
  } finally {
    scoreWeights?.dispose();
    trainReduced?.dispose();
    keepTensor?.dispose();
    if (trainF !== train) trainF.dispose();
    if (queriesF !== queries) queriesF.dispose();
  }
  return { indices, distances, k, m };
}

/**
 * Manhattan distances [rows, N] from a chunk of queries to all training rows, in blocks of
 * training rows so the broadcast [rows, block, D] stays near L1_BLOCK_ELEMENTS.
 */
async function l1Scores(train: tf.Tensor2D, chunk: tf.Tensor2D, n: number): Promise<Float32Array> {
  const [rows, d] = chunk.shape;
  const out = new Float32Array(rows * n);
  const block = Math.max(1, Math.floor(L1_BLOCK_ELEMENTS / Math.max(1, rows * d)));
  for (let b = 0; b < n; b += block) {
    const size = Math.min(block, n - b);
    const part = tf.tidy(() => {
      const refs = tf.reshape(tf.slice(train, [b, 0], [size, d]), [1, size, d]);
      return tf.sum(tf.abs(tf.sub(tf.reshape(chunk, [rows, 1, d]), refs)), 2);
    });
    const values = (await part.data()) as Float32Array;
    part.dispose();
    for (let r = 0; r < rows; r++) out.set(values.subarray(r * size, (r + 1) * size), r * n + b);
  }
  return out;
}
