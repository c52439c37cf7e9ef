/**
 * A small convolutional network for images, built from the layers of this folder:
 *
 *   [conv F×F → (batch norm) → ReLU → max pool] × L  →  [affine → (batch norm) → ReLU → (dropout)] × M  →  affine → softmax
 *
 * e.g. the default: conv 5×5, 8 filters → pool 2 → conv 5×5, 16 filters → pool 2 → affine 100 → affine 10
 * on 28×28×1 images: [N, 28, 28, 1] → [N, 14, 14, 8] → [N, 7, 7, 16] → 784 values → 100 → 10 scores.
 *
 * Examples stay flat rows [N, H·W·C] as everywhere in the library; the network reshapes them to images
 * [N, H, W, C] (`imageShape`, default [28, 28, 1]). Convolutions keep the image size by default
 * (padding (F − 1)/2, stride 1), so only pooling shrinks it.
 *
 * Parameters, named like the fully connected network's: W1, b1 (the first convolution: W [F, F, C, K],
 * b [K]), W2, b2, ..., then the affine layers W [D_in, D_out], b [D_out]. With batch normalisation,
 * a layer followed by it has no bias; it has gamma<l>, beta<l> instead, and the running statistics
 * runningMean<l>, runningVar<l>. Those two are in `params` too (so keep-best snapshots and save/load
 * carry them) but have no gradient: the optimisers update only what has one, and `lossAndGrads`
 * writes them after each training batch.
 *
 * The loss is the softmax cross-entropy plus λ Σ ‖W‖² over every weight tensor (not biases, γ or β).
 * `ConvNet` is a `TrainableModel` (so `trainModel` trains it with any optimiser, schedule, live
 * display, keep-best and divergence stop) and a classifier (`fit`, `predict`, `score`, `dispose`).
 * The functional pieces (`convNetForward`, `convNetBackward`, `convNetLoss`, `convNetLossAndGrads`)
 * take the parameters as an argument, which is what gradient checks and `tf.grad` need.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkFiniteNumber, checkKnownOptions, checkNonNegativeInteger, checkPositiveInteger, checkRegStrength, InvalidInputError } from "../core/checks.js";
import { createRng } from "../core/random.js";
import type { Examples } from "../core/types.js";
import { networkLossFromScores } from "../losses/index.js";
import { GradientClassifier, type FitOptions, type TrainHistory, type TrainOptions } from "../training/index.js";
import { affineBackward, affineForward, reluBackward, reluForward, type ActivationCache, type AffineCache } from "./layers.js";
import { convForward, convOutputSize, explicitPadding } from "./conv.js";
import { poolOutputSize } from "./pool.js";
import { batchNormBackward, batchNormForward, spatialBatchNormForward, type BatchNormCache, type LayerMode } from "./batchnorm.js";
import { checkDropoutProbability, dropoutBackward, dropoutForward, type DropoutCache } from "./dropout.js";
import {
  convBnReluPoolBackward,
  convBnReluPoolForward,
  convReluPoolBackward,
  convReluPoolForward,
  type ConvBnReluPoolCache,
  type ConvReluPoolCache,
} from "./conv-relu-pool.js";
import { initScale, INIT_SCHEMES, type InitScheme } from "./init.js";

/** One convolution layer: `filters` filters of `size`×`size`, stride (1) and zero padding ((size − 1)/2 rounded down). */
export interface ConvLayerSpec {
  filters: number;
  size: number;
  stride?: number;
  pad?: number;
}
const CONV_LAYER_SPEC_NAMES = ["filters", "size", "stride", "pad"] as const;

