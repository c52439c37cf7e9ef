/**
 * A fully connected network of any depth, built from layer sizes and an activation:
 *   scores = W_L·g(... g(W₂·g(W₁x + b₁) + b₂) ...) + b_L   (row form: x [N, D] · W1 [D, H₁] ...)
 * The forward pass runs the layers of layers.ts and keeps their caches; the backward pass walks them
 * in reverse from ∂L/∂scores (losses/), collecting ∂L/∂W_l and ∂L/∂b_l. The weight penalty is L2 on
 * every weight matrix (never the biases): λ Σ_l ‖W_l‖², gradient 2λW_l, as in the linear classifier.
 *
 * `Network` wraps it all as a `TrainableModel` (so `trainModel` drives it unchanged) and a
 * `Classifier` (`fit`, `predict`, `score`, `dispose`). The functional pieces (`networkForward`,
 * `networkBackward`, `networkLoss`, `networkLossAndGrads`) take the parameters as an argument, which
 * is what gradient checks and `tf.grad` need.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkFiniteNumber, checkOneOf, checkRegStrength, InvalidInputError } from "../core/checks.js";
import { l2Regularizer, NETWORK_LOSS_KINDS, networkLossFromScores, regularizerTerms, type NetworkLossKind } from "../losses/index.js";
import { GradientClassifier, type TrainOptions } from "../training/index.js";
import { ACTIVATION_NAMES, activationLayer, affineBackward, affineForward, affineReluForward, type ActivationCache, type ActivationName, type AffineCache } from "./layers.js";
import { checkLayerSizes, countParameters, initNetworkParams, type InitScheme } from "./init.js";

/** How a network computes: everything except the parameter values. */
export interface NetworkConfig {
  /** Activation between affine layers (default "relu"); the last layer has none (it gives scores). */
  activation?: ActivationName;
  /** Slope of leaky ReLU for negative inputs (default 0.1). */
  leakyAlpha?: number;
  /** Loss on the scores (default "softmax"). */
  loss?: NetworkLossKind;
  /** L2 strength λ on every weight matrix (default 0). */
  reg?: number;
  /** SVM margin Δ (default 1). */
  delta?: number;
  /** Where the SVM/softmax loss of the tiny scores is computed (see `NetworkLossOptions`). */
  scoresLossOn?: "backend" | "host";
}

/** What one layer's forward pass cached: its affine part and, except for the last layer, its activation. */
export interface LayerCache {
  affine: AffineCache;
  activation?: ActivationCache;
}

/** Number of affine layers in a parameter set { W1, b1, W2, b2, ... }. */
export function layerCount(params: Record<string, tf.Tensor>): number {
  let layers = 0;
  while (params[`W${layers + 1}`]) layers++;
  if (layers === 0) throw new InvalidInputError("params", `a network's parameters are W1, b1, W2, b2, ...; got ${Object.keys(params).join(", ") || "none"}`);
  return layers;
}

/** Scores [N, C] for x [N, D] and the caches of every layer. Use inside tf.tidy. */
export function networkForward(
  params: Record<string, tf.Tensor>,
  x: tf.Tensor2D,
  config: NetworkConfig = {},
): { scores: tf.Tensor2D; caches: LayerCache[] } {
  const layers = layerCount(params);
  const g = activationLayer(config.activation ?? "relu", config.leakyAlpha);
  const caches: LayerCache[] = [];
  let h = x;
  for (let l = 1; l <= layers; l++) {
    const W = params[`W${l}`] as tf.Tensor2D;
    const b = params[`b${l}`] as tf.Tensor1D;
    if (l < layers && g.name === "relu") {
      // the fused affine + ReLU layer: the same values and caches as affine then ReLU, one kernel call
      const fused = affineReluForward(h, W, b);
      caches.push({ affine: fused.cache.affine, activation: fused.cache.relu });
      h = fused.out;
      continue;
    }
    const affine = affineForwardFused(h, W, b);
    if (l === layers) {
      caches.push({ affine: affine.cache });
      h = affine.out;
    } else {
      const activated = g.forward(affine.out);
      caches.push({ affine: affine.cache, activation: activated.cache });
      h = activated.out;
    }
  }
  return { scores: h, caches };
}

