/**
 * Optimisers: update rules that turn gradients into parameter changes. Each updates named
 * `tf.Variable`s in place and keeps its own state (velocities, moment estimates) per name.
 * The learning rate comes from outside on every step, so any schedule plugs in.
 *
 *   SGD            w ← w − α g
 *   momentum       "velocity" form:         v ← ρv + g;      w ← w − α v
 *                  "lr-in-velocity" form:   v ← ρv − α g;    w ← w + v
 *                  (identical while α is constant; they differ when α changes: the first rescales
 *                  the whole accumulated velocity by the new α.)
 *   Nesterov       v_prev = v;  v ← ρv − α g;  w ← w − ρ v_prev + (1 + ρ) v
 *   AdaGrad        G ← G + g²;  w ← w − α g / (√G + ε)
 *   RMSProp        G ← δG + (1 − δ) g²;  w ← w − α g / (√G + ε)
 *   Adam           m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ);
 *                  w ← w − α m̂ / (√v̂ + ε)
 */
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";
import { updateKernel, type UpdateKernel, type UpdateSettings } from "../core/update-kernels.js";
import { checkFormOption, checkOptimizerSettings } from "./settings.js";

/** A pluggable update rule. */
export interface Optimizer {
  readonly name: string;
  /**
   * Updates every parameter that has a gradient, in place (`assign`), with learning rate `lr`.
   * Gradients are read, not disposed.
   */
  step(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void;
  /** Frees the state tensors. The optimiser can be used again afterwards (state restarts at zero). */
  dispose(): void;
}

/** Per-parameter state tensors, created as zeros of the given shape on first use. */
class SlotStore {
  private readonly slots = new Map<string, tf.Variable>();
  get(key: string, shape: readonly number[]): tf.Variable {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = tf.tidy(() => tf.variable(tf.zeros([...shape]), false));
      this.slots.set(key, slot);
    }
    return slot;
  }
  dispose(): void {
    for (const slot of this.slots.values()) slot.dispose();
    this.slots.clear();
  }
}

function forEachParam(
  params: Record<string, tf.Variable>,
  grads: Record<string, tf.Tensor>,
  update: (name: string, param: tf.Variable, grad: tf.Tensor) => void,
): void {
  for (const [name, grad] of Object.entries(grads)) {
    const param = paramOf(params, name, grad);
    tf.tidy(() => update(name, param, grad));
  }
}

/** The parameter a gradient belongs to; throws when there is none or the sizes differ. */
function paramOf(params: Record<string, tf.Variable>, name: string, grad: tf.Tensor): tf.Variable {
  const param = params[name];
  if (!param) throw new InvalidInputError("grads", `gradient for "${name}" but no parameter of that name (have ${Object.keys(params).join(", ")})`);
  if (grad.size !== param.size) {
    throw new InvalidInputError("grads", `gradient for "${name}" has shape [${grad.shape.join(", ")}], parameter [${param.shape.join(", ")}]`);
  }
  return param;
}

/**
 * One update of every parameter with a gradient by a backend's update kernel (core/update-kernels.ts),
 * after the same checks as `forEachParam`; a gradient of another shape with the parameter's size is reshaped.
 */
function fusedStep<Settings>(fused: UpdateKernel<Settings>, params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, settings: Settings): void {
  const targets = Object.entries(grads).map(([name, g]) => [name, g, paramOf(params, name, g)] as const);
  tf.tidy(() => {
    const shaped = targets.map(([name, g, p]) => [name, g.shape.join() === p.shape.join() ? g : tf.reshape(g, p.shape)] as const);
    fused.step(params, Object.fromEntries(shaped), settings);
  });
}

/** Whether an optimiser may hand its update to a backend's own kernel (core/update-kernels.ts). */
export interface FusedOption {
  /** Default true: the backend's kernel for the whole update where it has one; false: the element-wise ops everywhere. */
  fused?: boolean;
}

