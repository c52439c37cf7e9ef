/**
 * Layers of a fully connected network, written the way the course writes them: every layer has a
 * forward pass that returns its output and a cache (what the backward pass will need), and a backward
 * pass that turns the upstream gradient ∂L/∂out and the cache into ∂L/∂in (and, for the affine layer,
 * ∂L/∂W and ∂L/∂b). No autodiff: these are the handwritten gradients the tests check against
 * numerical differences and `tf.grad`.
 *
 * All functions create new tensors; call them inside `tf.tidy` (the network does).
 */
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";

// ---------------------------------------------------------------------------------------------
// Affine

/** What `affineBackward` needs: the layer's input x [N, D] and weights W [D, M]. */
export interface AffineCache {
  x: tf.Tensor2D;
  W: tf.Tensor2D;
}

/** out = x·W + b for x [N, D], W [D, M], b [M]; out [N, M]. */
export function affineForward(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D): { out: tf.Tensor2D; cache: AffineCache } {
  if (x.shape[1] !== W.shape[0]) {
    throw new InvalidInputError("x", `affine layer: input has ${x.shape[1]} features but W is [${W.shape.join(", ")}] (expects ${W.shape[0]})`);
  }
  // BEGIN SOLUTION affine-forward (1 pt)
  return { out: tf.add(tf.matMul(x, W), b) as tf.Tensor2D, cache: { x, W } };
  // END SOLUTION
}

/** Gradients of the affine layer: dx [N, D] (omitted for a first layer), dW [D, M], db [M]. */
export interface AffineGradients {
  dx?: tf.Tensor2D;
  dW: tf.Tensor2D;
  db: tf.Tensor1D;
}

/**
 * From dout [N, M]: dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ_rows dout. `needInput: false` skips dx (the
 * first layer's input is the data, whose gradient nobody uses; it is the largest product of a step).
 */
export function affineBackward(dout: tf.Tensor2D, cache: AffineCache, needInput = true): AffineGradients {
  // BEGIN SOLUTION affine-backward (2 pts)
  const dW = tf.matMul(cache.x, dout, true, false) as tf.Tensor2D;
  const db = tf.sum(dout, 0) as tf.Tensor1D;
  if (!needInput) return { dW, db };
  return { dx: tf.matMul(dout, cache.W, false, true) as tf.Tensor2D, dW, db };
  // END SOLUTION
}

/** What `affineReluBackward` needs: the affine cache and the ReLU's output (positive exactly where its input is). */
export interface AffineReluCache {
  affine: AffineCache;
  relu: ActivationCache;
}

/**
 * Affine then ReLU in one fused kernel, out = max(0, x·W + b), like the course's
 * `affine_relu_forward` convenience layer. One kernel call instead of three matters for small
 * batches, where each call's fixed overhead outweighs the arithmetic.
 */
export function affineReluForward(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D): { out: tf.Tensor2D; cache: AffineReluCache } {
  if (x.shape[1] !== W.shape[0]) {
    throw new InvalidInputError("x", `affine layer: input has ${x.shape[1]} features but W is [${W.shape.join(", ")}] (expects ${W.shape[0]})`);
  }
  const out = tf.fused.matMul({ a: x, b: W, bias: b, activation: "relu" }) as tf.Tensor2D;
  // step(out) = step(z) for ReLU, so the output stands in for the pre-activation.
  return { out, cache: { affine: { x, W }, relu: { z: out, a: out } } };
}

/** Backward of `affineReluForward`: ReLU's mask, then the affine gradients. */
export function affineReluBackward(dout: tf.Tensor2D, cache: AffineReluCache, needInput = true): AffineGradients {
  return affineBackward(reluBackward(dout, cache.relu), cache.affine, needInput);
}

// ---------------------------------------------------------------------------------------------
// Activations

/** The activations a network can use between its affine layers. */
export type ActivationName = "relu" | "leaky-relu" | "sigmoid" | "tanh" | "elu" | "gaussian" | "identity";
export const ACTIVATION_NAMES: readonly ActivationName[] = ["relu", "leaky-relu", "sigmoid", "tanh", "elu", "gaussian", "identity"];

/** What an activation's backward pass needs: its input z and/or its output a (same shape). */
export interface ActivationCache {
  z: tf.Tensor;
  a: tf.Tensor;
}

/** One element-wise activation a = g(z) with its derivative, as a forward/backward pair. */
export interface ActivationLayer {
  readonly name: ActivationName;
  forward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache };
  /** ∂L/∂z = ∂L/∂a ⊙ g'(z). */
  backward<T extends tf.Tensor>(dout: T, cache: ActivationCache): T;
}