export interface ConvNetOptions {
  /** [H, W, C] of each image (default [28, 28, 1]: MNIST and Fashion-MNIST); examples have H·W·C features. */
  imageShape?: [number, number, number];
  /** The convolution layers, in order (default [{ filters: 8, size: 5 }, { filters: 16, size: 5 }]). */
  conv?: ConvLayerSpec[];
  /** Max pooling window and stride after each convolution (default 2; 1 = no pooling). */
  pool?: number;
  /** Widths of the hidden affine layers (default [100]; [] = straight to the scores). */
  hidden?: number[];
  /** Classes C (default 10). */
  numClasses?: number;
  /** Batch normalisation after every convolution and hidden affine layer (default false). */
  batchNorm?: boolean;
  /** Dropout probability p (of dropping a unit) after every hidden affine layer (default 0 = none). */
  dropout?: number;
  /** L2 strength λ on every weight tensor (default 0). */
  reg?: number;
  /** Weight initialisation (default "he"): scale √(2 / fan_in), fan_in = F·F·C for a convolution. */
  init?: InitScheme | number;
  /** Seed of the initial weights and of the dropout masks (default 0). */
  seed?: number;
  /** Where the softmax loss of the small [B, C] scores is computed: "backend" (default) or "host" (fewer kernel calls). */
  scoresLossOn?: "backend" | "host";
  /** What `fit` trains with unless a call says otherwise (default: plain SGD, lr 0.01, batch 64, 5 epochs). */
  training?: FitOptions;
}
const CONV_NET_OPTION_NAMES = ["imageShape", "conv", "pool", "hidden", "numClasses", "batchNorm", "dropout", "reg", "init", "seed", "scoresLossOn", "training"] as const;

/** A convolution layer of a planned network, with its input and output image shapes. */
export interface PlannedConvLayer {
  index: number;
  filters: number;
  size: number;
  stride: number;
  pad: number;
  /** [H, W, C] in. */
  input: [number, number, number];
  /** [H, W, K] after the convolution, before pooling. */
  convOutput: [number, number, number];
  /** [H, W, K] after pooling. */
  output: [number, number, number];
}

/** Everything about how a network computes, except the parameter values. */
export interface ConvNetPlan {
  imageShape: [number, number, number];
  conv: PlannedConvLayer[];
  pool: number;
  /** [D_in, D_out] of each affine layer, the last one giving the scores. */
  affine: { index: number; input: number; output: number }[];
  numClasses: number;
  batchNorm: boolean;
  dropout: number;
  reg: number;
  scoresLossOn: "backend" | "host";
}

const DEFAULT_CONV: ConvLayerSpec[] = [{ filters: 8, size: 5 }, { filters: 16, size: 5 }];

/** Checks the options and works out every layer's shapes; errors name the layer and the numbers. */
export function planConvNet(options: ConvNetOptions = {}): ConvNetPlan {
  checkKnownOptions(options, CONV_NET_OPTION_NAMES, "ConvNet options");
  const imageShape = options.imageShape ?? [28, 28, 1];
  if (!Array.isArray(imageShape) || imageShape.length !== 3) {
    throw new InvalidInputError("imageShape", `imageShape must be [H, W, C] (e.g. [28, 28, 1]), got ${JSON.stringify(imageShape)}`);
  }
  imageShape.forEach((v, i) => checkPositiveInteger(v, `imageShape[${i}]`));
  const pool = options.pool ?? 2;
  checkPositiveInteger(pool, "pool");
  const specs = options.conv ?? DEFAULT_CONV;
  if (!Array.isArray(specs)) throw new InvalidInputError("conv", `conv must be a list of layers like { filters: 8, size: 5 }, got ${JSON.stringify(specs)}`);
  let shape: [number, number, number] = [imageShape[0], imageShape[1], imageShape[2]];
  const conv: PlannedConvLayer[] = specs.map((spec, i) => {
    const what = `conv[${i}]`;
    checkKnownOptions(spec, CONV_LAYER_SPEC_NAMES, what);
    checkPositiveInteger(spec?.filters, `${what}.filters`);
    checkPositiveInteger(spec.size, `${what}.size`);
    const stride = spec.stride ?? 1;
    const pad = spec.pad ?? Math.floor((spec.size - 1) / 2);
    checkPositiveInteger(stride, `${what}.stride`);
    checkNonNegativeInteger(pad, `${what}.pad`);
    const input = shape;
    const h = convOutputSize(input[0], spec.size, stride, pad, `${what}: output height`);
    const w = convOutputSize(input[1], spec.size, stride, pad, `${what}: output width`);
    const convOutput: [number, number, number] = [h, w, spec.filters];
    shape = [poolOutputSize(h, pool, pool, "height"), poolOutputSize(w, pool, pool, "width"), spec.filters];
    return { index: i + 1, filters: spec.filters, size: spec.size, stride, pad, input, convOutput, output: shape };
  });
  const hidden = options.hidden ?? [100];
  if (!Array.isArray(hidden)) throw new InvalidInputError("hidden", `hidden must be a list of layer widths like [100], got ${JSON.stringify(hidden)}`);
  hidden.forEach((width, i) => checkPositiveInteger(width, `hidden[${i}]`));
  const numClasses = options.numClasses ?? 10;
  checkPositiveInteger(numClasses, "numClasses");
  if (numClasses < 2) throw new InvalidInputError("numClasses", `numClasses must be at least 2, got ${numClasses}`);
  const widths = [shape[0] * shape[1] * shape[2], ...hidden, numClasses];
  const affine = widths.slice(1).map((output, i) => ({ index: conv.length + i + 1, input: widths[i]!, output }));
  const dropout = options.dropout ?? 0;
  checkDropoutProbability(dropout, "dropout");
  const reg = options.reg ?? 0;
  checkRegStrength(reg);
  if (options.batchNorm !== undefined && typeof options.batchNorm !== "boolean") throw new InvalidInputError("batchNorm", `batchNorm must be true or false, got ${JSON.stringify(options.batchNorm)}`);
  if (options.init !== undefined && typeof options.init !== "number" && !INIT_SCHEMES.includes(options.init)) {
    throw new InvalidInputError("init", `init must be one of ${INIT_SCHEMES.join(", ")} or a number, got ${JSON.stringify(options.init)}`);
  }
  if (options.seed !== undefined) checkFiniteNumber(options.seed, "seed");
  const scoresLossOn = options.scoresLossOn ?? "backend";
  if (scoresLossOn !== "backend" && scoresLossOn !== "host") throw new InvalidInputError("scoresLossOn", `scoresLossOn must be "backend" or "host", got ${JSON.stringify(scoresLossOn)}`);
  return { imageShape: [imageShape[0], imageShape[1], imageShape[2]], conv, pool, affine, numClasses, batchNorm: options.batchNorm ?? false, dropout, reg, scoresLossOn };
}

