/**
 * Inverted dropout. In train mode every unit is dropped (set to 0) with probability p and the units
 * that stay are divided by 1 − p, so each unit's expected value is unchanged:
 *   mask = [u ≥ p] / (1 − p) with u ~ Uniform(0, 1) per unit,   out = x ⊙ mask
 * In test mode the layer does nothing (out = x): thanks to the division at training time, no
 * rescaling is needed at test time. Backward: dx = dout ⊙ mask (dout in test mode).
 *
 * p is the probability of DROPPING a unit (PyTorch's convention; the classic course's assignment
 * uses p for the probability of keeping one: its p is 1 − ours). Masks are random but seeded: the
 * same seed gives the same mask, so a training run can be repeated; give each batch its own seed.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkFiniteNumber, checkKnownOptions, checkOneOf, InvalidInputError } from "../core/checks.js";
import { LAYER_MODES, type LayerMode } from "./batchnorm.js";

/** Dropout settings: p (probability of dropping a unit, in [0, 1)), mode, and in train mode the mask's seed. */
export interface DropoutOptions {
  p: number;
  mode: LayerMode;
  seed?: number;
}
const DROPOUT_OPTION_NAMES = ["p", "mode", "seed"] as const;

/** What the backward pass needs: the mask (x's shape; undefined in test mode). */
export interface DropoutCache {
  mask?: tf.Tensor;
}

/** Throws unless p is a probability of dropping in [0, 1): p = 1 would drop every unit (and divide by 0). */
export function checkDropoutProbability(p: unknown, name = "p"): asserts p is number {
  checkFiniteNumber(p, name);
  if (p < 0 || p >= 1) {
    throw new InvalidInputError(name, `dropout: ${name} (the probability of dropping a unit) must be in [0, 1), got ${p}${p === 1 ? ": every unit would be dropped" : ""}`);
  }
}

/** out = x ⊙ mask in train mode, x in test mode (see the header). */
export function dropoutForward<T extends tf.Tensor>(x: T, options: DropoutOptions): { out: T; cache: DropoutCache } {
  checkKnownOptions(options, DROPOUT_OPTION_NAMES, "dropout options");
  if (options === undefined) throw new InvalidInputError("options", `dropout: options { p, mode: "train" | "test", seed } are required`);
  checkDropoutProbability(options.p);
  checkOneOf(options.mode, LAYER_MODES, "mode");
  if (options.mode === "test" || options.p === 0) return { out: x, cache: {} };
  if (options.seed === undefined) {
    throw new InvalidInputError("seed", "dropout in train mode needs a seed for its random mask (the same seed gives the same mask: give every batch its own)");
  }
  checkFiniteNumber(options.seed, "seed");
  // BEGIN SOLUTION dropout-forward (1 pt)
  const u = tf.randomUniform(x.shape, 0, 1, "float32", options.seed);
  const mask = tf.div(tf.cast(tf.greaterEqual(u, options.p), "float32"), 1 - options.p);
  return { out: tf.mul(x, mask) as T, cache: { mask } };
  // END SOLUTION
}

/** dx = dout ⊙ mask (dout itself in test mode). */
export function dropoutBackward<T extends tf.Tensor>(dout: T, cache: DropoutCache): T {
  return cache.mask ? (tf.mul(dout, cache.mask) as T) : dout;
}
