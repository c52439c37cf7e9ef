/**
 * Gradient checking: compare an analytic gradient with the centred numerical estimate
 *   numeric_k = (f(x + h·e_k) − f(x − h·e_k)) / 2h
 * on a seeded sample of coordinates k, by the relative error |a − n| / max(|a| + |n|, floor).
 * Works for any loss: give the parameters, a function that evaluates the loss, and the gradients.
 *
 * Precision decides h and the tolerance:
 * - Float64 loops (`gradCheck`): h = 1e-5, relative tolerance 1e-7 (or absolute 1e-9). The centred difference has truncation
 *   error ~h²·f'''/6 ≈ 1e-10 and rounding error ~1e-16·|f|/h ≈ 1e-11, far below the tolerance.
 * - float32 tensors (`gradCheckTensors`): the loss itself carries rounding error ~1e-7·|f| (more,
 *   after summing thousands of terms), and dividing it by 2h amplifies it by 1/2h. With h = 1e-5
 *   that noise (~1e-2) would swamp a gradient entry of 1e-2; h = 1e-2 balances rounding (~1e-5)
 *   against truncation (~h² = 1e-4 relative for smooth losses). Hence relative tolerance 1e-2, or an
 *   absolute difference ≤ 1e-4 for entries so small that the noise dominates.
 *   With h this large, a kink (below) is within h more often: pick the test point away from kinks.
 *   The step actually taken, fround(x+h) − fround(x−h), replaces 2h in the quotient.
 *
 * Kinks: the hinge max(0, ·) and |w| have no derivative at 0. If x ± h straddles a kink (a margin
 * within h of zero, or a weight within h of zero under L1), the numerical slope mixes the two sides
 * and disagrees with the one-sided analytic value. This is not a bug; it shows up as an occasional
 * failing coordinate, rarer for smaller h. `allowedFailures` tolerates a few; a wrong gradient
 * fails almost every coordinate.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "../core/random.js";
import { InvalidInputError } from "../core/checks.js";

export interface GradCheckOptions {
  /** Coordinates checked per parameter (default 10; all of them if the parameter is smaller). */
  samples?: number;
  /** Finite-difference step (default 1e-5 for Float64, 1e-2 for float32 tensors). */
  h?: number;
  /** Largest acceptable relative error (default 1e-7 for Float64, 1e-2 for float32). */
  tolerance?: number;
  /** Denominator floor of the relative error, only to avoid 0/0 (default 1e-12 Float64, 1e-8 float32). */
  floor?: number;
  /**
   * A coordinate also passes when |a − n| ≤ this (default 1e-9 Float64, 1e-4 float32). A gradient
   * entry that is exactly 0 (e.g. a bias whose hinge counts cancel) meets a numerical estimate made
   * of rounding noise, ~ε·|f|/h (≈1e-11·|f| in Float64), whose relative error is 100%; the absolute
   * test keeps such entries from failing the check.
   */
  absoluteTolerance?: number;
  /** Coordinates allowed over tolerance before the check fails (default 0). */
  allowedFailures?: number;
  /** Seed for the coordinate sample (default 0). */
  seed?: number;
}

/** One checked coordinate. */
export interface GradCheckEntry {
  param: string;
  /** Flat (row-major) index into the parameter. */
  index: number;
  analytic: number;
  numeric: number;
  relativeError: number;
  passed: boolean;
}

export interface GradCheckReport {
  entries: GradCheckEntry[];
  /** The coordinate with the largest relative error. */
  worst: GradCheckEntry;
  failures: number;
  passed: boolean;
  h: number;
  tolerance: number;
  /** "gradient check passed: 20 coordinates, worst relative error 3.1e-10 (W[1234]) ≤ 1e-7". */
  summary: string;
}

/** |a − n| / max(|a| + |n|, floor). */
export function relativeError(analytic: number, numeric: number, floor = 1e-12): number {
  return Math.abs(analytic - numeric) / Math.max(Math.abs(analytic) + Math.abs(numeric), floor);
}

function sampleIndices(size: number, samples: number, rng: ReturnType<typeof createRng>): number[] {
  if (size <= samples) return Array.from({ length: size }, (_, k) => k);
  const chosen = new Set<number>();
  while (chosen.size < samples) chosen.add(rng.int(size));
  return [...chosen];
}

function entry(param: string, index: number, analytic: number, numeric: number, tol: { tolerance: number; floor: number; absolute: number }): GradCheckEntry {
  const err = relativeError(analytic, numeric, tol.floor);
  const passed = err <= tol.tolerance || Math.abs(analytic - numeric) <= tol.absolute;
  return { param, index, analytic, numeric, relativeError: err, passed };
}