/** Whether layer `index` (1-based over convolutions then affine layers) is followed by batch norm. */
function normalised(plan: ConvNetPlan, index: number): boolean {
  return plan.batchNorm && index < plan.conv.length + plan.affine.length;
}

/** Name and shape of every parameter of a plan, trainable or not, in order. */
export function convNetParameterShapes(plan: ConvNetPlan): { name: string; shape: number[]; trainable: boolean }[] {
  const shapes: { name: string; shape: number[]; trainable: boolean }[] = [];
  const add = (index: number, weight: number[], width: number): void => {
    shapes.push({ name: `W${index}`, shape: weight, trainable: true });
    if (normalised(plan, index)) {
      shapes.push({ name: `gamma${index}`, shape: [width], trainable: true }, { name: `beta${index}`, shape: [width], trainable: true });
      shapes.push({ name: `runningMean${index}`, shape: [width], trainable: false }, { name: `runningVar${index}`, shape: [width], trainable: false });
    } else {
      shapes.push({ name: `b${index}`, shape: [width], trainable: true });
    }
  };
  for (const layer of plan.conv) add(layer.index, [layer.size, layer.size, layer.input[2], layer.filters], layer.filters);
  for (const layer of plan.affine) add(layer.index, [layer.input, layer.output], layer.output);
  return shapes;
}

/** Trainable parameters (weights, biases, γ, β): F·F·C·K + K per convolution, D_in·D_out + D_out per affine layer. */
export function countConvNetParameters(plan: ConvNetPlan): number {
  return convNetParameterShapes(plan).filter((p) => p.trainable).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Fresh seeded variables for a plan: weights scale·N(0, 1) (scale from `init` with fan_in = F·F·C or
 * D_in), biases and β 0, γ 1, running mean 0, running variance 1.
 */
export function initConvNetParams(plan: ConvNetPlan, init: InitScheme | number = "he", seed = 0): Record<string, tf.Variable> {
  const rng = createRng(seed);
  const params: Record<string, tf.Variable> = {};
  for (const { name, shape, trainable } of convNetParameterShapes(plan)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.startsWith("W")) {
      const fanIn = size / shape[shape.length - 1]!;
      const scale = initScale(init, fanIn, shape[shape.length - 1]!);
      for (let i = 0; i < size; i++) values[i] = scale * rng.normal();
    } else if (name.startsWith("gamma") || name.startsWith("runningVar")) {
      values.fill(1);
    }
    params[name] = tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable));
  }
  return params;
}