/** Plain (mini-batch) stochastic gradient descent: w ← w − αg. */
export function sgdOptimizer(options: FusedOption = {}): Optimizer {
  checkOptimizerSettings("sgd", options, {}, ["fused"]);
  // A backend may update each parameter in one kernel of its own (core/update-kernels.ts).
  let fused: UpdateKernel<UpdateSettings["sgd"]> | undefined;
  return {
    name: "sgd",
    step(params, grads, lr) {
      if (options.fused !== false) fused ??= updateKernel("sgd");
      if (fused) return fusedStep(fused, params, grads, { rate: lr });
      forEachParam(params, grads, (_, p, g) => p.assign(tf.sub(p, tf.mul(lr, g))));
    },
    dispose() {
      fused?.dispose();
      fused = undefined;
    },
  };
}

export interface MomentumOptions {
  /** ρ, default 0.9. */
  momentum?: number;
  /** "velocity" (v ← ρv + g; w ← w − αv) or "lr-in-velocity" (v ← ρv − αg; w ← w + v). Default "velocity". */
  form?: "velocity" | "lr-in-velocity";
}

/** SGD with momentum (see the module header for both forms). */
export function momentumOptimizer(options: MomentumOptions = {}): Optimizer {
  checkOptimizerSettings("momentum", options, { momentum: "[0, 1)" }, ["form"]);
  checkFormOption(options.form);
  const rho = options.momentum ?? 0.9;
  const form = options.form ?? "velocity";
  const velocity = new SlotStore();
  return {
    name: `momentum(${rho}, ${form})`,
    step(params, grads, lr) {
      forEachParam(params, grads, (name, p, g) => {
        // BEGIN SOLUTION sgd-momentum (2 pts)
        const v = velocity.get(name, p.shape);
        if (form === "velocity") {
          v.assign(tf.add(tf.mul(rho, v), g));
          p.assign(tf.sub(p, tf.mul(lr, v)));
        } else {
          v.assign(tf.sub(tf.mul(rho, v), tf.mul(lr, g)));
          p.assign(tf.add(p, v));
        }
        // END SOLUTION
      });
    },
    dispose: () => velocity.dispose(),
  };
}

/** Nesterov momentum (the "look-ahead" form rewritten in terms of the current weights). */
export function nesterovOptimizer(options: { momentum?: number } = {}): Optimizer {
  checkOptimizerSettings("nesterov", options, { momentum: "[0, 1)" });
  const rho = options.momentum ?? 0.9;
  const velocity = new SlotStore();
  return {
    name: `nesterov(${rho})`,
    step(params, grads, lr) {
      forEachParam(params, grads, (name, p, g) => {
        const v = velocity.get(name, p.shape);
        const previous = tf.clone(v);
        v.assign(tf.sub(tf.mul(rho, v), tf.mul(lr, g)));
        p.assign(tf.add(p, tf.add(tf.mul(-rho, previous), tf.mul(1 + rho, v))));
      });
    },
    dispose: () => velocity.dispose(),
  };
}

/** AdaGrad: per-coordinate rates shrink with the sum of squared gradients. */
export function adagradOptimizer(options: { epsilon?: number } = {}): Optimizer {
  checkOptimizerSettings("adagrad", options, { epsilon: "> 0" });
  const eps = options.epsilon ?? 1e-8;
  const cache = new SlotStore();
  return {
    name: "adagrad",
    step(params, grads, lr) {
      forEachParam(params, grads, (name, p, g) => {
        const G = cache.get(name, p.shape);
        G.assign(tf.add(G, tf.square(g)));
        p.assign(tf.sub(p, tf.div(tf.mul(lr, g), tf.add(tf.sqrt(G), eps))));
      });
    },
    dispose: () => cache.dispose(),
  };
}

/** RMSProp: like AdaGrad with a leaky (decay-rate δ) average of squared gradients. */
export function rmspropOptimizer(options: { decayRate?: number; epsilon?: number } = {}): Optimizer {
  checkOptimizerSettings("rmsprop", options, { decayRate: "[0, 1)", epsilon: "> 0" });
  const decay = options.decayRate ?? 0.99;
  const eps = options.epsilon ?? 1e-8;
  const cache = new SlotStore();
  return {
    name: `rmsprop(${decay})`,
    step(params, grads, lr) {
      forEachParam(params, grads, (name, p, g) => {
        const G = cache.get(name, p.shape);
        G.assign(tf.add(tf.mul(decay, G), tf.mul(1 - decay, tf.square(g))));
        p.assign(tf.sub(p, tf.div(tf.mul(lr, g), tf.add(tf.sqrt(G), eps))));
      });
    },
    dispose: () => cache.dispose(),
  };
}

