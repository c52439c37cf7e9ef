/**
 * Classification losses: the multiclass SVM (hinge) loss and the softmax cross-entropy loss.
 *
 * Two layers, so later models reuse the same code:
 * - loss FROM SCORES: `svmLossFromScores(scores [N, C], y) -> { loss, dScores }` (and softmax).
 *   A neural network calls these on its last layer's output and backpropagates `dScores`.
 * - loss OF A LINEAR MODEL: scores = XW + b, then the loss from scores, then dW = Xᵀ·dScores,
 *   db = Σ_rows dScores, plus the weight penalty λR(W) from regularizers.ts.
 * Each comes twice: NAIVE (explicit loops over examples and classes on Float64 arrays, for reading
 * and for checking) and VECTORISED (tfjs tensors, float32, for training). They agree to float32 precision.
 *
 * All data losses are means over the N examples: L = (1/N) Σ_i L_i + λR(W).
 *   SVM:      L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + Δ)
 *             ∂L_i/∂s_j = 1[margin_j > 0] (j ≠ y_i),  ∂L_i/∂s_{y_i} = −(number of violating classes)
 *   softmax:  L_i = −log( e^{s_{y_i}} / Σ_j e^{s_j} ),  ∂L_i/∂s_j = p_j − 1[j = y_i]
 * Softmax is computed after subtracting the row maximum from the scores: the probabilities are
 * unchanged but e^{s} can no longer overflow.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkLabels, checkOneOf, InvalidInputError } from "../core/checks.js";
import { addRegularizerNaive, noRegularizer, regularizerTerms, type Regularizer } from "./regularizers.js";

export type LinearLossKind = "svm" | "softmax";

/** The linear losses by name. */
export const LINEAR_LOSS_KINDS: readonly LinearLossKind[] = ["svm", "softmax"];

// ---------------------------------------------------------------------------------------------
// Shared input checks

/** Labels as an int32 tensor [N], checking their range when given as an array. */
export function labelTensor(y: tf.Tensor1D | Int32Array, numClasses: number): tf.Tensor1D {
  if (y instanceof tf.Tensor) {
    if (y.rank !== 1) throw new InvalidInputError("y", `labels must be a 1-D tensor, got shape [${y.shape.join(", ")}]`);
    return y.dtype === "int32" ? y : tf.cast(y, "int32");
  }
  checkLabels(y, numClasses);
  return tf.tensor1d(y, "int32");
}

// ---------------------------------------------------------------------------------------------
// Loss from scores: naive

/** Loss value and gradient with respect to the scores, as plain arrays. */
export interface ScoresLossNaive {
  loss: number;
  /** ∂loss/∂scores, row-major [N, C]. */
  dScores: Float64Array;
}

function checkScoresNaive(scores: ArrayLike<number>, n: number, c: number, y: ArrayLike<number>): void {
  if (scores.length !== n * c) throw new InvalidInputError("scores", `scores have ${scores.length} entries, expected N×C = ${n}×${c}`);
  if (y.length !== n) throw new InvalidInputError("y", `got ${y.length} labels for ${n} score rows`);
  checkLabels(y, c);
}

function checkDelta(delta: number): void {
  if (!(Number.isFinite(delta) && delta > 0)) throw new InvalidInputError("delta", `the SVM margin Δ must be a positive number, got ${delta}`);
}

/** Multiclass SVM loss (mean over rows) from scores [N, C] (row-major), with loops. */
export function svmLossFromScoresNaive(
  scores: ArrayLike<number>,
  n: number,
  c: number,
  y: ArrayLike<number>,
  delta = 1,
): ScoresLossNaive {
  checkScoresNaive(scores, n, c, y);
  checkDelta(delta);
  const dScores = new Float64Array(n * c);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const correct = scores[i * c + yi]!;
    for (let j = 0; j < c; j++) {
      if (j === yi) continue;
      const margin = scores[i * c + j]! - correct + delta;
      if (margin > 0) {
        loss += margin;
        dScores[i * c + j] += 1 / n;
        dScores[i * c + yi] -= 1 / n;
      }
    }
  }
  return { loss: loss / n, dScores };
}

