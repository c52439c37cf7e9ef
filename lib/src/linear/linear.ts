/**
 * Linear classifier: scores f(X) = XW + b for X [N, D], W [D, C], b [C]; prediction = argmax.
 *
 * The bias trick: append a constant-1 feature to every example, so X becomes [N, D+1] and W [D+1, C]
 * with the biases as its last row; then f(X) = XW, one matrix instead of two. Both forms are supported;
 * `createLinearClassifier` builds a trainable model (for `trainModel` in train.ts) around the losses
 * of losses.ts. Row j of Wᵀ (column j of W) is class j's "template": reshaped to 28×28 it shows
 * which pixels push an image towards that class.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "../core/random.js";
import {
  linearLossVectorized,
  LINEAR_LOSS_KINDS,
  type ArrayBatch,
  type LinearLossKind,
  type LinearParams,
  type LinearWeightsNaive,
} from "../losses/losses.js";
import { checkRegularizer, noRegularizer, type Regularizer } from "../losses/regularizers.js";
import { checkFiniteNumber, checkOneOf, InvalidInputError } from "../core/checks.js";
import { GradientClassifier } from "../training/classifier.js";
import type { TrainOptions } from "../training/options.js";

/** What `fit` uses when neither the model's options nor the call say otherwise. */
const DEFAULT_LINEAR_TRAINING: TrainOptions = { learningRate: 0.01, batchSize: 200, epochs: 10 };

// ---------------------------------------------------------------------------------------------
// Bias trick

/** X [N, D] -> [N, D+1] with a last column of ones. */
export function appendBiasColumn(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([x, tf.ones([x.shape[0], 1])], 1) as tf.Tensor2D);
}

/** Examples with one more feature, the constant 1 (x becomes [N, D+1]). */
export function appendBiasFeature<T extends ArrayBatch>(examples: T): T {
  const { n, d } = examples;
  const out = examples.x instanceof Float64Array ? new Float64Array(n * (d + 1)) : new Float32Array(n * (d + 1));
  for (let i = 0; i < n; i++) {
    out.set(examples.x.subarray(i * d, (i + 1) * d), i * (d + 1));
    out[i * (d + 1) + d] = 1;
  }
  return { ...examples, x: out, d: d + 1 };
}

// ---------------------------------------------------------------------------------------------
// Scores and predictions

/** Scores XW (+ b) [N, C]. */
export function linearScores(x: tf.Tensor2D, params: LinearParams): tf.Tensor2D {
  if (x.shape[1] !== params.W.shape[0]) {
    throw new InvalidInputError("X", `X has ${x.shape[1]} features but W has ${params.W.shape[0]} rows`);
  }
  return tf.tidy(() => (params.b ? tf.add(tf.matMul(x, params.W), params.b) : tf.matMul(x, params.W)) as tf.Tensor2D);
}

/** Predicted classes argmax_j (XW + b)_j, [N]. */
export function linearPredict(x: tf.Tensor2D, params: LinearParams): Int32Array {
  const labels = tf.tidy(() => tf.argMax(linearScores(x, params), 1));
  const out = labels.dataSync() as Int32Array;
  labels.dispose();
  return Int32Array.from(out);
}

/** Scores with loops, row-major [N, C]: s_ij = b_j + Σ_k x_ik W_kj. */
export function linearScoresNaive(weights: LinearWeightsNaive, batch: ArrayBatch): Float64Array {
  const { W, b, d, c } = weights;
  if (batch.d !== d) throw new InvalidInputError("X", `X has ${batch.d} features but W has ${d} rows`);
  const scores = new Float64Array(batch.n * c);
  for (let i = 0; i < batch.n; i++) {
    for (let j = 0; j < c; j++) {
      let s = b ? b[j]! : 0;
      for (let k = 0; k < d; k++) s += batch.x[i * d + k]! * W[k * c + j]!;
      scores[i * c + j] = s;
    }
  }
  return scores;
}

