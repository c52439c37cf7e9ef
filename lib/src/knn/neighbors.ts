/**
 * Exact k-nearest-neighbour search, fast and memory-bounded: the engine behind kNN prediction
 * and cross-validation. Results: indices and true distances [M, k], nearest first, equal
 * distances ordered by the lower training index.
 *
 * Dense L2 (small problems, or `strategy: "dense"`): the squared distance is expanded as
 * ‖q‖² + ‖r‖² − 2 q·r, so the work is one matrix product per chunk of queries against the
 * training matrix, transposed once to [D, N] (on wasm, `transposeB` is ~20× slower), with −‖r‖²
 * as the product's bias, so the product directly gives ranking scores. Feature columns
 * constant over all training rows add the same amount to every distance of a query and are
 * dropped from the product (the ranking cannot change). The expanded form loses a few float32
 * digits, so it only shortlists candidates (k + SHORTLIST_MARGIN; just the best one for k = 1),
 * whose distances are then recomputed from the differences over all columns.
 *
 * Pruned L2 (large problems, `strategy: "pruned"`): lower bounds in a 64-dimensional principal
 * subspace rule out ~99.5% of training rows per query on image data; the rest get exact float64
 * distances. Same answers, about a third of the time on Fashion-MNIST (see pruned.ts).
 *
 * L1 has no product form; it is an exact scan in plain JavaScript on worker threads: a cheap
 * group-sum lower bound rules most training rows out, and each remaining distance is summed over
 * features by decreasing variance and abandoned once it exceeds the query's current k-th best
 * (see l1.ts). ~30× faster than the former tensor broadcasting on MNIST.
 * Memory stays bounded because queries go through in chunks (`chunkSize` rows): the largest
 * L2 temporary is a [chunkSize, N] score matrix, whatever M is.
 */
import * as tf from "@tensorflow/tfjs-core";
import { l1Search } from "./l1.js";
import { prunedSearch, usePruning } from "./pruned.js";

export type { Metric, NearestNeighborsOptions, NeighborResult, NeighborStrategy } from "./search-types.js";
export { METRICS, NEIGHBOR_STRATEGIES } from "./search-types.js";
import { METRICS, NEIGHBOR_STRATEGIES } from "./search-types.js";
import { checkK, checkOneOf, checkPositiveInteger, describeValue, InvalidInputError } from "../core/checks.js";
import type { Metric, NearestNeighborsOptions, NeighborResult } from "./search-types.js";

/** Most queries per chunk for L2 (the pruned search's chunks are always this size). */
export const DEFAULT_NEIGHBOR_CHUNK = 1024;

/**
 * Scores per dense chunk, [chunk, N]: 8M float32 values, 32 MB. A buffer up to that size is reused
 * by the allocator from one chunk to the next; a larger one is mapped fresh each time, and touching
 * fresh memory is what made the search slow and its time erratic (Fashion-MNIST from cold memory:
 * 1024-row chunks, a 245 MB buffer each, 7.8-8.3 s; 128-row chunks 5.0-5.9 s; products of either
 * size run at the same speed once memory is warm).
 */
const DENSE_CHUNK_SCORES = 1 << 23;

/** Rows per block of `negSquaredRowNorms` (8 MB of temporaries at a time). */
const NORM_BLOCK_ELEMENTS = 1 << 21;

/**
 * Training rows are centred for the dense search only when the mean's RMS exceeds this many times
 * the rows' RMS spread around it (pixels in [0, 1] or [0, 255]: about 1; pixels + 1000: thousands).
 */
const CENTRE_OFFSET_RATIO = 2;

/** Whether rows with mean μ [1, D] and −‖r − μ‖² [N] have an offset CENTRE_OFFSET_RATIO times their spread. */
function offsetDwarfsSpread(mean: tf.Tensor2D, negNorms: tf.Tensor1D): boolean {
  const d = mean.shape[1];
  const [offsetSquared, spreadSquared] = tf.tidy(() => [tf.mean(tf.square(mean)), tf.div(tf.mean(negNorms), -d)]).map((t) => {
    const value = t.dataSync()[0]!;
    t.dispose();
    return value;
  });
  return offsetSquared! > CENTRE_OFFSET_RATIO ** 2 * spreadSquared!;
}

