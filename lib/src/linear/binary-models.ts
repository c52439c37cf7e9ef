/**
 * Binary linear classifiers for tiny data such as the 2-D toy sets: the perceptron, logistic
 * regression and the binary SVM. All three learn a score z = w·x + b and predict class 1 when
 * z > 0; they differ only in the rule that moves w. The perceptron's mistake-driven update runs on
 * plain numbers (Float64); logistic regression and the SVM are gradient descent on a loss, so they
 * are `TrainableModel`s trained by the same loop as every other model (training/).
 *
 * Labels are 0/1 in the data. The perceptron and the SVM work with t = 2y − 1 ∈ {−1, +1}:
 *   perceptron   y' = sign(w·x + b) (−1 when z ≤ 0);  on each example  w ← w + α(t − y')x,  b ← b + α(t − y')
 *                (a no-op when right, ±2αx when wrong; converges iff the data are linearly separable)
 *   logistic     p = σ(z) = 1/(1 + e^{−z});  L = −(1/N)Σ[y log p + (1−y) log(1−p)] + λ‖w‖²;
 *                ∂L/∂w = (1/N)Σ(p − y)x + 2λw,  ∂L/∂b = (1/N)Σ(p − y)
 *   binary SVM   L = (1/N)Σ max(0, 1 − t·z) + λ‖w‖²;  each example inside the margin adds −t·x/N
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Classifier } from "../core/model.js";
import type { Examples } from "../core/types.js";
import { checkExampleShape, checkFiniteValues, checkKnownOptions, checkOneOf, checkPositiveInteger, checkPositiveNumber, checkRegStrength, InvalidInputError } from "../core/checks.js";
import type { ArrayBatch } from "../losses/losses.js";
import { l2Regularizer, regularizerTerms } from "../losses/regularizers.js";
import { binaryCrossEntropyFromScores } from "../losses/network-losses.js";
import { GradientClassifier } from "../training/classifier.js";
import type { TrainOptions } from "../training/options.js";
import { accuracy } from "../eval/metrics.js";
import { permutation } from "../core/random.js";

/** w [D] and b of a binary linear classifier. */
export interface BinaryLinearModel {
  w: Float64Array;
  b: number;
}

/** Examples with 0/1 labels as plain arrays (an `Examples` fits): x row-major [N, D], y [N]. */
export type BinaryData = ArrayBatch;

/** Shapes and finite values as for any examples (Float64 allowed), and labels 0/1 only. */
function checkBinary(data: BinaryData): void {
  checkExampleShape(data, "training set");
  checkFiniteValues(data.x, "training set", data.d);
  for (let i = 0; i < data.n; i++) {
    if (data.y[i] !== 0 && data.y[i] !== 1) throw new InvalidInputError("y", `binary labels must be 0 or 1; y[${i}] = ${data.y[i]}`);
  }
}

function score(model: BinaryLinearModel, x: ArrayLike<number>, row: number, d: number): number {
  let z = model.b;
  for (let k = 0; k < d; k++) z += model.w[k]! * x[row * d + k]!;
  return z;
}

/** Scores z = w·x + b for every example [N]. */
export function binaryScores(model: BinaryLinearModel, data: { x: ArrayLike<number>; n: number; d: number }): Float64Array {
  if (model.w.length !== data.d) throw new InvalidInputError("data", `model has ${model.w.length} weights but data ${data.d} features`);
  const out = new Float64Array(data.n);
  for (let i = 0; i < data.n; i++) out[i] = score(model, data.x, i, data.d);
  return out;
}

/** Predicted 0/1 labels (1 when z > 0) [N]. */
export function binaryPredict(model: BinaryLinearModel, data: { x: ArrayLike<number>; n: number; d: number }): Int32Array {
  return Int32Array.from(binaryScores(model, data), (z) => (z > 0 ? 1 : 0));
}

/** Fraction of examples classified correctly. */
export function binaryAccuracy(model: BinaryLinearModel, data: BinaryData): number {
  return accuracy(data.y, binaryPredict(model, data));
}

// ---------------------------------------------------------------------------------------------

export interface PerceptronOptions {
  /** α (default 1; with w starting at 0 the scale of α does not change the decisions). */
  learningRate?: number;
  /** Stop after this many passes even if mistakes remain (default 100). */
  maxEpochs?: number;
  /** Seed for the example order of each epoch (default 0); `shuffle: false` keeps the data order. */
  seed?: number;
  shuffle?: boolean;
}

export interface PerceptronResult {
  model: BinaryLinearModel;
  /** Total weight updates (= mistakes made during training). */
  updates: number;
  /** Epochs run; when converged, the last one had no mistakes. */
  epochs: number;
  /** True when an epoch passed with no mistakes. */
  converged: boolean;
  /** Mistakes in each epoch. */
  mistakesPerEpoch: number[];
  /** Weights at the end of each epoch (for animating the boundary). */
  modelPerEpoch: BinaryLinearModel[];
}