/** ReLU: max(0, z); g' = 1 where z > 0, else 0 (the kink at 0 gets 0). */
export function reluForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {
  // BEGIN SOLUTION relu-forward (1 pt)
  const a = tf.relu(z) as T;
  return { out: a, cache: { z, a } };
  // END SOLUTION
}
/** ReLU's backward: ∂L/∂z = ∂L/∂a where z > 0, else 0. */
export function reluBackward<T extends tf.Tensor>(dout: T, cache: ActivationCache): T {
  // BEGIN SOLUTION relu-backward (1 pt)
  // The output a = max(0, z) is ≥ 0, so sign(a) is exactly the mask [z > 0].
  return tf.mul(dout, tf.sign(cache.a)) as T;
  // END SOLUTION
}

/** Leaky ReLU: max(αz, z) with α = 0.1 by default; g' = 1 where z > 0, else α. */
export function leakyReluForward<T extends tf.Tensor>(z: T, alpha = 0.1): { out: T; cache: ActivationCache } {
  const a = tf.leakyRelu(z, alpha) as T;
  return { out: a, cache: { z, a } };
}
export function leakyReluBackward<T extends tf.Tensor>(dout: T, cache: ActivationCache, alpha = 0.1): T {
  return tf.mul(dout, tf.step(cache.z, alpha)) as T;
}

/** Sigmoid σ(z) = 1 / (1 + e^{−z}); σ' = σ(1 − σ), from the cached output. */
export function sigmoidForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {
  const a = tf.sigmoid(z) as T;
  return { out: a, cache: { z, a } };
}
export function sigmoidBackward<T extends tf.Tensor>(dout: T, cache: ActivationCache): T {
  return tf.mul(dout, tf.mul(cache.a, tf.sub(1, cache.a))) as T;
}

/** tanh; tanh' = 1 − tanh², from the cached output. */
export function tanhForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {
  const a = tf.tanh(z) as T;
  return { out: a, cache: { z, a } };
}
export function tanhBackward<T extends tf.Tensor>(dout: T, cache: ActivationCache): T {
  return tf.mul(dout, tf.sub(1, tf.square(cache.a))) as T;
}

/** ELU (α = 1): z for z > 0, e^z − 1 otherwise; g' = 1 for z > 0, else e^z = a + 1. */
export function eluForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {
  const a = tf.elu(z) as T;
  return { out: a, cache: { z, a } };
}
export function eluBackward<T extends tf.Tensor>(dout: T, cache: ActivationCache): T {
  return tf.mul(dout, tf.where(tf.greater(cache.z, 0), tf.onesLike(cache.a), tf.add(cache.a, 1))) as T;
}

/** Gaussian e^{−z²/2}; g' = −z·e^{−z²/2} = −z·a. */
export function gaussianForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {
  const a = tf.exp(tf.mul(tf.square(z), -0.5)) as T;
  return { out: a, cache: { z, a } };
}
export function gaussianBackward<T extends tf.Tensor>(dout: T, cache: ActivationCache): T {
  return tf.mul(dout, tf.neg(tf.mul(cache.z, cache.a))) as T;
}

/** No activation: what a network becomes without non-linearity (one linear map in disguise). */
export function identityForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {
  return { out: z, cache: { z, a: z } };
}
export function identityBackward<T extends tf.Tensor>(dout: T, _cache: ActivationCache): T {
  return dout;
}

/** The activation layer of a given name (leaky ReLU with slope `alpha`, default 0.1). */
export function activationLayer(name: ActivationName, alpha = 0.1): ActivationLayer {
  switch (name) {
    case "relu":
      return { name, forward: reluForward, backward: reluBackward };
    case "leaky-relu":
      return { name, forward: (z) => leakyReluForward(z, alpha), backward: (d, c) => leakyReluBackward(d, c, alpha) };
    case "sigmoid":
      return { name, forward: sigmoidForward, backward: sigmoidBackward };
    case "tanh":
      return { name, forward: tanhForward, backward: tanhBackward };
    case "elu":
      return { name, forward: eluForward, backward: eluBackward };
    case "gaussian":
      return { name, forward: gaussianForward, backward: gaussianBackward };
    case "identity":
      return { name, forward: identityForward, backward: identityBackward };
    default:
      throw new InvalidInputError("activation", `unknown activation "${String(name)}"; use one of ${ACTIVATION_NAMES.join(", ")}`);
  }
}
