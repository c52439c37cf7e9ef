/**
 * Optimisation strategies compared on one loss landscape, as in the classic course progression:
 *   1. random search: try many random W, keep the best (no sense of direction at all);
 *   2. random local search: from the current W, try a random small step; keep it if the loss drops;
 *   3. gradient descent: step along −∇L, the direction of steepest descent, every time.
 * Each returns its loss trace (one value per iteration) so a notebook can plot them together; with an
 * equal budget of iterations, following the gradient wins by far.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "./random.js";
import type { Examples } from "./types.js";
import { linearLossVectorized, labelTensor, type LinearLossKind } from "./losses.js";
import { appendBiasColumn } from "./linear.js";
import { noRegularizer, type Regularizer } from "./regularizers.js";

/** A loss over a weight matrix W [rows, cols], e.g. a linear classifier's loss on fixed data. */
export interface WeightSearchProblem {
  readonly rows: number;
  readonly cols: number;
  /** Loss at W. */
  loss(W: tf.Tensor2D): number;
  /** Loss and gradient at W; the caller disposes `dW`. */
  lossAndGrad(W: tf.Tensor2D): { loss: number; dW: tf.Tensor2D };
  /** Accuracy of W's predictions on the problem's data. */
  accuracy(W: tf.Tensor2D): number;
  /** Frees the data tensors. */
  dispose(): void;
}

/**
 * The loss of a linear classifier (bias trick: W is [D+1, C]) on fixed examples, as a search problem.
 * The constant-1 feature is appended here; the bias row is not regularised.
 */
export function linearSearchProblem(
  kind: LinearLossKind,
  examples: Examples,
  options: { numClasses?: number; reg?: Regularizer; delta?: number } = {},
): WeightSearchProblem {
  const numClasses = options.numClasses ?? Math.max(...examples.y) + 1;
  const x = tf.tidy(() => appendBiasColumn(tf.tensor2d(examples.x, [examples.n, examples.d])));
  const y = labelTensor(examples.y, numClasses);
  const lossOptions = { reg: options.reg ?? noRegularizer, delta: options.delta ?? 1, biasTrick: true };
  const evaluate = (W: tf.Tensor2D) => linearLossVectorized(kind, { W }, x, y, lossOptions);
  return {
    rows: examples.d + 1,
    cols: numClasses,
    loss: (W) =>
      tf.tidy(() => {
        const r = evaluate(W);
        return r.loss.dataSync()[0]!;
      }),
    lossAndGrad: (W) => {
      const r = evaluate(W);
      const loss = r.loss.dataSync()[0]!;
      r.loss.dispose();
      return { loss, dW: r.dW };
    },
    accuracy: (W) =>
      tf.tidy(() => {
        const predicted = tf.argMax(tf.matMul(x, W), 1);
        return tf.mean(tf.cast(tf.equal(predicted, y), "float32")).dataSync()[0]!;
      }),
    dispose: () => {
      x.dispose();
      y.dispose();
    },
  };
}

/** What every strategy returns. */
export interface StrategyResult {
  strategy: string;
  /** Loss of the current (or best-so-far) W after each iteration. */
  lossTrace: number[];
  bestLoss: number;
  /** Accuracy of the final W on the problem's data. */
  accuracy: number;
  /** The final W, row-major [rows, cols]. */
  W: Float32Array;
  seconds: number;
}

function finish(strategy: string, problem: WeightSearchProblem, W: tf.Tensor2D, trace: number[], start: number): StrategyResult {
  const result: StrategyResult = {
    strategy,
    lossTrace: trace,
    bestLoss: Math.min(...trace),
    accuracy: problem.accuracy(W),
    W: Float32Array.from(W.dataSync() as Float32Array),
    seconds: (performance.now() - start) / 1000,
  };
  W.dispose();
  return result;
}

/** Random search: `iterations` independent W = scale·N(0, 1); the trace is the best loss so far. */
export function randomSearch(
  problem: WeightSearchProblem,
  options: { iterations?: number; scale?: number; seed?: number } = {},
): StrategyResult {
  const iterations = options.iterations ?? 1000;
  const scale = options.scale ?? 1e-3;
  const rng = createRng(options.seed ?? 0);
  const start = performance.now();
  let best = tf.zeros([problem.rows, problem.cols]) as tf.Tensor2D;
  let bestLoss = Infinity;
  const trace: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const candidate = tf.randomNormal([problem.rows, problem.cols], 0, scale, "float32", rng.seed()) as tf.Tensor2D;
    const loss = problem.loss(candidate);
    if (loss < bestLoss) {
      best.dispose();
      best = candidate;
      bestLoss = loss;
    } else {
      candidate.dispose();
    }
    trace.push(bestLoss);
  }
  return finish("random search", problem, best, trace, start);
}

/** Random local search: from a random W, try W + stepSize·N(0, 1); keep the step if the loss drops. */
export function randomLocalSearch(
  problem: WeightSearchProblem,
  options: { iterations?: number; stepSize?: number; scale?: number; seed?: number } = {},
): StrategyResult {
  const iterations = options.iterations ?? 1000;
  const stepSize = options.stepSize ?? 1e-3;
  const rng = createRng(options.seed ?? 0);
  const start = performance.now();
  let W = tf.randomNormal([problem.rows, problem.cols], 0, options.scale ?? 1e-3, "float32", rng.seed()) as tf.Tensor2D;
  let loss = problem.loss(W);
  const trace: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const candidate = tf.tidy(() => tf.add(W, tf.randomNormal(W.shape, 0, stepSize, "float32", rng.seed())) as tf.Tensor2D);
    const candidateLoss = problem.loss(candidate);
    if (candidateLoss < loss) {
      W.dispose();
      W = candidate;
      loss = candidateLoss;
    } else {
      candidate.dispose();
    }
    trace.push(loss);
  }
  return finish("random local search", problem, W, trace, start);
}

/** Full-batch gradient descent W ← W − α∇L from a random W; the trace is the loss before each step. */
export function gradientDescentSearch(
  problem: WeightSearchProblem,
  options: { iterations?: number; learningRate?: number; scale?: number; seed?: number } = {},
): StrategyResult {
  const iterations = options.iterations ?? 1000;
  const lr = options.learningRate ?? 0.1;
  const rng = createRng(options.seed ?? 0);
  const start = performance.now();
  let W = tf.randomNormal([problem.rows, problem.cols], 0, options.scale ?? 1e-3, "float32", rng.seed()) as tf.Tensor2D;
  const trace: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const { loss, dW } = problem.lossAndGrad(W);
    trace.push(loss);
    const next = tf.tidy(() => tf.sub(W, tf.mul(lr, dW)) as tf.Tensor2D);
    dW.dispose();
    W.dispose();
    W = next;
  }
  return finish("gradient descent", problem, W, trace, start);
}