const PERCEPTRON_OPTIONS = ["learningRate", "maxEpochs", "seed", "shuffle"] as const;

/** Rosenblatt's perceptron, starting from w = 0, b = 0. */
export function perceptronTrain(data: BinaryData, options: PerceptronOptions = {}): PerceptronResult {
  checkBinary(data);
  checkKnownOptions(options, PERCEPTRON_OPTIONS, "perceptron options");
  const alpha = options.learningRate ?? 1;
  const maxEpochs = options.maxEpochs ?? 100;
  checkPositiveNumber(alpha, "learningRate");
  checkPositiveInteger(maxEpochs, "maxEpochs");
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new InvalidInputError("seed", `seed must be an integer, got ${String(options.seed)}`);
  if (options.shuffle !== undefined && typeof options.shuffle !== "boolean") throw new InvalidInputError("shuffle", `shuffle must be true or false, got ${String(options.shuffle)}`);
  const { x, y, n, d } = data;
  const model: BinaryLinearModel = { w: new Float64Array(d), b: 0 };
  const mistakesPerEpoch: number[] = [];
  const modelPerEpoch: BinaryLinearModel[] = [];
  let updates = 0;
  let converged = false;
  for (let epoch = 0; epoch < maxEpochs && !converged; epoch++) {
    const order = options.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : permutation(n, (options.seed ?? 0) + epoch);
    let mistakes = 0;
    for (const i of order) {
      const t = 2 * y[i]! - 1;
      const predicted = score(model, x, i, d) > 0 ? 1 : -1;
      if (predicted !== t) {
        mistakes++;
        const step = alpha * (t - predicted);
        for (let k = 0; k < d; k++) model.w[k] += step * x[i * d + k]!;
        model.b += step;
      }
    }
    updates += mistakes;
    mistakesPerEpoch.push(mistakes);
    modelPerEpoch.push({ w: Float64Array.from(model.w), b: model.b });
    converged = mistakes === 0;
  }
  return { model, updates, epochs: mistakesPerEpoch.length, converged, mistakesPerEpoch, modelPerEpoch };
}

/** The perceptron as a `Classifier` (fit runs `perceptronTrain`; predict and score use the learned w, b). */
export class Perceptron implements Classifier<PerceptronOptions> {
  /** What the last `fit` recorded: mistakes per epoch, convergence, the model after each epoch. */
  history?: PerceptronResult;

  constructor(private readonly defaults: PerceptronOptions = {}) {}

  async fit(train: Examples, options: PerceptronOptions = {}): Promise<this & { history: PerceptronResult }> {
    this.history = perceptronTrain(train, { ...this.defaults, ...options });
    return this as this & { history: PerceptronResult };
  }

  async predict(x: Examples | Float32Array): Promise<Int32Array> {
    const model = this.model;
    const rows = x instanceof Float32Array ? x : x.x;
    const data = { x: rows, n: rows.length / model.w.length, d: model.w.length };
    if (!Number.isInteger(data.n)) throw new InvalidInputError("x", `x has ${rows.length} numbers, not a multiple of the ${model.w.length} features per example`);
    return binaryPredict(model, data);
  }

  async score(examples: Examples): Promise<number> {
    return binaryAccuracy(this.model, examples);
  }

  /** The perceptron holds no tensors: nothing to free. */
  dispose(): void {}

  /** The learned w and b. */
  get model(): BinaryLinearModel {
    if (!this.history) throw new InvalidInputError("model", "the perceptron has not been trained: call fit(examples) first");
    return this.history.model;
  }
}

// ---------------------------------------------------------------------------------------------

export interface BinaryGradientOptions {
  /** Step size of full-batch gradient descent (default 0.1). */
  learningRate?: number;
  /** Gradient-descent steps (default 1000). */
  iterations?: number;
  /** λ of the L2 penalty λ‖w‖² (default 0 for logistic regression, 1e-3 for the SVM). */
  reg?: number;
}

export interface BinaryGradientResult {
  model: BinaryLinearModel;
  /** Loss before each step. */
  loss: number[];
}

/** σ(z) = 1/(1 + e^{−z}). */
export function logisticSigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The binary models trained by gradient descent (the perceptron has its own rule: perceptronTrain). */
const BINARY_GRADIENT_KINDS = ["logistic", "svm"] as const;

/**
 * Logistic regression or the binary SVM as a `TrainableModel`: parameters w [D, 1] and b [1],
 * scores [N, 2] = [0, z] so that argmax picks class 1 exactly when z = w·x + b > 0. Trained by
 * the same loop as every other model (`trainModel`), full batch.
 *   logistic: L = (1/N)Σ −[y log σ(z) + (1−y) log(1−σ(z))] + λ‖w‖²,  ∂L/∂z_i = (σ(z_i) − y_i)/N
 *   SVM:      L = (1/N)Σ max(0, 1 − t·z) + λ‖w‖²,                  ∂L/∂z_i = −t_i/N inside the margin
 * and ∂L/∂w = Xᵀ ∂L/∂z + 2λw, ∂L/∂b = Σ_i ∂L/∂z_i.
 */
