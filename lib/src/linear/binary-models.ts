/**
 * Binary linear classifiers in plain JavaScript (Float64), for tiny data such as the 2-D toy sets:
 * the perceptron, logistic regression and the binary SVM. All three learn a score z = w·x + b and
 * predict class 1 when z > 0; they differ only in the loss that moves w.
 *
 * Labels are 0/1 in the data. The perceptron and the SVM work with t = 2y − 1 ∈ {−1, +1}:
 *   perceptron   y' = sign(w·x + b) (−1 when z ≤ 0);  on each example  w ← w + α(t − y')x,  b ← b + α(t − y')
 *                (a no-op when right, ±2αx when wrong; converges iff the data are linearly separable)
 *   logistic     p = σ(z) = 1/(1 + e^{−z});  L = −(1/N)Σ[y log p + (1−y) log(1−p)] + λ‖w‖²;
 *                ∂L/∂w = (1/N)Σ(p − y)x + 2λw,  ∂L/∂b = (1/N)Σ(p − y)
 *   binary SVM   L = (1/N)Σ max(0, 1 − t·z) + λ‖w‖²;  each example inside the margin adds −t·x/N
 */
import type { ArrayBatch } from "../losses/losses.js";
import { accuracy } from "../eval/metrics.js";
import { permutation } from "../core/random.js";

/** w [D] and b of a binary linear classifier. */
export interface BinaryLinearModel {
  w: Float64Array;
  b: number;
}

/** Examples with 0/1 labels as plain arrays (an `Examples` fits): x row-major [N, D], y [N]. */
export type BinaryData = ArrayBatch;

function checkBinary(data: BinaryData): void {
  if (data.x.length !== data.n * data.d) throw new Error(`x has ${data.x.length} values, expected ${data.n}×${data.d}`);
  if (data.y.length !== data.n) throw new Error(`${data.y.length} labels for ${data.n} examples`);
  for (let i = 0; i < data.n; i++) {
    if (data.y[i] !== 0 && data.y[i] !== 1) throw new Error(`binary labels must be 0 or 1; y[${i}] = ${data.y[i]}`);
  }
  for (let k = 0; k < data.x.length; k++) {
    if (!Number.isFinite(data.x[k]!)) throw new Error(`x[${k}] = ${data.x[k]} is not a finite number`);
  }
}

function score(model: BinaryLinearModel, x: ArrayLike<number>, row: number, d: number): number {
  let z = model.b;
  for (let k = 0; k < d; k++) z += model.w[k]! * x[row * d + k]!;
  return z;
}

/** Scores z = w·x + b for every example [N]. */
export function binaryScores(model: BinaryLinearModel, data: { x: ArrayLike<number>; n: number; d: number }): Float64Array {
  if (model.w.length !== data.d) throw new Error(`model has ${model.w.length} weights but data ${data.d} features`);
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

/** Rosenblatt's perceptron, starting from w = 0, b = 0. */
export function perceptronTrain(data: BinaryData, options: PerceptronOptions = {}): PerceptronResult {
  checkBinary(data);
  const alpha = options.learningRate ?? 1;
  const maxEpochs = options.maxEpochs ?? 100;
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

/** log(1 + e^{−|z|}) + max(−z, 0) = −log σ(z), without overflow for large |z|. */
function negLogSigmoid(z: number): number {
  return Math.log1p(Math.exp(-Math.abs(z))) + Math.max(-z, 0);
}

/** σ(z) = 1/(1 + e^{−z}). */
export function logisticSigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Logistic regression by full-batch gradient descent on the binary cross-entropy. */
export function logisticRegressionTrain(data: BinaryData, options: BinaryGradientOptions = {}): BinaryGradientResult {
  checkBinary(data);
  return gradientDescent(data, options, 0, (z, y) => {
    // −[y log σ(z) + (1 − y) log(1 − σ(z))], using 1 − σ(z) = σ(−z); ∂/∂z = σ(z) − y
    const loss = y === 1 ? negLogSigmoid(z) : negLogSigmoid(-z);
    return { loss, dz: logisticSigmoid(z) - y };
  });
}

/** Binary (hinge-loss) SVM by full-batch subgradient descent. */
export function binarySvmTrain(data: BinaryData, options: BinaryGradientOptions = {}): BinaryGradientResult {
  checkBinary(data);
  return gradientDescent(data, options, 1e-3, (z, y) => {
    const t = 2 * y - 1;
    const margin = 1 - t * z;
    return margin > 0 ? { loss: margin, dz: -t } : { loss: 0, dz: 0 };
  });
}

function gradientDescent(
  data: BinaryData,
  options: BinaryGradientOptions,
  defaultReg: number,
  pointLoss: (z: number, y: number) => { loss: number; dz: number },
): BinaryGradientResult {
  const lr = options.learningRate ?? 0.1;
  const iterations = options.iterations ?? 1000;
  const lambda = options.reg ?? defaultReg;
  const { x, y, n, d } = data;
  const model: BinaryLinearModel = { w: new Float64Array(d), b: 0 };
  const dw = new Float64Array(d);
  const history: number[] = [];
  for (let it = 0; it < iterations; it++) {
    dw.fill(0);
    let db = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const { loss: li, dz } = pointLoss(score(model, x, i, d), y[i]!);
      loss += li;
      for (let k = 0; k < d; k++) dw[k] += dz * x[i * d + k]!;
      db += dz;
    }
    let penalty = 0;
    for (let k = 0; k < d; k++) {
      penalty += model.w[k]! * model.w[k]!;
      dw[k] = dw[k]! / n + 2 * lambda * model.w[k]!;
    }
    history.push(loss / n + lambda * penalty);
    for (let k = 0; k < d; k++) model.w[k] -= lr * dw[k]!;
    model.b -= (lr * db) / n;
  }
  return { model, loss: history };
}
