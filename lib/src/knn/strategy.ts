/**
 * Which exact L2 search `strategy: "auto"` runs: the dense product or subspace pruning. The answer
 * depends on the backend, because the two searches spend their time in different places. Dense is
 * one matrix product per chunk of queries; pruned replaces most of that product by a 66-wide one
 * but then checks a few hundred candidate rows per query exactly in JavaScript.
 *
 * Measured on Fashion-MNIST (60,000 train × 10,000 queries, k = 1, same answers either way; 2 cores;
 * `npm run bench -- knn-fashion-mnist knn-fashion-mnist-dense --backends tensorflow,wasm`):
 *
 * | backend | dense | pruned |
 * |---|---|---|
 * | `tensorflow` (native, ~170 GFLOPS products) | 5.2 s, 1.2 GB peak RSS | 12.4 s, 2.3 GB |
 * | `wasm` (2 threads, ~34 GFLOPS products) | 26.4 s, 1.4 GB | 5.4 s, 1.2 GB |
 *
 * On native the product is so fast that the JavaScript exact check costs more than the product it
 * saves (and the bound matrix must be copied out of TensorFlow's memory first); on WebAssembly the
 * product is the bottleneck and pruning skips most of it.
 */

/** Strategies a caller may ask for; "auto" resolves to one of the other two. */
export type NeighborStrategy = "auto" | "dense" | "pruned";

/** Dimensions of the principal subspace the pruned search bounds distances in (see pruned.ts). */
export const PRUNE_DIMS = 64;

/**
 * The search `strategy` runs for M queries against N training rows of D features. `fastProducts`:
 * whether the backend's matrix products are fast enough that dense search wins at every size
 * (runtime's `fastMatrixProducts()`). Only L2 can prune; "auto" prunes where products are slow, and
 * only when the problem is big enough to repay building the subspace (~0.1 of one dense pass).
 */
export function resolveStrategy(
  strategy: NeighborStrategy,
  fastProducts: boolean,
  m: number,
  n: number,
  d: number,
  metric: "l2" | "l1" = "l2", // search-types.ts's Metric (which imports this file's type)
): "dense" | "pruned" {
  if (strategy === "dense" || metric !== "l2") return "dense";
  if (strategy === "pruned") return "pruned";
  if (fastProducts) return "dense";
  return d >= 4 * PRUNE_DIMS && n >= 4096 && m * n >= 5e7 ? "pruned" : "dense";
}
