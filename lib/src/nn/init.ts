/**
 * Parameters of a fully connected network: how many there are, and their seeded initial values.
 *
 * Layer sizes [D, H₁, ..., C] give weight matrices W1 [D, H₁], W2 [H₁, H₂], ... and biases b1 [H₁],
 * b2 ...; a 3-4-2 network has 3·4 + 4·2 = 20 weights and 4 + 2 = 6 biases, 26 in all.
 * Initial weights are scale·N(0, 1) with the scale chosen by the scheme; biases start at zero:
 *   "small"   1e-4 (the course's simplest version: fine for 2 layers, vanishing signals when deeper)
 *   "he"      √(2 / fan_in), for ReLU-like activations (keeps the activations' variance per layer)
 *   "xavier"  √(2 / (fan_in + fan_out)) (Glorot), for tanh and sigmoid
 *   a number  that fixed scale
 */
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";
import { createRng } from "../core/random.js";

export type InitScheme = "small" | "he" | "xavier";
export const INIT_SCHEMES: readonly InitScheme[] = ["small", "he", "xavier"];

/** Throws an `InvalidInputError` unless `layerSizes` is a list of ≥ 2 positive integers. */
export function checkLayerSizes(layerSizes: unknown): asserts layerSizes is number[] {
  if (!Array.isArray(layerSizes) || layerSizes.length < 2) {
    throw new InvalidInputError(
      "layerSizes",
      `layerSizes must list at least the input and output sizes, e.g. [784, 100, 10], got ${JSON.stringify(layerSizes)}`,
    );
  }
  layerSizes.forEach((size, i) => {
    if (!Number.isInteger(size) || (size as number) < 1) {
      throw new InvalidInputError("layerSizes", `layerSizes[${i}] must be a positive integer, got ${JSON.stringify(size)} (in ${JSON.stringify(layerSizes)})`);
    }
  });
  // Checked before any weight exists: a size too large to allocate would otherwise end in a raw
  // RangeError from deep inside the initialiser (or the process running out of memory).
  const parameters = (layerSizes as number[]).slice(1).reduce((sum, out, i) => sum + ((layerSizes as number[])[i]! + 1) * out, 0);
  if (parameters > MAX_NETWORK_PARAMETERS) {
    throw new InvalidInputError(
      "layerSizes",
      `layerSizes ${JSON.stringify(layerSizes)} give ${parameters.toExponential(2)} weights and biases, more than the ${MAX_NETWORK_PARAMETERS.toExponential(0)} this library allows (${(MAX_NETWORK_PARAMETERS * 4 / 2 ** 30).toFixed(1)} GiB of float32, before gradients and optimiser state); use smaller layers`,
    );
  }
}

/** The most weights and biases a fully connected network may have (float32: 1 GiB of values). */
export const MAX_NETWORK_PARAMETERS = 2 ** 28;

/** Number of weights and biases of a fully connected network with these layer sizes. */
export function countParameters(layerSizes: readonly number[]): { weights: number; biases: number; total: number } {
  checkLayerSizes(layerSizes);
  let weights = 0;
  let biases = 0;
  for (let l = 1; l < layerSizes.length; l++) {
    weights += layerSizes[l - 1]! * layerSizes[l]!;
    biases += layerSizes[l]!;
  }
  return { weights, biases, total: weights + biases };
}

/** The standard deviation of layer weights [fanIn, fanOut] under a scheme (or a fixed number). */
export function initScale(scheme: InitScheme | number, fanIn: number, fanOut: number): number {
  if (typeof scheme === "number") {
    if (!(Number.isFinite(scheme) && scheme >= 0)) throw new InvalidInputError("init", `init as a number is the weight scale and must be ≥ 0, got ${scheme}`);
    return scheme;
  }
  switch (scheme) {
    case "small":
      return 1e-4;
    case "he":
      return Math.sqrt(2 / fanIn);
    case "xavier":
      return Math.sqrt(2 / (fanIn + fanOut));
    default:
      throw new InvalidInputError("init", `init must be one of ${INIT_SCHEMES.join(", ")} or a number, got ${JSON.stringify(scheme)}`);
  }
}

/**
 * Fresh variables { W1 [D, H₁], b1 [H₁], W2, b2, ... } for the layer sizes, seeded. The names are
 * part of the contract: saved parameter files and the notebooks refer to them.
 */
export function initNetworkParams(layerSizes: readonly number[], init: InitScheme | number = "he", seed = 0): Record<string, tf.Variable> {
  checkLayerSizes(layerSizes);
  const rng = createRng(seed);
  const params: Record<string, tf.Variable> = {};
  for (let l = 1; l < layerSizes.length; l++) {
    const fanIn = layerSizes[l - 1]!;
    const fanOut = layerSizes[l]!;
    const scale = initScale(init, fanIn, fanOut);
    const values = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < values.length; i++) values[i] = scale * rng.normal();
    params[`W${l}`] = tf.tidy(() => tf.variable(tf.tensor2d(values, [fanIn, fanOut]), true));
    params[`b${l}`] = tf.tidy(() => tf.variable(tf.zeros([fanOut]), true));
  }
  return params;
}