/** Softmax cross-entropy loss (mean over rows) from scores [N, C] (row-major), with loops. */
export function softmaxLossFromScoresNaive(
  scores: ArrayLike<number>,
  n: number,
  c: number,
  y: ArrayLike<number>,
): ScoresLossNaive {
  checkScoresNaive(scores, n, c, y);
  const dScores = new Float64Array(n * c);
  const exps = new Float64Array(c);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, scores[i * c + j]!);
    let sum = 0;
    for (let j = 0; j < c; j++) {
      exps[j] = Math.exp(scores[i * c + j]! - max);
      sum += exps[j]!;
    }
    const yi = y[i]!;
    // −log p_y = log Σ e^{s_j − max} − (s_y − max): no log of a tiny probability.
    loss += Math.log(sum) - (scores[i * c + yi]! - max);
    for (let j = 0; j < c; j++) {
      dScores[i * c + j] = (exps[j]! / sum - (j === yi ? 1 : 0)) / n;
    }
  }
  return { loss: loss / n, dScores };
}

// ---------------------------------------------------------------------------------------------
// Loss from scores: vectorised

/** Loss (scalar) and ∂loss/∂scores [N, C] as tensors. The caller disposes both (or uses tf.tidy). */
export interface ScoresLoss {
  loss: tf.Scalar;
  dScores: tf.Tensor2D;
}

/** The labels as a float32 one-hot [N, C] matching `scores` [N, C], after checking both. Use in tf.tidy. */
function oneHotLabels(scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array): tf.Tensor2D {
  const labels = labelTensor(y, scores.shape[1]);
  if (scores.rank !== 2) throw new InvalidInputError("scores", `scores must be [N, C], got shape [${scores.shape.join(", ")}]`);
  if (labels.shape[0] !== scores.shape[0]) {
    throw new InvalidInputError("y", `got ${labels.shape[0]} labels for ${scores.shape[0]} score rows`);
  }
  // (the dtype argument of oneHot is ignored by the wasm kernel, hence the cast)
  return tf.cast(tf.oneHot(labels, scores.shape[1]), "float32") as tf.Tensor2D;
}

/**
 * Multiclass SVM loss from scores [N, C] and labels [N] (int32 tensor, or an Int32Array that is
 * range-checked). Labels given as a tensor are not range-checked (that would cost a device read
 * per call); an out-of-range label would silently count as "no correct class".
 */
export function svmLossFromScores(scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array, delta = 1): ScoresLoss {
  checkDelta(delta);
  return tf.tidy(() => {
    // BEGIN SOLUTION svm-loss-vectorized (3 pts)
    const n = scores.shape[0];
    const oneHot = oneHotLabels(scores, y);
    const correct = tf.sum(tf.mul(scores, oneHot), 1, true); // [N, 1]
    // max(0, s_j − s_y + Δ) for every j, including j = y_i, where it is exactly Δ (> 0): subtract
    // those N·Δ from the sum and the one-hot from the "violated" indicator instead of masking.
    const margins = tf.relu(tf.add(tf.sub(scores, correct), delta));
    const loss = tf.div(tf.sub(tf.sum(margins), n * delta), n) as tf.Scalar;
    const violated = tf.sub(tf.step(margins), oneHot);
    const violations = tf.sum(violated, 1, true); // [N, 1]
    const dScores = tf.mul(tf.sub(violated, tf.mul(oneHot, violations)), 1 / n) as tf.Tensor2D;
    return { loss, dScores };
    // END SOLUTION
  });
}

/** Softmax cross-entropy loss from scores [N, C] and labels [N] (stable: shifted by the row max). */
export function softmaxLossFromScores(scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array): ScoresLoss {
  return tf.tidy(() => {
    // BEGIN SOLUTION softmax-loss-vectorized (3 pts)
    const n = scores.shape[0];
    const oneHot = oneHotLabels(scores, y);
    const shifted = tf.sub(scores, tf.max(scores, 1, true));
    const logProbs = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true)));
    const loss = tf.div(tf.neg(tf.sum(tf.mul(logProbs, oneHot))), n) as tf.Scalar;
    const dScores = tf.div(tf.sub(tf.exp(logProbs), oneHot), n) as tf.Tensor2D;
    return { loss, dScores };
    // END SOLUTION
  });
}

