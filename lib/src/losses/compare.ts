/**
 * Naive against vectorised: the same linear-classifier loss computed with loops (Float64) and
 * with tensors (float32), timed, with the largest gradient difference: the course's check that
 * a vectorised implementation is both right and faster.
 */
import * as tf from "@tensorflow/tfjs-core";
import { timed } from "../core/timing.js";
import { linearLossNaive, linearLossVectorized, type ArrayBatch, type LinearLossKind, type LinearLossOptions } from "./losses.js";

export interface LossImplementationComparison {
  kind: LinearLossKind;
  naiveLoss: number;
  vectorizedLoss: number;
  /** max_k |dW_naive[k] − dW_vectorised[k]|. */
  maxGradientDifference: number;
  naiveMs: number;
  /** Time of one vectorised evaluation after a warm-up call (the first call compiles kernels). */
  vectorizedMs: number;
}

/**
 * @param W weights [D, C] row-major (D includes the constant feature when `options.biasTrick`)
 * @param batch examples x [N, D], y [N]
 */
export function compareLossImplementations(
  kind: LinearLossKind,
  W: Float64Array,
  batch: ArrayBatch,
  numClasses: number,
  options: LinearLossOptions = {},
): LossImplementationComparison {
  const naive = timed(() => linearLossNaive(kind, { W, d: batch.d, c: numClasses }, batch, options));
  const x = tf.tensor2d(Float32Array.from(batch.x), [batch.n, batch.d]);
  const weights = tf.tensor2d(Float32Array.from(W), [batch.d, numClasses]);
  try {
    tf.dispose(Object.values(linearLossVectorized(kind, { W: weights }, x, batch.y, options))); // warm-up
    const vectorized = timed(() => {
      const result = linearLossVectorized(kind, { W: weights }, x, batch.y, options);
      const values = { loss: result.loss.dataSync()[0]!, dW: result.dW.dataSync() };
      tf.dispose(Object.values(result));
      return values;
    });
    let maxGradientDifference = 0;
    naive.value.dW.forEach((g, k) => {
      maxGradientDifference = Math.max(maxGradientDifference, Math.abs(g - vectorized.value.dW[k]!));
    });
    return {
      kind,
      naiveLoss: naive.value.loss,
      vectorizedLoss: vectorized.value.loss,
      maxGradientDifference,
      naiveMs: naive.ms,
      vectorizedMs: vectorized.ms,
    };
  } finally {
    tf.dispose([x, weights]);
  }
}
