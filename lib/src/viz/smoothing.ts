/**
 * Smoothing for noisy curves such as mini-batch losses.
 */
import { InvalidInputError } from "../core/checks.js";

// ---------------------------------------------------------------------------------------------
// Smoothing

/**
 * Exponential moving average with bias correction (what TensorBoard's smoothing slider does):
 * s_t = weight·s_{t−1} + (1−weight)·x_t with s_0 = 0, reported as s_t / (1 − weight^t), so the
 * first points are not pulled towards zero. Non-finite values (a diverged loss) give NaN at
 * their position and do not disturb the average. `weight` in [0, 1); 0 returns the input.
 */
export function smoothEma(values: ArrayLike<number>, weight = 0.9): number[] {
  if (!(weight >= 0 && weight < 1)) throw new InvalidInputError("weight", `smoothing weight must be in [0, 1), got ${weight}`);
  const out = new Array<number>(values.length);
  let average = 0;
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    seen++;
    average = weight * average + (1 - weight) * v;
    out[i] = average / (1 - weight ** seen);
  }
  return out;
}

/**
 * Trailing moving average over `window` points: out[i] = mean(values[i−window+1 .. i]), using
 * the points available at the start. Non-finite values are left out of the means (NaN if a
 * window has none).
 */
export function smoothWindow(values: ArrayLike<number>, window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new InvalidInputError("window", `window must be a positive integer, got ${window}`);
  const out = new Array<number>(values.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (i >= window) {
      const old = values[i - window]!;
      if (Number.isFinite(old)) {
        sum -= old;
        count--;
      }
    }
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}