/** −‖x_i − μ‖² for each row of x [N, D] and μ [1, D]: [N], a block of rows at a time (no [N, D] temporary). */
function negSquaredRowNorms(x: tf.Tensor2D, mean: tf.Tensor2D): tf.Tensor1D {
  const [n, d] = x.shape;
  const blockRows = Math.max(1, Math.floor(NORM_BLOCK_ELEMENTS / d));
  const blocks: tf.Tensor1D[] = [];
  try {
    for (let first = 0; first < n; first += blockRows) {
      const rows = Math.min(blockRows, n - first);
      blocks.push(tf.tidy(() => tf.neg(tf.sum(tf.square(tf.sub(tf.slice(x, [first, 0], [rows, d]), mean)), 1)) as tf.Tensor1D));
    }
    return tf.concat(blocks);
  } finally {
    blocks.forEach((block) => block.dispose());
  }
}

/** Queries per dense chunk against N training rows: as many as fit DENSE_CHUNK_SCORES, 1..1024. */
export function denseChunkRows(n: number): number {
  return Math.max(1, Math.min(DEFAULT_NEIGHBOR_CHUNK, Math.floor(DENSE_CHUNK_SCORES / n)));
}

/** Default queries per chunk for L1 (only sets how often progress is reported). */
const DEFAULT_L1_CHUNK = 64;

/** Extra candidates shortlisted per query before exact re-ranking (absorbs float32 rounding). */
const SHORTLIST_MARGIN = 8;

function checkInputs(train: tf.Tensor, queries: tf.Tensor, k: number, options: NearestNeighborsOptions): void {
  const shapeOf = (t: unknown): string => (t instanceof tf.Tensor ? `shape [${t.shape}]` : describeValue(t));
  if (!(train instanceof tf.Tensor) || train.rank !== 2) throw new InvalidInputError("train", `nearestNeighbors: train must be [N, D], got ${shapeOf(train)}`);
  if (!(queries instanceof tf.Tensor) || queries.rank !== 2) throw new InvalidInputError("queries", `nearestNeighbors: queries must be [M, D], got ${shapeOf(queries)}`);
  const [n, d] = train.shape as [number, number];
  const dq = queries.shape[1]!;
  if (d !== dq) throw new InvalidInputError("queries", `nearestNeighbors: train has ${d} features per row but queries have ${dq}`);
  if (n === 0) throw new InvalidInputError("train", "nearestNeighbors: train has no rows");
  checkK(k, n);
  const metric = options.metric ?? "l2";
  checkOneOf(metric, METRICS, "metric");
  const strategy = options.strategy ?? "auto";
  checkOneOf(strategy, NEIGHBOR_STRATEGIES, "strategy");
  if (strategy === "pruned" && metric !== "l2") throw new InvalidInputError("strategy", 'nearestNeighbors: strategy "pruned" needs metric "l2"');
  if (options.chunkSize !== undefined) checkPositiveInteger(options.chunkSize, "chunkSize");
  for (const [name, t] of [["train", train], ["queries", queries]] as const) {
    if (t.dtype !== "float32" && t.dtype !== "int32") throw new InvalidInputError(name, `nearestNeighbors: ${name} must hold numbers, got dtype ${t.dtype}`);
  }
}