/** argmax of each row of row-major scores [N, C]. */
export function argmaxRows(scores: ArrayLike<number>, n: number, c: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (scores[i * c + j]! > scores[i * c + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** Small random weights W ~ scale·N(0, 1) [d, c] as a Float64Array (seeded). */
export function randomWeightsArray(d: number, c: number, seed: number, scale = 1e-3): Float64Array {
  const rng = createRng(seed);
  const W = new Float64Array(d * c);
  for (let k = 0; k < W.length; k++) W[k] = scale * rng.normal();
  return W;
}

// ---------------------------------------------------------------------------------------------
// Trainable linear classifier

export interface LinearClassifierOptions {
  /** Input features D (784 for MNIST), without the constant feature. */
  inputDim: number;
  /** Classes C. */
  numClasses: number;
  /** "svm" (hinge) or "softmax" (cross-entropy). */
  loss: LinearLossKind;
  /** Weight penalty (default none); biases are never penalised. */
  reg?: Regularizer;
  /** SVM margin Δ (default 1). */
  delta?: number;
  /** Use the bias trick (W [D+1, C], no separate b). Default false: W [D, C] and b [C]. */
  biasTrick?: boolean;
  /** Initial weights are weightScale·N(0, 1) (default 1e-3); biases start at 0. */
  weightScale?: number;
  /** Seed for the initial weights (default 0). */
  seed?: number;
  /** Where the loss from scores is computed during training (see `LinearLossOptions.scoresLossOn`). */
  scoresLossOn?: "backend" | "host";
  /**
   * What `fit` trains with unless a call says otherwise (default: learning rate 0.01, batch 200,
   * 10 epochs, plain SGD; see `TrainOptions`).
   */
  training?: Partial<TrainOptions>;
}

/**
 * A linear classifier with trainable variables, small random weights (seeded) and zero biases: a
 * `TrainableModel` (so `trainModel` drives it) and a `Classifier`
 * (`await model.fit(train)`, `model.history`, `await model.predict(x)`, `await model.score(test)`).
 */
export class LinearClassifier extends GradientClassifier {
  readonly kind: LinearLossKind;
  readonly options: Readonly<LinearClassifierOptions>;
  readonly numClasses: number;
  readonly numFeatures: number;
  /** "W" [D, C] (or [D+1, C] with the bias trick) and, without the bias trick, "b" [C]. */
  readonly params: Record<string, tf.Variable>;
  private readonly reg: Regularizer;
  private readonly biasTrick: boolean;

  constructor(options: LinearClassifierOptions) {
    const { inputDim: d, numClasses: c } = options;
    checkOneOf(options.loss, LINEAR_LOSS_KINDS, "loss");
    if (!Number.isInteger(d) || d <= 0 || !Number.isInteger(c) || c < 2) {
      throw new InvalidInputError("inputDim", `a linear classifier needs inputDim ≥ 1 and numClasses ≥ 2, got ${d} and ${c}`);
    }
    if (options.weightScale !== undefined) {
      checkFiniteNumber(options.weightScale, "weightScale");
      if (options.weightScale < 0) throw new InvalidInputError("weightScale", `weightScale (the spread of the first random weights) must be ≥ 0, got ${options.weightScale}`);
    }
    if (options.seed !== undefined) checkFiniteNumber(options.seed, "seed");
    const reg = checkRegularizer(options.reg ?? noRegularizer);
    super({ ...DEFAULT_LINEAR_TRAINING, ...options.training });
    this.kind = options.loss;
    this.options = { ...options };
    this.numClasses = c;
    this.numFeatures = d;
    this.reg = reg;
    this.biasTrick = options.biasTrick ?? false;
    const rows = this.biasTrick ? d + 1 : d;
    const init = randomWeightsArray(rows, c, options.seed ?? 0, options.weightScale ?? 1e-3);
    if (this.biasTrick) init.fill(0, d * c); // the bias row starts at zero like a separate b would
    this.params = { W: tf.tidy(() => tf.variable(tf.tensor2d(Float32Array.from(init), [rows, c]), true)) };
    if (!this.biasTrick) this.params.b = tf.tidy(() => tf.variable(tf.zeros([c]), true));
  }

  private current(): LinearParams {
    const W = this.params.W as tf.Variable<tf.Rank.R2>;
    return this.biasTrick ? { W } : { W, b: this.params.b as tf.Variable<tf.Rank.R1> };
  }

  private withOnes(x: tf.Tensor2D): tf.Tensor2D {
    if (x.shape[1] !== this.numFeatures) {
      throw new InvalidInputError("x", `expected inputs with ${this.numFeatures} features, got [${x.shape.join(", ")}]`);
    }
    return this.biasTrick ? appendBiasColumn(x) : x;
  }

  lossAndGrads(x: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    return tf.tidy(() => {
      const result = linearLossVectorized(this.kind, this.current(), this.withOnes(x), y, {
        reg: this.reg,
        delta: this.options.delta ?? 1,
        biasTrick: this.biasTrick,
        scoresLossOn: this.options.scoresLossOn ?? "backend",
      });
      const grads: Record<string, tf.Tensor> = { W: result.dW };
      if (result.db) grads.b = result.db;
      return { loss: result.loss, grads };
    });
  }

  scores(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => linearScores(this.withOnes(x), this.current()));
  }

  /** Class templates: the weights without the bias row, row-major [D, C] (column j = class j). */
  weights(): Float32Array {
    const all = this.params.W!.dataSync() as Float32Array;
    return Float32Array.from(all.subarray(0, this.numFeatures * this.numClasses));
  }

  /** The biases [C] (last row of W with the bias trick). */
  biases(): Float32Array {
    if (this.biasTrick) return Float32Array.from((this.params.W!.dataSync() as Float32Array).subarray(this.numFeatures * this.numClasses));
    return Float32Array.from(this.params.b!.dataSync() as Float32Array);
  }
}

/** `new LinearClassifier(options)`, for code written against the factory. */
export function createLinearClassifier(options: LinearClassifierOptions): LinearClassifier {
  return new LinearClassifier(options);
}