// ---------------------------------------------------------------------------------------------
// Forward and backward

type LayerCache =
  | { kind: "conv"; cache: ConvReluPoolCache }
  | { kind: "conv-bn"; cache: ConvBnReluPoolCache }
  | { kind: "affine"; affine: AffineCache; bn?: BatchNormCache; relu?: ActivationCache; dropout?: DropoutCache };

/** What one forward pass leaves for the backward pass. */
export interface ConvNetCaches {
  layers: LayerCache[];
  /** Shape of the last convolution block's output [N, H, W, K], flattened for the affine layers. */
  flattenedFrom: number[];
}

/** How a forward pass runs: "train" (batch statistics, dropout with masks from `seed`) or "test". */
export interface ConvNetPass {
  mode: LayerMode;
  /** Seed of the dropout masks in train mode (each layer adds its index). */
  seed?: number;
}

/**
 * Scores [N, C] for images x [N, H, W, C], the caches, and (in train mode with batch norm) the
 * running statistics after this batch, by parameter name. Use inside tf.tidy.
 */
export function convNetForward(
  params: Record<string, tf.Tensor>,
  x: tf.Tensor4D,
  plan: ConvNetPlan,
  pass: ConvNetPass,
): { scores: tf.Tensor2D; caches: ConvNetCaches; running: Record<string, tf.Tensor> } {
  const [, h, w, c] = x.shape;
  const [eh, ew, ec] = plan.imageShape;
  if (h !== eh || w !== ew || c !== ec) {
    throw new InvalidInputError("x", `ConvNet: images are [N, ${h}, ${w}, ${c}] but the network takes [N, ${eh}, ${ew}, ${ec}] (imageShape)`);
  }
  const p = (name: string) => params[name]!;
  const layers: LayerCache[] = [];
  const running: Record<string, tf.Tensor> = {};
  const bn = { mode: pass.mode };
  let images = x;
  for (const layer of plan.conv) {
    const l = layer.index;
    const conv = { stride: layer.stride, pad: layer.pad };
    const pool = { size: plan.pool, stride: plan.pool };
    if (normalised(plan, l)) {
      const stats = { mean: p(`runningMean${l}`) as tf.Tensor1D, variance: p(`runningVar${l}`) as tf.Tensor1D };
      const out = convBnReluPoolForward(images, p(`W${l}`) as tf.Tensor4D, p(`gamma${l}`) as tf.Tensor1D, p(`beta${l}`) as tf.Tensor1D, stats, bn, conv, pool);
      if (pass.mode === "train") Object.assign(running, { [`runningMean${l}`]: out.running.mean, [`runningVar${l}`]: out.running.variance });
      layers.push({ kind: "conv-bn", cache: out.cache });
      images = out.out;
    } else {
      const out = convReluPoolForward(images, p(`W${l}`) as tf.Tensor4D, p(`b${l}`) as tf.Tensor1D, conv, pool);
      layers.push({ kind: "conv", cache: out.cache });
      images = out.out;
    }
  }
  const n = images.shape[0];
  let h2 = tf.reshape(images, [n, images.size / n]) as tf.Tensor2D;
  const last = plan.affine[plan.affine.length - 1]!.index;
  for (const layer of plan.affine) {
    const l = layer.index;
    if (l === last) {
      const out = affineForward(h2, p(`W${l}`) as tf.Tensor2D, p(`b${l}`) as tf.Tensor1D);
      layers.push({ kind: "affine", affine: out.cache });
      h2 = out.out;
      break;
    }
    const cache: LayerCache & { kind: "affine" } = { kind: "affine", affine: undefined as unknown as AffineCache };
    let z: tf.Tensor2D;
    if (normalised(plan, l)) {
      // no bias: batch norm's β replaces it
      z = tf.matMul(h2, p(`W${l}`) as tf.Tensor2D);
      cache.affine = { x: h2, W: p(`W${l}`) as tf.Tensor2D };
      const stats = { mean: p(`runningMean${l}`) as tf.Tensor1D, variance: p(`runningVar${l}`) as tf.Tensor1D };
      const out = batchNormForward(z, p(`gamma${l}`) as tf.Tensor1D, p(`beta${l}`) as tf.Tensor1D, stats, bn);
      if (pass.mode === "train") Object.assign(running, { [`runningMean${l}`]: out.running.mean, [`runningVar${l}`]: out.running.variance });
      cache.bn = out.cache;
      z = out.out;
    } else {
      const out = affineForward(h2, p(`W${l}`) as tf.Tensor2D, p(`b${l}`) as tf.Tensor1D);
      cache.affine = out.cache;
      z = out.out;
    }
    const relu = reluForward(z);
    cache.relu = relu.cache;
    h2 = relu.out;
    if (plan.dropout > 0) {
      const dropped = dropoutForward(h2, { p: plan.dropout, mode: pass.mode, seed: pass.mode === "train" ? (pass.seed ?? 0) * 1000 + l : undefined });
      cache.dropout = dropped.cache;
      h2 = dropped.out;
    }
    layers.push(cache);
  }
  return { scores: h2, caches: { layers, flattenedFrom: images.shape }, running };
}