async function checkFinite(x: tf.Tensor, what: string): Promise<void> {
  if (x.size === 0) return;
  const total = tf.tidy(() => tf.sum(tf.cast(x, "float32")));
  const value = (await total.data())[0]!;
  total.dispose();
  if (!Number.isFinite(value)) throw new InvalidInputError(what, `nearestNeighbors: ${what} contains NaN or infinite values`);
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
  if (metric === "l1") {
    try {
      return await l1Search(trainF, queriesF, k, options.chunkSize ?? DEFAULT_L1_CHUNK, options.onProgress);
    } finally {
      if (trainF !== train) trainF.dispose();
      if (queriesF !== queries) queriesF.dispose();
    }
  }
  if (usePruning(options.strategy ?? "auto", metric, m, n, d)) {
    try {
      return await prunedSearch(trainF, queriesF, k, options.chunkSize ?? DEFAULT_NEIGHBOR_CHUNK, options.onProgress);
    } finally {
      if (trainF !== train) trainF.dispose();
      if (queriesF !== queries) queriesF.dispose();
    }
  }
  const keep = await varyingColumns(trainF);
  const keepTensor = keep ? tf.tensor1d(keep, "int32") : null;
  const reduce = (x: tf.Tensor2D): tf.Tensor2D => (keepTensor ? tf.gather(x, keepTensor, 1) : x);

  // k = 1 is the hot path (argMax is ~6× faster than topk on wasm): no margin there.
  const width = k === 1 ? 1 : Math.min(n, k + SHORTLIST_MARGIN);
  const chunkSize = options.chunkSize ?? denseChunkRows(n);
  const candidates = new Int32Array(Math.min(chunkSize, m) * width);

  // L2 ranking scores: 2 q·r − ‖r‖², larger means nearer (‖q − r‖² minus ‖q‖², which is the same
  // for every r). Per chunk that is one product, [2q] · Rᵀ, with −‖r‖² as its bias: fused matMul
  // adds it inside the product, so no extra pass over the [chunk, N] scores.
  // Distances are measured from the training mean μ (‖q − r‖ is unchanged), so the expansion works
  // with small numbers: the queries as 2(q − μ) and the norms as ‖r − μ‖². Without it, data with a
  // large common offset (pixels + 1000) loses every digit that tells neighbours apart to float32
  // cancellation in ‖q‖² + ‖r‖² − 2q·r. The training rows themselves are centred only when their
  // offset dwarfs their spread: against uncentred rows, 2(q − μ)·r adds 2(q − μ)·μ, the same for
  // every r, and centring costs a copy of the whole training matrix (a second after loading).
  let weights: tf.Tensor2D | null = null;
  let negNorms: tf.Tensor1D | null = null;
  let mean: tf.Tensor2D | null = null;
  try {
    const reduced = reduce(trainF);
    try {
      mean = tf.mean(reduced, 0, true) as tf.Tensor2D;
      negNorms = negSquaredRowNorms(reduced, mean);
      const centre = offsetDwarfsSpread(mean, negNorms);
      weights = tf.tidy(() => tf.transpose(centre ? tf.sub(reduced, mean!) : reduced) as tf.Tensor2D);
    } finally {
      if (reduced !== trainF) reduced.dispose();
    }

    for (let start = 0; start < m; start += chunkSize) {
      const rows = Math.min(chunkSize, m - start);
      const chunk = tf.slice(queriesF, [start, 0], [rows, queriesF.shape[1]]);
      try {
        const picked = tf.tidy(() => {
          const scores = tf.fused.matMul({ a: tf.mul(tf.sub(reduce(chunk), mean!), 2), b: weights!, bias: negNorms! });
          // argMax keeps the first of equal maxima (the lower index), like topk.
          return width === 1 ? tf.argMax(scores, 1) : tf.topk(scores, width).indices;
        });
        candidates.set(await picked.data());
        picked.dispose();
        await rerank(trainF, chunk, candidates.subarray(0, rows * width), width, k, metric, indices, distances, start * k);
      } finally {
        chunk.dispose();
      }
      options.onProgress?.(start + rows, m);
    }
  } finally {
    weights?.dispose();
    negNorms?.dispose();
    mean?.dispose();
    keepTensor?.dispose();
    if (trainF !== train) trainF.dispose();
    if (queriesF !== queries) queriesF.dispose();
  }
  return { indices, distances, k, m };
}