/** affineForward with the bias added inside the product's kernel (one call instead of two). */
function affineForwardFused(x: tf.Tensor2D, W: tf.Tensor2D, b: tf.Tensor1D): { out: tf.Tensor2D; cache: AffineCache } {
  if (x.shape[1] !== W.shape[0]) return affineForward(x, W, b); // (for its error message)
  return { out: tf.fused.matMul({ a: x, b: W, bias: b }) as tf.Tensor2D, cache: { x, W } };
}

/** ∂L/∂W_l and ∂L/∂b_l for every layer (without the penalty), from ∂L/∂scores [N, C]. Use inside tf.tidy. */
export function networkBackward(dScores: tf.Tensor2D, caches: readonly LayerCache[], config: NetworkConfig = {}): Record<string, tf.Tensor> {
  // BEGIN SOLUTION network-loss-and-grads (4 pts)
  const g = activationLayer(config.activation ?? "relu", config.leakyAlpha);
  const grads: Record<string, tf.Tensor> = {};
  let upstream = dScores;
  for (let l = caches.length; l >= 1; l--) {
    const cache = caches[l - 1]!;
    if (cache.activation) upstream = g.backward(upstream, cache.activation);
    const { dx, dW, db } = affineBackward(upstream, cache.affine, l > 1);
    grads[`W${l}`] = dW;
    grads[`b${l}`] = db;
    if (dx) upstream = dx;
  }
  return grads;
  // END SOLUTION
}

/** The scores of a network whose last layer has one output: [N, 2] as (0, s), so argmax = (s > 0). */
function twoClassScores(scores: tf.Tensor2D): tf.Tensor2D {
  return scores.shape[1] === 1 ? (tf.concat([tf.zerosLike(scores), scores], 1) as tf.Tensor2D) : scores;
}

/**
 * The full loss (data loss + λ Σ‖W_l‖²) as a differentiable function of the parameters, computed with
 * forward ops only: what `tf.grad` differentiates to check `networkLossAndGrads`. Use inside tf.tidy.
 */
export function networkLoss(params: Record<string, tf.Tensor>, x: tf.Tensor2D, y: tf.Tensor1D | Int32Array, config: NetworkConfig = {}): tf.Scalar {
  const { scores } = networkForward(params, x, config);
  const data = networkLossFromScores(config.loss ?? "softmax", scores, y, { delta: config.delta, scoresLossOn: "backend" });
  const reg = config.reg ?? 0;
  if (reg === 0) return data.loss;
  let loss: tf.Scalar = data.loss;
  const penalty = l2Regularizer(reg);
  for (let l = 1; l <= layerCount(params); l++) loss = tf.add(loss, regularizerTerms(params[`W${l}`] as tf.Tensor2D, penalty).penalty) as tf.Scalar;
  return loss;
}

/** Loss and handwritten gradients { W1, b1, ... } of the network on a batch x [B, D], y [B]. Returns new tensors. */
export function networkLossAndGrads(
  params: Record<string, tf.Tensor>,
  x: tf.Tensor2D,
  y: tf.Tensor1D | Int32Array,
  config: NetworkConfig = {},
): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  return tf.tidy(() => {
    // BEGIN SOLUTION network-loss-and-grads (4 pts)
    const { scores, caches } = networkForward(params, x, config);
    const data = networkLossFromScores(config.loss ?? "softmax", scores, y, { delta: config.delta, scoresLossOn: config.scoresLossOn });
    const grads = networkBackward(data.dScores, caches, config);
    const reg = config.reg ?? 0;
    let loss = data.loss;
    if (reg > 0) {
      const penalty = l2Regularizer(reg);
      for (let l = 1; l <= caches.length; l++) {
        const terms = regularizerTerms(params[`W${l}`] as tf.Tensor2D, penalty);
        loss = tf.add(loss, terms.penalty) as tf.Scalar;
        grads[`W${l}`] = tf.add(grads[`W${l}`]!, terms.grad);
      }
    }
    return { loss, grads };
    // END SOLUTION
  });
}