/** ∂L/∂(every trainable parameter) from ∂L/∂scores [N, C] (without the penalty). Use inside tf.tidy. */
export function convNetBackward(dScores: tf.Tensor2D, caches: ConvNetCaches, plan: ConvNetPlan): Record<string, tf.Tensor> {
  const grads: Record<string, tf.Tensor> = {};
  let upstream: tf.Tensor = dScores;
  for (let i = caches.layers.length - 1; i >= 0; i--) {
    const layer = caches.layers[i]!;
    const l = i + 1;
    const needInput = i > 0;
    if (layer.kind === "affine") {
      let d = upstream as tf.Tensor2D;
      if (layer.dropout) d = dropoutBackward(d, layer.dropout);
      if (layer.relu) d = reluBackward(d, layer.relu);
      if (layer.bn) {
        const g = batchNormBackward(d, layer.bn);
        grads[`gamma${l}`] = g.dgamma;
        grads[`beta${l}`] = g.dbeta;
        d = g.dx;
        const g2 = affineBackward(d, layer.affine, needInput); // (its bias gradient is not used: no bias here)
        grads[`W${l}`] = g2.dW;
        if (g2.dx) upstream = g2.dx;
      } else {
        const g = affineBackward(d, layer.affine, needInput);
        grads[`W${l}`] = g.dW;
        grads[`b${l}`] = g.db;
        if (g.dx) upstream = g.dx;
      }
      // back from the affine layers to the images of the last convolution block
      if (i === plan.conv.length) upstream = tf.reshape(upstream, caches.flattenedFrom);
    } else if (layer.kind === "conv-bn") {
      const g = convBnReluPoolBackward(upstream as tf.Tensor4D, layer.cache, needInput);
      grads[`W${l}`] = g.dW;
      grads[`gamma${l}`] = g.dgamma;
      grads[`beta${l}`] = g.dbeta;
      if (g.dx) upstream = g.dx;
    } else {
      const g = convReluPoolBackward(upstream as tf.Tensor4D, layer.cache, needInput);
      grads[`W${l}`] = g.dW;
      grads[`b${l}`] = g.db;
      if (g.dx) upstream = g.dx;
    }
  }
  return grads;
}

/** Flat rows [N, H·W·C] as images [N, H, W, C]. */
export function toImages(x: tf.Tensor2D | tf.Tensor4D, plan: ConvNetPlan): tf.Tensor4D {
  if (x.rank === 4) return x as tf.Tensor4D;
  const [h, w, c] = plan.imageShape;
  if (x.shape[1] !== h * w * c) {
    throw new InvalidInputError("x", `ConvNet: each example has ${x.shape[1]} values but imageShape [${h}, ${w}, ${c}] needs ${h * w * c}`);
  }
  return tf.reshape(x, [x.shape[0], h, w, c]);
}

