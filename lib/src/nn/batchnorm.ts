/**
 * Batch normalisation, fully connected [N, D] and spatial [N, H, W, C], with the backward pass derived
 * by hand. In train mode each feature d is normalised over the batch, then scaled and shifted:
 *
 *   μ_d = (1/N) Σ_n x[n, d]            σ²_d = (1/N) Σ_n (x[n, d] − μ_d)²
 *   x̂[n, d] = (x[n, d] − μ_d) / √(σ²_d + ε)
 *   out[n, d] = γ_d · x̂[n, d] + β_d
 *
 * and running averages follow the batch statistics for test time:
 *   running ← momentum · running + (1 − momentum) · batch statistic      (momentum 0.9 by default)
 * In test mode the running mean and variance replace μ and σ², so a prediction does not depend on
 * which other images share its batch.
 *
 * Backward (train mode), from dout [N, D], on the graph x → (μ, σ²) → x̂ → out:
 *   dβ = Σ_n dout,   dγ = Σ_n dout ⊙ x̂,   dx̂ = dout ⊙ γ
 *   dx = (1 / (N·√(σ² + ε))) ⊙ (N·dx̂ − Σ_n dx̂ − x̂ ⊙ Σ_n (dx̂ ⊙ x̂))
 * (the two sums are the paths through μ and through σ²; in test mode μ and σ² are constants and
 * dx = dx̂ / √(running σ² + ε)).
 *
 * Spatial batch normalisation normalises each channel over the batch and all positions: with images
 * [N, H, W, C] that is the fully connected version on the N·H·W rows of a [N·H·W, C] reshape.
 *
 * The functions are pure: train mode returns the updated running statistics instead of writing them,
 * so gradient checks can call the forward pass as often as they like; the model stores them.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkFiniteNumber, checkKnownOptions, checkOneOf, InvalidInputError } from "../core/checks.js";

export type LayerMode = "train" | "test";
export const LAYER_MODES: readonly LayerMode[] = ["train", "test"];

/** How batch normalisation runs: mode (required), momentum of the running averages (0.9), ε (1e-5). */
export interface BatchNormOptions {
  mode: LayerMode;
  momentum?: number;
  eps?: number;
}
const BATCH_NORM_OPTION_NAMES = ["mode", "momentum", "eps"] as const;

/** The running mean and variance of each feature [D] (test-time statistics). */
export interface BatchNormRunning {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** What the backward pass needs. */
export interface BatchNormCache {
  mode: LayerMode;
  /** x̂ [N, D]: the normalised input. */
  xhat: tf.Tensor2D;
  gamma: tf.Tensor1D;
  /** 1/√(σ² + ε) [D] (batch σ² in train mode, running σ² in test mode). */
  invStd: tf.Tensor1D;
}

/** Gradients of batch normalisation: dx (the input's shape), dγ [D], dβ [D]. */
export interface BatchNormGradients<T extends tf.Tensor = tf.Tensor2D> {
  dx: T;
  dgamma: tf.Tensor1D;
  dbeta: tf.Tensor1D;
}

function checkBatchNormOptions(options: BatchNormOptions): { mode: LayerMode; momentum: number; eps: number } {
  checkKnownOptions(options, BATCH_NORM_OPTION_NAMES, "batch norm options");
  if (options === undefined) throw new InvalidInputError("options", `batch norm: options { mode: "train" | "test" } are required`);
  checkOneOf(options.mode, LAYER_MODES, "mode");
  const momentum = options.momentum ?? 0.9;
  const eps = options.eps ?? 1e-5;
  checkFiniteNumber(momentum, "momentum");
  checkFiniteNumber(eps, "eps");
  if (momentum < 0 || momentum > 1) throw new InvalidInputError("momentum", `batch norm: momentum must be in [0, 1], got ${momentum}`);
  if (eps <= 0) throw new InvalidInputError("eps", `batch norm: eps must be > 0 (it keeps 1/√(σ² + ε) finite), got ${eps}`);
  return { mode: options.mode, momentum, eps };
}

function checkFeatureVector(t: tf.Tensor, d: number, name: string): void {
  if (t.rank !== 1 || t.shape[0] !== d) {
    throw new InvalidInputError(name, `batch norm: ${name} must have one value per feature, [${d}], got [${t.shape.join(", ")}]`);
  }
}

/**
 * out [N, D] = γ x̂ + β (see the header), the cache, and the running statistics after this batch
 * (the same tensors as given in test mode; new ones in train mode). Train mode needs N ≥ 2: with one
 * row every x̂ is 0 and the output is β whatever the input.
 */
export function batchNormForward(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: BatchNormRunning,
  options: BatchNormOptions,
): { out: tf.Tensor2D; cache: BatchNormCache; running: BatchNormRunning } {
  const { mode, momentum, eps } = checkBatchNormOptions(options);
  if (x.rank !== 2) throw new InvalidInputError("x", `batch norm: x must be [N, D], got shape [${x.shape.join(", ")}] (images go to spatialBatchNormForward)`);
  const [n, d] = x.shape;
  for (const [t, name] of [[gamma, "gamma"], [beta, "beta"], [running.mean, "running mean"], [running.variance, "running variance"]] as const) checkFeatureVector(t, d, name);
  if (mode === "train" && n < 2) {
    throw new InvalidInputError(
      "x",
      `batch norm in train mode needs a batch of at least 2 (the statistics are over the batch: with ${n} example the variance is 0 and every output is β); ` +
        `use batches of 2 or more, or mode "test" to use the running statistics`,
    );
  }
  if (mode === "test") {
    const invStd = tf.rsqrt(tf.add(running.variance, eps)) as tf.Tensor1D;
    const xhat = tf.mul(tf.sub(x, running.mean), invStd) as tf.Tensor2D;
    const out = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D;
    return { out, cache: { mode, xhat, gamma, invStd }, running };
  }
  const mean = tf.mean(x, 0) as tf.Tensor1D;
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), 0) as tf.Tensor1D;
  const invStd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor1D;
  const xhat = tf.mul(centred, invStd) as tf.Tensor2D;
  const out = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D;
  const updated: BatchNormRunning = {
    mean: tf.add(tf.mul(momentum, running.mean), tf.mul(1 - momentum, mean)) as tf.Tensor1D,
    variance: tf.add(tf.mul(momentum, running.variance), tf.mul(1 - momentum, variance)) as tf.Tensor1D,
  };
  return { out, cache: { mode, xhat, gamma, invStd }, running: updated };
}

