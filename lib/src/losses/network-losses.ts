/**
 * Losses from scores for neural networks: the network's last layer gives scores [N, C], a loss turns
 * them into a number and ∂L/∂scores [N, C], and backpropagation starts from there.
 *
 * The multiclass SVM and softmax cross-entropy are the linear classifier's own (losses.ts); this
 * module adds, with y [N] turned into one-hot targets t [N, C]:
 *   mean squared error:    L = (1/N) Σ_i ½‖s_i − t_i‖²,                  ∂L/∂s = (s − t) / N
 *   binary cross-entropy:  p = σ(s),  L = −(1/N) Σ_i Σ_j [t log p + (1 − t) log(1 − p)],
 *                          ∂L/∂s = (p − t) / N
 * Binary cross-entropy treats every score as an independent yes/no logit. With a single output
 * (C = 1) the label itself (0 or 1) is the target: the classic binary logistic loss.
 * It is computed from the logits as max(s, 0) − s·t + log(1 + e^{−|s|}), which never takes log 0.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkOneOf, InvalidInputError } from "../core/checks.js";
import { labelTensor, scoresLossOnHost, softmaxLossFromScores, svmLossFromScores, type ScoresLoss } from "./losses.js";

/** The losses a network can be trained with. */
export type NetworkLossKind = "svm" | "softmax" | "mse" | "bce";
export const NETWORK_LOSS_KINDS: readonly NetworkLossKind[] = ["svm", "softmax", "mse", "bce"];

/** Targets [N, C] for scores [N, C]: one-hot rows, or for a single column the labels (0/1) themselves. */
function targets(scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array): tf.Tensor2D {
  if (scores.rank !== 2) throw new InvalidInputError("scores", `scores must be [N, C], got shape [${scores.shape.join(", ")}]`);
  const [n, c] = scores.shape;
  const labels = labelTensor(y, Math.max(c, 2));
  if (labels.shape[0] !== n) throw new InvalidInputError("labels", `got ${labels.shape[0]} labels for ${n} score rows`);
  if (c === 1) return tf.reshape(tf.cast(labels, "float32"), [n, 1]);
  return tf.cast(tf.oneHot(labels, c), "float32") as tf.Tensor2D;
}

/** Mean squared error between scores [N, C] and one-hot targets (see the header for the formula). */
export function mseLossFromScores(scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array): ScoresLoss {
  return tf.tidy(() => {
    const n = scores.shape[0];
    const diff = tf.sub(scores, targets(scores, y));
    const loss = tf.div(tf.sum(tf.square(diff)), 2 * n) as tf.Scalar;
    return { loss, dScores: tf.div(diff, n) as tf.Tensor2D };
  });
}

/** Binary cross-entropy of sigmoid(scores) [N, C] against one-hot targets, or labels 0/1 when C = 1. */
export function binaryCrossEntropyFromScores(scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array): ScoresLoss {
  return tf.tidy(() => {
    const n = scores.shape[0];
    const t = targets(scores, y);
    const perEntry = tf.add(tf.sub(tf.relu(scores), tf.mul(scores, t)), tf.log1p(tf.exp(tf.neg(tf.abs(scores)))));
    const loss = tf.div(tf.sum(perEntry), n) as tf.Scalar;
    return { loss, dScores: tf.div(tf.sub(tf.sigmoid(scores), t), n) as tf.Tensor2D };
  });
}

export interface NetworkLossOptions {
  /** SVM margin Δ (default 1). */
  delta?: number;
  /**
   * "backend" (default) or "host": the SVM and softmax losses of the tiny [N, C] scores computed on
   * the host in Float64 (see `LinearLossOptions.scoresLossOn`; saves ~15 small kernels per step).
   * MSE and cross-entropy always run on the backend. Only the backend route can be differentiated
   * by `tf.grad`.
   */
  scoresLossOn?: "backend" | "host";
}

/** Loss and ∂L/∂scores of the named kind, for scores [N, C] and labels [N]. */
export function networkLossFromScores(
  kind: NetworkLossKind,
  scores: tf.Tensor2D,
  y: tf.Tensor1D | Int32Array,
  options: NetworkLossOptions = {},
): ScoresLoss {
  checkOneOf(kind, NETWORK_LOSS_KINDS, "loss");
  if (kind === "svm" || kind === "softmax") {
    if (options.scoresLossOn === "host") return scoresLossOnHost(kind, scores, y, options.delta ?? 1);
    return kind === "svm" ? svmLossFromScores(scores, y, options.delta ?? 1) : softmaxLossFromScores(scores, y);
  }
  return kind === "mse" ? mseLossFromScores(scores, y) : binaryCrossEntropyFromScores(scores, y);
}