// ---------------------------------------------------------------------------------------------
// The model

export interface NetworkOptions extends NetworkConfig {
  /** [D, H₁, ..., C]: input features, hidden widths, classes (1 output with the "bce" loss: binary). */
  layerSizes: number[];
  /** Weight initialisation (default "he"; the course's "small" is 1e-4·randn). */
  init?: InitScheme | number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** What `fit` trains with unless a call says otherwise (default: lr 0.1, batch 20, 5 epochs, plain SGD). */
  training?: Partial<TrainOptions>;
}

/** Course defaults for `fit` (the course's rate 0.1 and batch 20; docs/course.md). */
const DEFAULT_NETWORK_TRAINING: TrainOptions = { learningRate: 0.1, batchSize: 20, epochs: 5 };

/** Throws an `InvalidInputError` naming the first bad option. */
export function checkNetworkOptions(options: NetworkOptions): void {
  checkLayerSizes(options.layerSizes);
  if (options.activation !== undefined) checkOneOf(options.activation, ACTIVATION_NAMES, "activation");
  if (options.loss !== undefined) checkOneOf(options.loss, NETWORK_LOSS_KINDS, "loss");
  const outputs = options.layerSizes[options.layerSizes.length - 1]!;
  if (outputs < 2 && options.loss !== "bce") {
    throw new InvalidInputError("layerSizes", `the last layer gives one score per class and needs ≥ 2 outputs (1 only with loss "bce"), got ${outputs}`);
  }
  if (options.reg !== undefined) checkRegStrength(options.reg);
  if (options.leakyAlpha !== undefined) checkFiniteNumber(options.leakyAlpha, "leakyAlpha");
  if (options.seed !== undefined) checkFiniteNumber(options.seed, "seed");
}

/**
 * A fully connected network with seeded initial weights and zero biases: a `TrainableModel` for
 * `trainModel` and a `Classifier`. Example (the course's 2-layer net):
 *   const net = new Network({ layerSizes: [784, 36, 10], activation: "relu", loss: "softmax", init: "small", reg: 1e-5 });
 *   await net.fit(train, { iterations: 1500, batchSize: 20, learningRate: 0.1 });
 *   net.history.loss  // loss per iteration
 */
export class Network extends GradientClassifier {
  readonly layerSizes: readonly number[];
  readonly options: Readonly<NetworkOptions>;
  readonly numClasses: number;
  readonly numFeatures: number;
  /** W1 [D, H₁], b1 [H₁], W2 [H₁, H₂], ... */
  readonly params: Record<string, tf.Variable>;
  /** Weights + biases. */
  readonly parameterCount: number;
  private readonly config: NetworkConfig;

  constructor(options: NetworkOptions) {
    checkNetworkOptions(options);
    super({ ...DEFAULT_NETWORK_TRAINING, ...options.training });
    const layerSizes = [...options.layerSizes];
    this.layerSizes = layerSizes;
    this.options = { ...options, layerSizes };
    this.params = initNetworkParams(layerSizes, options.init ?? "he", options.seed ?? 0);
    this.config = {
      activation: options.activation ?? "relu",
      leakyAlpha: options.leakyAlpha,
      loss: options.loss ?? "softmax",
      reg: options.reg ?? 0,
      delta: options.delta,
      scoresLossOn: options.scoresLossOn,
    };
    this.numClasses = Math.max(layerSizes[layerSizes.length - 1]!, 2);
    this.numFeatures = layerSizes[0]!;
    this.parameterCount = countParameters(layerSizes).total;
  }

  lossAndGrads(x: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    return networkLossAndGrads(this.params, x, y, this.config);
  }

  scores(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => twoClassScores(networkForward(this.params, x, this.config).scores));
  }
}

/** `new Network(options)`, for code written against the factory. */
export function createNetwork(options: NetworkOptions): Network {
  return new Network(options);
}