/** Class probabilities softmax(scores) [N, C], computed stably. */
export function softmaxProbabilities(scores: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const shifted = tf.sub(scores, tf.max(scores, 1, true));
    const exps = tf.exp(shifted);
    return tf.div(exps, tf.sum(exps, 1, true)) as tf.Tensor2D;
  });
}

// ---------------------------------------------------------------------------------------------
// Linear model losses

/** Options shared by the linear-model losses. */
export interface LinearLossOptions {
  /** SVM margin Δ (default 1; ignored by softmax). */
  delta?: number;
  /** Weight penalty (default none). Never applied to biases. */
  reg?: Regularizer;
  /**
   * The bias trick: X already ends with a constant-1 column and the last row of W holds the biases,
   * so no separate `b` is given and that row is not regularised. Default false.
   */
  biasTrick?: boolean;
  /**
   * Where the vectorised linear loss turns scores [N, C] into loss and ∂L/∂scores: "backend"
   * (default; tensor ops, `svmLossFromScores`/`softmaxLossFromScores`) or "host" (download the
   * scores, run the loop versions in Float64, upload ∂L/∂scores). With C = 10 the scores are tiny,
   * and "host" replaces ~15 small tensor ops, each paying the backend's per-op overhead, by two
   * small copies: about twice as fast per mini-batch on the threaded wasm backend. The two big
   * matrix products stay on the backend either way.
   */
  scoresLossOn?: "backend" | "host";
}

/** Plain-array linear classifier: W row-major [D, C] (D+1 rows with the bias trick), b [C]. */
export interface LinearWeightsNaive {
  W: Float64Array;
  b?: Float64Array;
  /** Rows of W (input features, including the constant feature with the bias trick). */
  d: number;
  /** Classes C. */
  c: number;
}

/** Examples as plain arrays: x row-major [N, D], y [N]. An `Examples` object fits. */
export interface ArrayBatch {
  x: Float32Array | Float64Array;
  y: Int32Array;
  n: number;
  d: number;
}

/** Naive linear loss: value and gradients as Float64 arrays (`db` only when `b` was given). */
export interface LinearLossNaive {
  loss: number;
  dW: Float64Array;
  db?: Float64Array;
}

function checkNaiveInputs(weights: LinearWeightsNaive, batch: ArrayBatch, options: LinearLossOptions): void {
  const { W, b, d, c } = weights;
  if (W.length !== d * c) throw new InvalidInputError("W", `W has ${W.length} entries, expected D×C = ${d}×${c}`);
  if (batch.d !== d) {
    throw new InvalidInputError("x", `X has ${batch.d} features but W has ${d} rows` +
        (batch.d + 1 === d ? " (with the bias trick, append the constant-1 column to X first)" : ""),
    );
  }
  if (batch.x.length !== batch.n * batch.d) throw new InvalidInputError("x", `X has ${batch.x.length} entries, expected ${batch.n}×${batch.d}`);
  if (batch.y.length !== batch.n) throw new InvalidInputError("y", `got ${batch.y.length} labels for ${batch.n} examples`);
  if (b && b.length !== c) throw new InvalidInputError("b", `b has ${b.length} entries, expected C = ${c}`);
  if (b && options.biasTrick) throw new InvalidInputError("b", "with the bias trick the bias lives in W's last row; do not pass b too");
  checkLabels(batch.y, c);
}

/**
 * Multiclass SVM loss of a linear classifier, the classic way: loops over examples and classes.
 * For each example i and each class j ≠ y_i whose margin s_j − s_{y_i} + Δ is positive, the margin
 * is added to the loss, x_i is added to column j of dW and subtracted from column y_i.
 */