/** Adam with bias correction (β₁ = 0.9, β₂ = 0.999, ε = 1e-8 by default). */
export function adamOptimizer(options: { beta1?: number; beta2?: number; epsilon?: number } & FusedOption = {}): Optimizer {
  checkOptimizerSettings("adam", options, { beta1: "[0, 1)", beta2: "[0, 1)", epsilon: "> 0" }, ["fused"]);
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  const moments = new SlotStore();
  const steps = new Map<string, number>();
  /** t of this step for the parameters under `key` (the bias corrections count steps from 1). */
  const nextStep = (key: string): number => {
    const t = (steps.get(key) ?? 0) + 1;
    steps.set(key, t);
    return t;
  };
  let fused: UpdateKernel<UpdateSettings["adam"]> | undefined;
  /** α_t and ε_t of step t: the bias corrections folded into two host scalars (see below). */
  const corrected = (lr: number, t: number): { rate: number; epsilon: number } => {
    const root = Math.sqrt(1 - beta2 ** t);
    return { rate: (lr * root) / (1 - beta1 ** t), epsilon: eps * root };
  };
  return {
    name: `adam(${beta1}, ${beta2})`,
    step(params, grads, lr) {
      const names = Object.keys(grads);
      if (names.length === 0) return;
      // A backend may run the whole update as a kernel of its own (core/update-kernels.ts).
      if (options.fused !== false) fused ??= updateKernel("adam");
      if (fused) {
        fusedStep(fused, params, grads, { ...corrected(lr, nextStep(names.join(","))), beta1, beta2 });
        return;
      }
      // All parameters as one flat vector: Adam is 12 element-wise kernels per tensor, and at small
      // batches each kernel call costs more in fixed overhead (~30 µs) than in arithmetic, so one
      // concat, 12 kernels and one split replace 12 kernels per parameter tensor (48 for a 2-layer
      // network). The arithmetic is the same, element by element.
      const targets = names.map((n) => paramOf(params, n, grads[n]!));
      const key = names.join(",");
      const t = nextStep(key);
      const sizes = names.map((n) => grads[n]!.size);
      const total = sizes.reduce((a, b) => a + b, 0);
      const m = moments.get(`${key}/m`, [total]);
      const v = moments.get(`${key}/v`, [total]);
      // The bias corrections folded into two host scalars, as in the Adam paper's efficient form:
      // α m̂ / (√v̂ + ε) = α_t m / (√v + ε_t) with α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ), ε_t = ε √(1 − β₂ᵗ).
      const { rate, epsilon } = corrected(lr, t);
      tf.tidy(() => {
        const g = tf.concat(names.map((n) => tf.reshape(grads[n]!, [-1])));
        // m ← m + (1 − β₁)(g − m) is β₁m + (1 − β₁)g with one op fewer (likewise v).
        m.assign(tf.add(m, tf.mul(1 - beta1, tf.sub(g, m))));
        v.assign(tf.add(v, tf.mul(1 - beta2, tf.sub(tf.square(g), v))));
        const update = tf.div(tf.mul(rate, m), tf.add(tf.sqrt(v), epsilon));
        const pieces = tf.split(update, sizes);
        targets.forEach((p, i) => p.assign(tf.sub(p, tf.reshape(pieces[i]!, p.shape))));
      });
    },
    dispose() {
      moments.dispose();
      fused?.dispose();
      fused = undefined;
      steps.clear();
    },
  };
}

export type OptimizerName = "sgd" | "momentum" | "nesterov" | "adagrad" | "rmsprop" | "adam";
/** Every name `optimizerByName` knows. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

/** An optimiser by name with default settings (for tables of trials). */
export function optimizerByName(name: OptimizerName): Optimizer {
  switch (name) {
    case "sgd":
      return sgdOptimizer();
    case "momentum":
      return momentumOptimizer();
    case "nesterov":
      return nesterovOptimizer();
    case "adagrad":
      return adagradOptimizer();
    case "rmsprop":
      return rmspropOptimizer();
    case "adam":
      return adamOptimizer();
    default:
      throw new InvalidInputError("name", `unknown optimizer "${String(name)}"; use sgd, momentum, nesterov, adagrad, rmsprop or adam`);
  }
}