/** λ Σ‖W‖² over every weight tensor, and its gradient 2λW. */
function weightPenalty(params: Record<string, tf.Tensor>, reg: number): { penalty: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const grads: Record<string, tf.Tensor> = {};
  let penalty = tf.scalar(0);
  for (const [name, W] of Object.entries(params)) {
    if (!/^W\d+$/.test(name)) continue;
    penalty = tf.add(penalty, tf.mul(reg, tf.sum(tf.square(W))));
    grads[name] = tf.mul(2 * reg, W);
  }
  return { penalty, grads };
}

/**
 * The full loss (softmax cross-entropy + λ Σ‖W‖²) with forward ops only, in train mode: what `tf.grad`
 * differentiates to check `convNetLossAndGrads`. Use inside tf.tidy.
 */
export function convNetLoss(params: Record<string, tf.Tensor>, x: tf.Tensor2D | tf.Tensor4D, y: tf.Tensor1D | Int32Array, plan: ConvNetPlan, seed = 0): tf.Scalar {
  const { scores } = convNetForward(params, toImages(x, plan), plan, { mode: "train", seed });
  const { loss } = networkLossFromScores("softmax", scores, y, { scoresLossOn: "backend" });
  return plan.reg > 0 ? (tf.add(loss, weightPenalty(params, plan.reg).penalty) as tf.Scalar) : loss;
}

/** Loss, handwritten gradients and new running statistics on a training batch (x flat [B, D] or images). Returns new tensors. */
export function convNetLossAndGrads(
  params: Record<string, tf.Tensor>,
  x: tf.Tensor2D | tf.Tensor4D,
  y: tf.Tensor1D | Int32Array,
  plan: ConvNetPlan,
  seed = 0,
): { loss: tf.Scalar; grads: Record<string, tf.Tensor>; running: Record<string, tf.Tensor> } {
  return tf.tidy(() => {
    const { scores, caches, running } = convNetForward(params, toImages(x, plan), plan, { mode: "train", seed });
    const data = networkLossFromScores("softmax", scores, y, { scoresLossOn: plan.scoresLossOn });
    const grads = convNetBackward(data.dScores, caches, plan);
    let loss = data.loss;
    if (plan.reg > 0) {
      const penalty = weightPenalty(params, plan.reg);
      loss = tf.add(loss, penalty.penalty) as tf.Scalar;
      for (const [name, g] of Object.entries(penalty.grads)) grads[name] = tf.add(grads[name]!, g);
    }
    return { loss, grads, running };
  });
}

// ---------------------------------------------------------------------------------------------
// The model

/** What `fit` uses unless the model's `training` option or the call says otherwise. */
const DEFAULT_CONV_NET_TRAINING: TrainOptions = { learningRate: 0.01, batchSize: 64, epochs: 5 };

/**
 * A convolutional network classifier. Example (notebook 05):
 *   const cnn = new ConvNet({ conv: [{ filters: 8, size: 5 }, { filters: 16, size: 5 }], hidden: [100] });
 *   await cnn.fit(train, { optimizer: adamOptimizer(), learningRate: 1e-3, epochs: 3, validation });
 *   await cnn.score(test);
 */
export class ConvNet extends GradientClassifier {
  readonly plan: ConvNetPlan;
  readonly options: Readonly<ConvNetOptions>;
  readonly numClasses: number;
  readonly numFeatures: number;
  /** Weights, biases, γ and β, and the running statistics of batch norm (see the header). */
  readonly params: Record<string, tf.Variable>;
  /** Trainable parameters (the running statistics are not counted). */
  readonly parameterCount: number;
  private readonly seed: number;
  private steps = 0;

  constructor(options: ConvNetOptions = {}) {
    super({ ...DEFAULT_CONV_NET_TRAINING, ...options.training });
    this.plan = planConvNet(options);
    this.options = { ...options };
    this.seed = options.seed ?? 0;
    const [h, w, c] = this.plan.imageShape;
    this.numFeatures = h * w * c;
    this.numClasses = this.plan.numClasses;
    this.params = initConvNetParams(this.plan, options.init ?? "he", this.seed);
    this.parameterCount = countConvNetParameters(this.plan);
  }

  /** Training-mode loss and gradients of a batch x [B, H·W·C]; also stores batch norm's new running statistics. */
  lossAndGrads(x: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const { loss, grads, running } = convNetLossAndGrads(this.params, x, y, this.plan, this.seed * 1_000_003 + this.steps++);
    for (const [name, value] of Object.entries(running)) this.params[name]!.assign(value);
    return { loss, grads };
  }