export function svmLossNaive(weights: LinearWeightsNaive, batch: ArrayBatch, options: LinearLossOptions = {}): LinearLossNaive {
  checkNaiveInputs(weights, batch, options);
  const { W, b, d, c } = weights;
  const { x, y, n } = batch;
  const delta = options.delta ?? 1;
  checkDelta(delta);
  // BEGIN SOLUTION svm-loss-naive (3 pts)
  const dW = new Float64Array(d * c);
  const db = b ? new Float64Array(c) : undefined;
  const scores = new Float64Array(c);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      let s = b ? b[j]! : 0;
      for (let k = 0; k < d; k++) s += x[i * d + k]! * W[k * c + j]!;
      scores[j] = s;
    }
    const yi = y[i]!;
    for (let j = 0; j < c; j++) {
      if (j === yi) continue;
      const margin = scores[j]! - scores[yi]! + delta;
      if (margin > 0) {
        loss += margin;
        for (let k = 0; k < d; k++) {
          dW[k * c + j] += x[i * d + k]!;
          dW[k * c + yi] -= x[i * d + k]!;
        }
        if (db) {
          db[j] += 1;
          db[yi] -= 1;
        }
      }
    }
  }
  return finishNaive(loss, dW, db, n, weights, options);
  // END SOLUTION
}

/**
 * Softmax cross-entropy loss of a linear classifier with loops: for each example, the probabilities
 * p_j = e^{s_j − max} / Σ e^{s_k − max}; loss −log p_{y_i}; column j of dW gets (p_j − 1[j = y_i])·x_i.
 */
export function softmaxLossNaive(weights: LinearWeightsNaive, batch: ArrayBatch, options: LinearLossOptions = {}): LinearLossNaive {
  checkNaiveInputs(weights, batch, options);
  const { W, b, d, c } = weights;
  const { x, y, n } = batch;
  // BEGIN SOLUTION softmax-loss-naive (3 pts)
  const dW = new Float64Array(d * c);
  const db = b ? new Float64Array(c) : undefined;
  const scores = new Float64Array(c);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) {
      let s = b ? b[j]! : 0;
      for (let k = 0; k < d; k++) s += x[i * d + k]! * W[k * c + j]!;
      scores[j] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(scores[j]! - max);
    const yi = y[i]!;
    loss += Math.log(sum) - (scores[yi]! - max);
    for (let j = 0; j < c; j++) {
      const g = Math.exp(scores[j]! - max) / sum - (j === yi ? 1 : 0);
      for (let k = 0; k < d; k++) dW[k * c + j] += g * x[i * d + k]!;
      if (db) db[j] += g;
    }
  }
  return finishNaive(loss, dW, db, n, weights, options);
  // END SOLUTION
}

/** Average over the N examples, then add the weight penalty (not on biases). */
function finishNaive(
  lossSum: number,
  dW: Float64Array,
  db: Float64Array | undefined,
  n: number,
  weights: LinearWeightsNaive,
  options: LinearLossOptions,
): LinearLossNaive {
  for (let k = 0; k < dW.length; k++) dW[k] /= n;
  if (db) for (let j = 0; j < db.length; j++) db[j] /= n;
  const penalty = addRegularizerNaive(weights.W, dW, weights.d, weights.c, options.reg ?? noRegularizer, options.biasTrick ?? false);
  return db ? { loss: lossSum / n + penalty, dW, db } : { loss: lossSum / n + penalty, dW };
}

/** Naive loss of either kind. */
export function linearLossNaive(kind: LinearLossKind, weights: LinearWeightsNaive, batch: ArrayBatch, options: LinearLossOptions = {}): LinearLossNaive {
  checkOneOf(kind, LINEAR_LOSS_KINDS, "loss");
  return kind === "svm" ? svmLossNaive(weights, batch, options) : softmaxLossNaive(weights, batch, options);
}

/** Tensor weights of a linear classifier: W [D, C] (D+1 rows with the bias trick), b [C]. */
export interface LinearParams {
  W: tf.Tensor2D;
  b?: tf.Tensor1D;
}

/** Vectorised linear loss: scalar loss, dW [D, C], db [C] (when `b` was given). Caller disposes. */
export interface LinearLossResult {
  loss: tf.Scalar;
  dW: tf.Tensor2D;
  db?: tf.Tensor1D;
}

/**
 * Vectorised loss of a linear classifier on X [N, D] and labels [N]: scores = XW + b, the loss from
 * scores, dW = Xᵀ·dScores, db = Σ_rows dScores, then the weight penalty.
 */