export class BinaryLinearClassifier extends GradientClassifier {
  readonly numClasses = 2;
  readonly numFeatures: number;
  /** w [D, 1] and b [1]. */
  readonly params: { w: tf.Variable; b: tf.Variable };

  constructor(
    readonly kind: "logistic" | "svm",
    numFeatures: number,
    /** λ of the L2 penalty λ‖w‖². */
    readonly reg: number,
    training: Partial<TrainOptions> = {},
  ) {
    // The perceptron is not trained by gradient descent: it has its own class and function.
    checkOneOf(kind, BINARY_GRADIENT_KINDS, "kind");
    checkPositiveInteger(numFeatures, "numFeatures");
    checkRegStrength(reg);
    super({ ...BINARY_TRAINING, ...training });
    this.numFeatures = numFeatures;
    // in a tidy: the zeros a variable starts from would otherwise stay behind as tensors of their own
    this.params = tf.tidy(() => ({
      w: tf.variable(tf.zeros([numFeatures, 1]), true, undefined, "float32"),
      b: tf.variable(tf.zeros([1]), true, undefined, "float32"),
    }));
  }

  /** z = x·w + b [N, 1]. */
  private z(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.params.w), this.params.b);
  }

  lossAndGrads(x: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const { w } = this.params;
    const reg = this.reg;
    return tf.tidy(() => {
      const n = x.shape[0];
      const zs = this.z(x);
      let dataLoss: tf.Scalar;
      let dz: tf.Tensor;
      if (this.kind === "logistic") {
        // binary cross-entropy of σ(z), the network's loss of the same name: (1/N)Σ BCE, ∂/∂z = (σ(z) − y)/N
        ({ loss: dataLoss, dScores: dz } = binaryCrossEntropyFromScores(zs, y));
      } else {
        const t = tf.sub(tf.mul(2, tf.reshape(tf.cast(y, "float32"), [n, 1])), 1);
        const margin = tf.sub(1, tf.mul(t, zs));
        dataLoss = tf.mean(tf.relu(margin));
        dz = tf.div(tf.mul(tf.neg(t), tf.cast(tf.greater(margin, 0), "float32")), n);
      }
      const penalty = regularizerTerms(w as tf.Tensor2D, l2Regularizer(reg)); // λ‖w‖², 2λw
      const loss = tf.add(dataLoss, penalty.penalty) as tf.Scalar;
      const dw = tf.add(tf.matMul(x, dz, true, false), penalty.grad);
      const db = tf.reshape(tf.sum(dz), [1]);
      return { loss, grads: { w: dw, b: db } };
    });
  }

  /** [N, 2] = [0, z], so that argmax picks class 1 exactly when z > 0. */
  scores(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const zs = this.z(x);
      return tf.concat([tf.zerosLike(zs), zs], 1) as tf.Tensor2D;
    });
  }
}

/** `new BinaryLinearClassifier(kind, numFeatures, reg, training)`, for code written against the factory. */
export function createBinaryLinearModel(
  kind: "logistic" | "svm",
  numFeatures: number,
  reg: number,
  training: Partial<TrainOptions> = {},
): BinaryLinearClassifier {
  return new BinaryLinearClassifier(kind, numFeatures, reg, training);
}

/** Full-batch gradient descent, quietly: what `fit` does unless told otherwise. */
const BINARY_TRAINING: TrainOptions = { learningRate: 0.1, iterations: 1000, batchSize: 0, printEvery: 0, trainAccuracySample: 0 };

async function trainBinary(kind: "logistic" | "svm", data: BinaryData, options: BinaryGradientOptions, defaultReg: number): Promise<BinaryGradientResult> {
  checkBinary(data);
  checkKnownOptions(options, ["learningRate", "iterations", "reg"], `${kind === "svm" ? "binary SVM" : "logistic regression"} options`);
  const model = createBinaryLinearModel(kind, data.d, options.reg ?? defaultReg);
  try {
    const { history } = await model.fit(
      { x: Float32Array.from(data.x), y: Int32Array.from(data.y), n: data.n, d: data.d },
      { learningRate: options.learningRate ?? BINARY_TRAINING.learningRate, iterations: options.iterations ?? BINARY_TRAINING.iterations },
    );
    return {
      model: { w: Float64Array.from(model.params.w!.dataSync()), b: model.params.b!.dataSync()[0]! },
      loss: history.loss,
    };
  } finally {
    model.dispose();
  }
}

/** Logistic regression by full-batch gradient descent on the binary cross-entropy. */
export function logisticRegressionTrain(data: BinaryData, options: BinaryGradientOptions = {}): Promise<BinaryGradientResult> {
  return trainBinary("logistic", data, options, 0);
}

/** Binary (hinge-loss) SVM by full-batch subgradient descent. */
export function binarySvmTrain(data: BinaryData, options: BinaryGradientOptions = {}): Promise<BinaryGradientResult> {
  return trainBinary("svm", data, options, 1e-3);
}
