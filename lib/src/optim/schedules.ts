/**
 * Learning-rate schedules: pure functions from the iteration number (0, 1, 2, ...) to a learning rate.
 * `trainModel` calls the schedule once per iteration. Epoch-based rules (step decay "×0.1 at epochs
 * 10 and 20") are given in iterations: multiply epochs by iterations per epoch.
 */

import { checkNonNegativeInteger, checkPositiveInteger, checkPositiveNumber, describeValue, InvalidInputError } from "../core/checks.js";

/** Learning rate at iteration t (t = 0 for the first update). */
export type LearningRateSchedule = (iteration: number) => number;

const checkRate = (lr: number): void => checkPositiveNumber(lr, "learning rate");
const checkTotal = (total: number): void => checkPositiveInteger(total, "total iterations");

/** α(t) = α₀. */
export function constantSchedule(lr: number): LearningRateSchedule {
  checkRate(lr);
  return () => lr;
}

/**
 * Step decay: α(t) = α₀ · factor^(number of boundaries ≤ t). `boundaries` are iterations
 * (e.g. [10, 20] × iterationsPerEpoch); factor 0.1 by default.
 */
export function stepDecaySchedule(lr: number, boundaries: number[], factor = 0.1): LearningRateSchedule {
  checkRate(lr);
  checkPositiveNumber(factor, "decay factor");
  if (!Array.isArray(boundaries)) {
    throw new InvalidInputError("boundaries", `boundaries must be an array of iterations, got ${describeValue(boundaries)}`);
  }
  boundaries.forEach((b, i) => checkNonNegativeInteger(b, `boundaries[${i}]`));
  const sorted = [...boundaries].sort((a, b) => a - b);
  return (t) => {
    let drops = 0;
    for (const boundary of sorted) if (t >= boundary) drops++;
    return lr * factor ** drops;
  };
}

/** Cosine: α(t) = ½α₀(1 + cos(πt/T)), from α₀ at t = 0 to 0 at t = T (held at 0 after). */
export function cosineSchedule(lr: number, totalIterations: number): LearningRateSchedule {
  checkRate(lr);
  checkTotal(totalIterations);
  return (t) => 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(t, totalIterations)) / totalIterations));
}

/** Linear: α(t) = α₀(1 − t/T), from α₀ to 0 at t = T (held at 0 after). */
export function linearSchedule(lr: number, totalIterations: number): LearningRateSchedule {
  checkRate(lr);
  checkTotal(totalIterations);
  return (t) => lr * (1 - Math.min(t, totalIterations) / totalIterations);
}

/** Inverse square root: α(t) = α₀/√(t + 1) (t + 1 so the first update uses α₀). */
export function inverseSqrtSchedule(lr: number): LearningRateSchedule {
  checkRate(lr);
  return (t) => lr / Math.sqrt(t + 1);
}

/**
 * Linear warm-up in front of any schedule: α(t) = inner(t) · (t + 1)/W for t < W, then inner(t).
 * Large learning rates are safer once the first steps have moved the weights away from their start.
 */
export function warmupSchedule(inner: LearningRateSchedule, warmupIterations: number): LearningRateSchedule {
  checkTotal(warmupIterations);
  return (t) => (t < warmupIterations ? (inner(t) * (t + 1)) / warmupIterations : inner(t));
}

/** A number becomes a constant schedule; a schedule is returned as is. */
export function asSchedule(lr: number | LearningRateSchedule): LearningRateSchedule {
  if (typeof lr === "function") return lr;
  if (typeof lr !== "number") {
    throw new InvalidInputError("learningRate", `learningRate must be a positive number or a schedule (iteration → rate), got ${describeValue(lr)}`);
  }
  return constantSchedule(lr);
}

/**
 * The rate `schedule` gives for `iteration`, checked: a schedule that returns a negative, zero,
 * non-finite or non-number rate would silently ascend or corrupt the weights, so it is an error.
 */
export function scheduledRate(schedule: LearningRateSchedule, iteration: number): number {
  const lr: unknown = schedule(iteration);
  if (typeof lr !== "number" || !Number.isFinite(lr) || lr <= 0) {
    throw new InvalidInputError(
      "learningRate",
      `the learning-rate schedule returned ${describeValue(lr)} at iteration ${iteration}; a learning rate must be a positive finite number`,
    );
  }
  return lr;
}
