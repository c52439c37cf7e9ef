/**
 * Optimisation strategies compared on one loss landscape, as in the classic course progression:
 *   1. random search: try many random W, keep the best (no sense of direction at all);
 *   2. random local search: from the current W, try a random small step; keep it if the loss drops;
 *   3. gradient descent: step along −∇L, the direction of steepest descent, every time.
 * Each returns its loss trace (one value per iteration) so a notebook can plot them together; with an
 * equal budget of iterations, following the gradient wins by far.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng, type Rng } from "../core/random.js";
import { sgdOptimizer } from "../optim/optimizers.js";
import type { Examples } from "../core/types.js";
import { linearLossVectorized, labelTensor, type LinearLossKind } from "../losses/losses.js";
import { appendBiasColumn, linearPredict } from "./linear.js";
import { noRegularizer, type Regularizer } from "../losses/regularizers.js";
import { accuracy, numClassesFromLabels } from "../eval/metrics.js";

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
  const numClasses = options.numClasses ?? numClassesFromLabels(examples.y);
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
    accuracy: (W) => accuracy(examples.y, linearPredict(x, { W })),
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

/** The random starting W [rows, cols] = scale·N(0, 1) (default scale 1e-3). */
function randomWeights(problem: WeightSearchProblem, scale: number | undefined, rng: Rng): tf.Tensor2D {
  return tf.randomNormal([problem.rows, problem.cols], 0, scale ?? 1e-3, "float32", rng.seed());
}

/**
 * The loop random search and random local search share: `propose(current)` gives a candidate W,
 * which replaces the current one when its loss is lower (candidates and replaced W are disposed).
 * The trace is the current loss after each iteration.
 */
function keepIfLower(
  problem: WeightSearchProblem,
  initial: tf.Tensor2D,
  initialLoss: number,
  iterations: number,
  propose: (current: tf.Tensor2D) => tf.Tensor2D,
): { W: tf.Tensor2D; trace: number[] } {
  let W = initial;
  let loss = initialLoss;
  const trace: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const candidate = propose(W);
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
  return { W, trace };
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
  const { W, trace } = keepIfLower(problem, tf.zeros([problem.rows, problem.cols]), Infinity, iterations, () =>
    tf.randomNormal([problem.rows, problem.cols], 0, scale, "float32", rng.seed()),
  );
  return finish("random search", problem, W, trace, start);
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
  const initial = randomWeights(problem, options.scale, rng);
  const { W, trace } = keepIfLower(problem, initial, problem.loss(initial), iterations, (current) =>
    tf.tidy(() => tf.add(current, tf.randomNormal(current.shape, 0, stepSize, "float32", rng.seed()))),
  );
  return finish("random local search", problem, W, trace, start);
}

/**
 * Full-batch gradient descent W ← W − α∇L from a random W, with the same update rule the training
 * loop uses (`sgdOptimizer`); the trace is the loss before each step.
 */
export function gradientDescentSearch(
  problem: WeightSearchProblem,
  options: { iterations?: number; learningRate?: number; scale?: number; seed?: number } = {},
): StrategyResult {
  const iterations = options.iterations ?? 1000;
  const lr = options.learningRate ?? 0.1;
  const rng = createRng(options.seed ?? 0);
  const start = performance.now();
  const initial = randomWeights(problem, options.scale, rng);
  const params = { W: tf.variable(initial, true) };
  initial.dispose();
  const optimizer = sgdOptimizer();
  const trace: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const { loss, dW } = problem.lossAndGrad(params.W as tf.Variable<tf.Rank.R2>);
    trace.push(loss);
    optimizer.step(params, { W: dW }, lr);
    dW.dispose();
  }
  optimizer.dispose();
  const W = tf.clone(params.W) as tf.Tensor2D;
  params.W.dispose();
  return finish("gradient descent", problem, W, trace, start);
}