function report(entries: GradCheckEntry[], h: number, tolerance: number, allowed: number): GradCheckReport {
  if (entries.length === 0) throw new InvalidInputError("params", "gradient check: no coordinates to check");
  // Entries that pass on the absolute test are rounding noise around 0: report the worst of the others.
  const meaningful = entries.filter((e) => !e.passed || e.relativeError <= tolerance);
  const candidates = meaningful.length > 0 ? meaningful : entries;
  let worst = candidates[0]!;
  for (const e of candidates) if (e.relativeError > worst.relativeError || Number.isNaN(e.relativeError)) worst = e;
  const failures = entries.filter((e) => !e.passed).length;
  const passed = failures <= allowed;
  const summary =
    `gradient check ${passed ? "passed" : "FAILED"}: ${entries.length} coordinates, ` +
    `worst relative error ${worst.relativeError.toExponential(2)} (${worst.param}[${worst.index}]: analytic ${worst.analytic.toExponential(4)}, numeric ${worst.numeric.toExponential(4)}), ` +
    `${failures} over tolerance ${tolerance.toExponential(0)}${allowed > 0 ? ` (${allowed} allowed)` : ""}`;
  return { entries, worst, failures, passed, h, tolerance, summary };
}

function checkShapes(params: Record<string, { length: number }>, grads: Record<string, { length: number }>): void {
  for (const name of Object.keys(params)) {
    const grad = grads[name];
    if (!grad) throw new InvalidInputError("grads", `gradient check: no gradient given for parameter "${name}"`);
    if (grad.length !== params[name]!.length) {
      throw new InvalidInputError("grads", `gradient check: "${name}" has ${params[name]!.length} entries but its gradient ${grad.length}`);
    }
  }
}

/**
 * Float64 gradient check. `loss()` must read the arrays in `params`, which are perturbed in place
 * (one coordinate at a time, restored afterwards). Example:
 *   gradCheck({ params: { W }, grads: { W: dW }, loss: () => svmLossNaive({ W, d, c }, batch).loss })
 */
export function gradCheck(
  problem: { params: Record<string, Float64Array>; grads: Record<string, ArrayLike<number>>; loss: () => number },
  options: GradCheckOptions = {},
): GradCheckReport {
  const h = options.h ?? 1e-5;
  const tolerance = options.tolerance ?? 1e-7;
  const tol = { tolerance, floor: options.floor ?? 1e-12, absolute: options.absoluteTolerance ?? 1e-9 };
  const rng = createRng(options.seed ?? 0);
  checkShapes(problem.params, problem.grads);
  const entries: GradCheckEntry[] = [];
  for (const [name, values] of Object.entries(problem.params)) {
    for (const k of sampleIndices(values.length, options.samples ?? 10, rng)) {
      const original = values[k]!;
      values[k] = original + h;
      const plus = problem.loss();
      values[k] = original - h;
      const minus = problem.loss();
      values[k] = original;
      const numeric = (plus - minus) / (2 * h);
      const analytic = problem.grads[name]![k]!;
      entries.push(entry(name, k, analytic, numeric, tol));
    }
  }
  return report(entries, h, tolerance, options.allowedFailures ?? 0);
}

/**
 * float32 tensor gradient check. `loss(params)` is called with copies of `params` in which one
 * coordinate is perturbed; it returns a scalar tensor (disposed here) or a number.
 */
export function gradCheckTensors(
  problem: {
    params: Record<string, tf.Tensor>;
    grads: Record<string, tf.Tensor>;
    loss: (params: Record<string, tf.Tensor>) => tf.Scalar | number;
  },
  options: GradCheckOptions = {},
): GradCheckReport {
  const h = options.h ?? 1e-2;
  const tolerance = options.tolerance ?? 1e-2;
  const tol = { tolerance, floor: options.floor ?? 1e-8, absolute: options.absoluteTolerance ?? 1e-4 };
  const rng = createRng(options.seed ?? 0);
  const values: Record<string, Float32Array> = {};
  const gradValues: Record<string, Float32Array> = {};
  for (const [name, p] of Object.entries(problem.params)) {
    values[name] = Float32Array.from(p.dataSync() as Float32Array);
    const g = problem.grads[name];
    if (!g) throw new InvalidInputError("grads", `gradient check: no gradient given for parameter "${name}"`);
    gradValues[name] = Float32Array.from(g.dataSync() as Float32Array);
  }
  checkShapes(values, gradValues);
  const evaluate = (name: string, perturbed: Float32Array): number =>
    tf.tidy(() => {
      const p = problem.params[name]!;
      const replaced = { ...problem.params, [name]: tf.tensor(perturbed, p.shape, "float32") };
      const out = problem.loss(replaced);
      return typeof out === "number" ? out : out.dataSync()[0]!;
    });
  const entries: GradCheckEntry[] = [];
  for (const [name, base] of Object.entries(values)) {
    for (const k of sampleIndices(base.length, options.samples ?? 10, rng)) {
      const perturbed = Float32Array.from(base);
      const up = Math.fround(base[k]! + h);
      const down = Math.fround(base[k]! - h);
      perturbed[k] = up;
      const plus = evaluate(name, perturbed);
      perturbed[k] = down;
      const minus = evaluate(name, perturbed);
      const numeric = (plus - minus) / (up - down);
      const analytic = gradValues[name]![k]!;
      entries.push(entry(name, k, analytic, numeric, tol));
    }
  }
  return report(entries, h, tolerance, options.allowedFailures ?? 0);
}
