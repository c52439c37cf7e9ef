/**
 * Weight penalties R(W) for linear models and networks, added to the data loss as λR(W).
 *
 * Exact formulas used everywhere in this library (no ½ in front of L2):
 *   L2            R = λ Σ W²                  ∂R/∂W = 2λW
 *   L1            R = λ Σ |W|                 ∂R/∂W = λ·sign(W)      (sign(0) = 0)
 *   elastic net   R = λ Σ (β W² + |W|)        ∂R/∂W = λ(2βW + sign(W))
 * Only weights are penalised, never biases: with the bias trick the last row of W holds the
 * biases, so callers pass `skipLastRow` and that row gets neither penalty nor gradient.
 * Why penalise at all: W and 2W give the same SVM predictions (and zero loss once margins are met);
 * the penalty picks the smaller, smoother weights, which generalise better.
 */
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";

export type RegularizerKind = "none" | "l2" | "l1" | "elastic";

/** A weight penalty: kind, strength λ and (elastic net only) the mix β. */
export interface Regularizer {
  kind: RegularizerKind;
  /** λ ≥ 0. */
  strength: number;
  /** β ≥ 0, weight of the squared term in the elastic net (ignored otherwise). */
  beta?: number;
}

export const noRegularizer: Regularizer = { kind: "none", strength: 0 };
/** λ Σ W². */
export function l2Regularizer(strength: number): Regularizer {
  return checkRegularizer({ kind: "l2", strength });
}
/** λ Σ |W|. */
export function l1Regularizer(strength: number): Regularizer {
  return checkRegularizer({ kind: "l1", strength });
}
/** λ Σ (β W² + |W|). */
export function elasticNetRegularizer(strength: number, beta = 0.5): Regularizer {
  return checkRegularizer({ kind: "elastic", strength, beta });
}

/** Throws on a negative or non-finite strength or an unknown kind; returns the same object. */
export function checkRegularizer(reg: Regularizer): Regularizer {
  if (!["none", "l2", "l1", "elastic"].includes(reg.kind)) {
    throw new InvalidInputError("reg", `unknown regularizer kind "${reg.kind}"; use none, l2, l1 or elastic`);
  }
  if (!Number.isFinite(reg.strength) || reg.strength < 0) {
    throw new InvalidInputError("reg", `regularization strength must be a finite number ≥ 0, got ${reg.strength}`);
  }
  if (reg.kind === "elastic" && (reg.beta === undefined || !Number.isFinite(reg.beta) || reg.beta < 0)) {
    throw new InvalidInputError("reg", `elastic net needs beta ≥ 0, got ${reg.beta}`);
  }
  return reg;
}

/** "L2 λ=1e-4" style label for tables and plots. */
export function describeRegularizer(reg: Regularizer): string {
  if (reg.kind === "none" || reg.strength === 0) return "none";
  const name = reg.kind === "elastic" ? `elastic β=${reg.beta}` : reg.kind.toUpperCase();
  return `${name} λ=${reg.strength.toExponential(0)}`;
}

/**
 * Plain-array penalty: returns λR(W) and ADDS ∂(λR)/∂W into `dW` (same layout as `W`).
 * `W` is row-major [rows, cols]; with `skipLastRow` the last row (the bias) is left alone.
 */
export function addRegularizerNaive(
  W: ArrayLike<number>,
  dW: Float64Array,
  rows: number,
  cols: number,
  reg: Regularizer,
  skipLastRow = false,
): number {
  checkRegularizer(reg);
  if (W.length !== rows * cols || dW.length !== rows * cols) {
    throw new InvalidInputError("W", `addRegularizerNaive: W has ${W.length} and dW ${dW.length} entries, expected ${rows}×${cols}`);
  }
  if (reg.kind === "none" || reg.strength === 0) return 0;
  const lambda = reg.strength;
  const beta = reg.beta ?? 0;
  const end = (skipLastRow ? rows - 1 : rows) * cols;
  let penalty = 0;
  for (let k = 0; k < end; k++) {
    const w = W[k]!;
    const sign = w > 0 ? 1 : w < 0 ? -1 : 0;
    if (reg.kind === "l2") {
      penalty += w * w;
      dW[k] += 2 * lambda * w;
    } else if (reg.kind === "l1") {
      penalty += Math.abs(w);
      dW[k] += lambda * sign;
    } else {
      penalty += beta * w * w + Math.abs(w);
      dW[k] += lambda * (2 * beta * w + sign);
    }
  }
  return lambda * penalty;
}

/**
 * Tensor penalty for W [rows, cols]: `{ penalty: λR(W) (scalar), grad: ∂(λR)/∂W [rows, cols] }`.
 * With `skipLastRow` the last row (the bias under the bias trick) gets zero penalty and gradient.
 * Returns new tensors; call inside `tf.tidy` or dispose them.
 */
export function regularizerTerms(
  W: tf.Tensor2D,
  reg: Regularizer,
  skipLastRow = false,
): { penalty: tf.Scalar; grad: tf.Tensor2D } {
  checkRegularizer(reg);
  return tf.tidy(() => {
    if (reg.kind === "none" || reg.strength === 0) {
      return { penalty: tf.scalar(0), grad: tf.zerosLike(W) };
    }
    const [rows, cols] = W.shape;
    const weights = skipLastRow ? tf.slice(W, [0, 0], [rows - 1, cols]) : W;
    const lambda = reg.strength;
    let penalty: tf.Scalar;
    let grad: tf.Tensor2D;
    if (reg.kind === "l2") {
      penalty = tf.mul(lambda, tf.sum(tf.square(weights)));
      grad = tf.mul(2 * lambda, weights);
    } else if (reg.kind === "l1") {
      penalty = tf.mul(lambda, tf.sum(tf.abs(weights)));
      grad = tf.mul(lambda, tf.sign(weights));
    } else {
      const beta = reg.beta ?? 0;
      penalty = tf.mul(lambda, tf.add(tf.mul(beta, tf.sum(tf.square(weights))), tf.sum(tf.abs(weights))));
      grad = tf.mul(lambda, tf.add(tf.mul(2 * beta, weights), tf.sign(weights)));
    }
    if (skipLastRow) grad = tf.concat([grad, tf.zeros([1, cols])], 0);
    return { penalty, grad };
  });
}