/** dx [N, D], dγ, dβ from dout [N, D] (see the header for the derivation). */
export function batchNormBackward(dout: tf.Tensor2D, cache: BatchNormCache): BatchNormGradients {
  const { xhat, gamma, invStd } = cache;
  // BEGIN SOLUTION batchnorm-backward (3 pts)
  const dbeta = tf.sum(dout, 0) as tf.Tensor1D;
  const dgamma = tf.sum(tf.mul(dout, xhat), 0) as tf.Tensor1D;
  const dxhat = tf.mul(dout, gamma) as tf.Tensor2D;
  if (cache.mode === "test") return { dx: tf.mul(dxhat, invStd) as tf.Tensor2D, dgamma, dbeta };
  const n = dout.shape[0];
  const sumDxhat = tf.sum(dxhat, 0);
  const sumDxhatXhat = tf.sum(tf.mul(dxhat, xhat), 0);
  const inner = tf.sub(tf.sub(tf.mul(dxhat, n), sumDxhat), tf.mul(xhat, sumDxhatXhat));
  const dx = tf.mul(inner, tf.div(invStd, n)) as tf.Tensor2D;
  return { dx, dgamma, dbeta };
  // END SOLUTION
}

/** [N, H, W, C] as [N·H·W, C] rows: per-channel statistics over the batch and every position. */
function asRows(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(x, [n * h * w, c]);
}

/**
 * Spatial batch normalisation of images x [N, H, W, C] with γ, β and running statistics [C]: the
 * fully connected version on the [N·H·W, C] reshape. Train mode needs N ≥ 2 images.
 */
export function spatialBatchNormForward(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: BatchNormRunning,
  options: BatchNormOptions,
): { out: tf.Tensor4D; cache: BatchNormCache; running: BatchNormRunning } {
  if (x.rank !== 4) throw new InvalidInputError("x", `spatial batch norm: x must be images [N, H, W, C], got shape [${x.shape.join(", ")}]`);
  if (options?.mode === "train" && x.shape[0] < 2) {
    throw new InvalidInputError(
      "x",
      `spatial batch norm in train mode needs a batch of at least 2 images (got ${x.shape[0]}): the statistics of a batch of one describe that image, not the data; ` +
        `use batches of 2 or more, or mode "test" to use the running statistics`,
    );
  }
  const result = batchNormForward(asRows(x), gamma, beta, running, options);
  return { out: tf.reshape(result.out, x.shape), cache: result.cache, running: result.running };
}

/** Backward of `spatialBatchNormForward`: dx [N, H, W, C], dγ [C], dβ [C]. */
export function spatialBatchNormBackward(dout: tf.Tensor4D, cache: BatchNormCache): BatchNormGradients<tf.Tensor4D> {
  const { dx, dgamma, dbeta } = batchNormBackward(asRows(dout), cache);
  return { dx: tf.reshape(dx, dout.shape), dgamma, dbeta };
}
