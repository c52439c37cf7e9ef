/** The types of the exact neighbour search (neighbors.ts), shared with its pruned and L1 paths. */
import type { NeighborStrategy } from "./strategy.js";

/** "l2" = Euclidean √Σ(q − r)², "l1" = Manhattan Σ|q − r|. */
export type Metric = "l2" | "l1";

/** The distances the search supports. */
export const METRICS: readonly Metric[] = ["l2", "l1"];

/** The L2 search strategies. */
export const NEIGHBOR_STRATEGIES: readonly NeighborStrategy[] = ["auto", "dense", "pruned"];

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
   * Queries per chunk. Default for dense L2: as many as keep the [chunk, N] score matrix within
   * 32 MB (`denseChunkRows`, at most 1024); otherwise 1024 (pruned) or 64 (L1). Peak memory grows
   * with chunkSize × N.
   */
  chunkSize?: number;
  /** Called after each chunk with (queries done, total queries). */
  onProgress?: (done: number, total: number) => void;
  /**
   * L2 only. "dense" scores every training row with one full-width product per chunk;
   * "pruned" first bounds distances from below in a small principal subspace and computes
   * exact distances only for rows whose bound can beat the current k-th best (same answers,
   * far less work on image data). "auto" (default) picks per backend and problem size (see
   * resolveStrategy in strategy.ts: dense on native TensorFlow, pruned for large problems elsewhere).
   */
  strategy?: NeighborStrategy;
}

export type { NeighborStrategy } from "./strategy.js";