export function linearLossVectorized(
  kind: LinearLossKind,
  params: LinearParams,
  x: tf.Tensor2D,
  y: tf.Tensor1D | Int32Array,
  options: LinearLossOptions = {},
): LinearLossResult {
  checkOneOf(kind, LINEAR_LOSS_KINDS, "loss");
  const { W, b } = params;
  if (x.rank !== 2 || W.rank !== 2) throw new InvalidInputError("x", "X must be [N, D] and W [D, C]");
  if (x.shape[1] !== W.shape[0]) {
    throw new InvalidInputError("x", `X has ${x.shape[1]} features but W has ${W.shape[0]} rows` +
        (x.shape[1] + 1 === W.shape[0] ? " (with the bias trick, append the constant-1 column to X first)" : ""),
    );
  }
  if (b && b.shape[0] !== W.shape[1]) throw new InvalidInputError("b", `b has ${b.shape[0]} entries, expected C = ${W.shape[1]}`);
  if (b && options.biasTrick) throw new InvalidInputError("b", "with the bias trick the bias lives in W's last row; do not pass b too");
  return tf.tidy(() => {
    const scores = (b ? tf.add(tf.matMul(x, W), b) : tf.matMul(x, W)) as tf.Tensor2D;
    const fromScores = options.scoresLossOn === "host" ? scoresLossOnHost(kind, scores, y, options.delta ?? 1) :
      kind === "svm" ? svmLossFromScores(scores, y, options.delta ?? 1) : softmaxLossFromScores(scores, y);
    // dW = Xᵀ·dScores as a plain product with X transposed first. On the wasm backend
    // matMul(X, dScores, transposeA) takes the slow path (~10× slower), and (dScoresᵀ·X)ᵀ puts the
    // batch X in the operand XNNPACK packs and caches per tensor, which costs ~16 ms for every
    // new [2000, 784] batch; transposing X is ~7 ms and the product of [D, N]·[N, C] ~3 ms.
    const dW = tf.matMul(tf.transpose(x), fromScores.dScores) as tf.Tensor2D;
    const { penalty, grad } = regularizerTerms(W, options.reg ?? noRegularizer, options.biasTrick ?? false);
    const loss = tf.add(fromScores.loss, penalty) as tf.Scalar;
    const dWTotal = tf.add(dW, grad) as tf.Tensor2D;
    return b ? { loss, dW: dWTotal, db: tf.sum(fromScores.dScores, 0) as tf.Tensor1D } : { loss, dW: dWTotal };
  });
}

/**
 * The loss from scores computed by the loop versions on the host (see `scoresLossOn`): downloads the
 * scores [N, C], returns the loss and ∂L/∂scores as new tensors. Networks use it for their last layer too.
 */
export function scoresLossOnHost(kind: LinearLossKind, scores: tf.Tensor2D, y: tf.Tensor1D | Int32Array, delta: number): ScoresLoss {
  const [n, c] = scores.shape;
  const labels = y instanceof tf.Tensor ? (y.dataSync() as Int32Array) : y;
  const values = scores.dataSync() as Float32Array;
  const result = kind === "svm" ? svmLossFromScoresNaive(values, n, c, labels, delta) : softmaxLossFromScoresNaive(values, n, c, labels);
  return { loss: tf.scalar(result.loss), dScores: tf.tensor2d(Float32Array.from(result.dScores), [n, c]) };
}

/** Vectorised multiclass SVM loss of a linear classifier (see `linearLossVectorized`). */
export function svmLossVectorized(params: LinearParams, x: tf.Tensor2D, y: tf.Tensor1D | Int32Array, options: LinearLossOptions = {}): LinearLossResult {
  return linearLossVectorized("svm", params, x, y, options);
}

/** Vectorised softmax loss of a linear classifier (see `linearLossVectorized`). */
export function softmaxLossVectorized(params: LinearParams, x: tf.Tensor2D, y: tf.Tensor1D | Int32Array, options: LinearLossOptions = {}): LinearLossResult {
  return linearLossVectorized("softmax", params, x, y, options);
}