  /** Test-mode scores [N, C] for x [N, H·W·C] (running statistics, no dropout). */
  scores(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => convNetForward(this.params, toImages(x, this.plan), this.plan, { mode: "test" }).scores);
  }

  /** Trains with `trainModel` (the model's `training` defaults, overridden by `options`); the history lands on `model.history`. */
  override async fit(train: Examples, options: FitOptions = {}): Promise<this & { history: TrainHistory }> {
    if (train && typeof train === "object" && "d" in train && train.d !== this.numFeatures) {
      const [h, w, c] = this.plan.imageShape;
      throw new InvalidInputError("train", `ConvNet: the examples have ${train.d} values each, but imageShape [${h}, ${w}, ${c}] needs ${this.numFeatures}; pass imageShape to the constructor`);
    }
    const batchSize = options.batchSize ?? this.options.training?.batchSize ?? DEFAULT_CONV_NET_TRAINING.batchSize ?? 200;
    if (this.plan.batchNorm && batchSize === 1) {
      throw new InvalidInputError("batchSize", "ConvNet with batchNorm: batchSize 1 would normalise each image by its own statistics in train mode; use batches of 2 or more");
    }
    if (this.plan.batchNorm && train && typeof train === "object" && batchSize > 1 && train.n > batchSize && train.n % batchSize === 1) {
      throw new InvalidInputError(
        "batchSize",
        `ConvNet with batchNorm: ${train.n} examples in batches of ${batchSize} leave a last batch of 1 in every epoch, which batch norm cannot normalise; ` +
          `use another batchSize (e.g. ${batchSize - 1} or ${batchSize + 1})`,
      );
    }
    return super.fit(train, options);
  }

  /**
   * The feature maps of convolution layer `layer` (1-based) for a few images x [M, H·W·C], in test
   * mode: relu(conv + b) (or batch norm's output, then ReLU) before pooling, [M, H', W', K] row-major.
   */
  featureMaps(x: Float32Array, layer = 1): { values: Float32Array; shape: [number, number, number, number] } {
    const planned = this.plan.conv[layer - 1];
    if (!planned) throw new InvalidInputError("layer", `featureMaps: layer must be 1..${this.plan.conv.length} (the convolution layers), got ${layer}`);
    if (x.length % this.numFeatures !== 0) throw new InvalidInputError("x", `featureMaps: x has ${x.length} values, not a multiple of ${this.numFeatures} per image`);
    const m = x.length / this.numFeatures;
    const maps = tf.tidy(() => {
      let images = toImages(tf.tensor2d(x, [m, this.numFeatures]), this.plan);
      // the earlier blocks, as the network runs them in test mode
      for (const block of this.plan.conv.slice(0, layer - 1)) images = tf.maxPool(convBlockMaps(this, block, images), this.plan.pool, this.plan.pool, "valid");
      return convBlockMaps(this, planned, images);
    });
    const values = maps.dataSync() as Float32Array;
    const shape = maps.shape as [number, number, number, number];
    maps.dispose();
    return { values: Float32Array.from(values), shape };
  }
}

/** relu(conv(x) + b) (or relu(batchnorm(conv(x))) in test mode) of one block, before pooling. */
function convBlockMaps(net: ConvNet, block: PlannedConvLayer, images: tf.Tensor4D): tf.Tensor4D {
  const l = block.index;
  const p = (name: string) => net.params[name]!;
  const W = p(`W${l}`) as tf.Tensor4D;
  const conv = { stride: block.stride, pad: block.pad };
  if (!normalised(net.plan, l)) return tf.relu(convForward(images, W, p(`b${l}`) as tf.Tensor1D, conv).out);
  const z = tf.conv2d(images, W, block.stride, explicitPadding(block.pad));
  const stats = { mean: p(`runningMean${l}`) as tf.Tensor1D, variance: p(`runningVar${l}`) as tf.Tensor1D };
  return tf.relu(spatialBatchNormForward(z, p(`gamma${l}`) as tf.Tensor1D, p(`beta${l}`) as tf.Tensor1D, stats, { mode: "test" }).out);
}
