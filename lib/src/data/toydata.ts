/**
 * Seeded 2-D toy data sets for pictures of decision boundaries: two linearly separable blobs, and
 * sets no straight line can separate (XOR, two moons, concentric circles, a multi-class spiral).
 * Each returns `Examples` with d = 2 (x row-major [N, 2]) and integer labels.
 */
import { createRng, permutation, type Rng } from "../core/random.js";
import type { Examples } from "../core/types.js";
import { checkFiniteNumber, checkKnownOptions, describeValue, InvalidInputError } from "../core/checks.js";

/** More points than any picture needs; a bigger count is a typo that would exhaust memory. */
export const MAX_TOY_POINTS = 10_000_000;

function checkCount(n: unknown, what = "n"): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 2 || n > MAX_TOY_POINTS) {
    throw new InvalidInputError(what, `${what} must be an integer from 2 to ${MAX_TOY_POINTS.toLocaleString("en-US")}, got ${describeValue(n)}`);
  }
}

/**
 * Checks a toy set's options: no unknown names, a finite seed, and each spread-like setting
 * (noise, spread, margin, gap) a finite number ≥ 0. Counts are checked by `checkCount`.
 */
function checkToyOptions(options: object, what: string, known: readonly string[]): void {
  checkKnownOptions(options, [...known, "seed"], `${what} options`);
  const values = options as Record<string, unknown>;
  if (values.seed !== undefined) checkFiniteNumber(values.seed, "seed");
  for (const name of ["noise", "spread", "margin", "gap"]) {
    const value = values[name];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value < 0)) {
      throw new InvalidInputError(name, `${what}: ${name} must be a finite number ≥ 0, got ${describeValue(value)}`);
    }
  }
}

/** Shuffles rows so classes are interleaved (order matters to the perceptron). */
function shuffled(points: number[][], labels: number[], seed: number): Examples {
  const order = permutation(labels.length, seed);
  const x = new Float32Array(labels.length * 2);
  const y = new Int32Array(labels.length);
  order.forEach((from, i) => {
    x[2 * i] = points[from]![0]!;
    x[2 * i + 1] = points[from]![1]!;
    y[i] = labels[from]!;
  });
  return { x, y, n: labels.length, d: 2 };
}

/**
 * `n` points, labels alternating 0, 1, 0, ... (half per class), each drawn by `point(label)`;
 * then shuffled with a seed taken from `rng` after the last point.
 */
function twoClasses(n: number, rng: Rng, point: (label: number) => [number, number]): Examples {
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    points.push(point(label));
    labels.push(label);
  }
  return shuffled(points, labels, rng.seed());
}

export interface BlobsOptions {
  /** Total points, half per class (default 200). */
  n?: number;
  /** Distance between the two centres (default 3). */
  separation?: number;
  /** Standard deviation of each blob (default 0.7). */
  spread?: number;
  /**
   * Points closer than this to the perpendicular bisector of the centres are redrawn, so the blobs
   * are linearly separable with at least this margin (default 0.2; 0 allows overlap).
   */
  margin?: number;
  seed?: number;
}

/** Two Gaussian blobs, class 0 around (−s/2·(1,1)/√2) and class 1 around (+s/2·(1,1)/√2). */
export function toyBlobs(options: BlobsOptions = {}): Examples {
  checkToyOptions(options, "toyBlobs", ["n", "separation", "spread", "margin"]);
  if (options.separation !== undefined) checkFiniteNumber(options.separation, "separation");
  const n = options.n ?? 200;
  checkCount(n);
  const s = options.separation ?? 3;
  const spread = options.spread ?? 0.7;
  const margin = options.margin ?? 0.2;
  const rng = createRng(options.seed ?? 0);
  const u = Math.SQRT1_2;
  return twoClasses(n, rng, (label) => {
    const sign = label === 1 ? 1 : -1;
    for (let attempt = 0; ; attempt++) {
      const px = sign * (s / 2) * u + spread * rng.normal();
      const py = sign * (s / 2) * u + spread * rng.normal();
      const along = (px + py) * u; // signed distance to the bisector x + y = 0
      if (margin <= 0 || sign * along >= margin) return [px, py];
      if (attempt > 1000) throw new InvalidInputError("margin", "toyBlobs: margin too large for this separation and spread");
    }
  });
}

/**
 * XOR: points uniform in the four squares gap < |x|, |y| < 1, half of them per class; label 1 when
 * x and y have different signs. The points near the axes are left out so the classes do not touch.
 */
export function toyXor(options: { n?: number; gap?: number; seed?: number } = {}): Examples {
  checkToyOptions(options, "toyXor", ["n", "gap"]);
  const n = options.n ?? 200;
  checkCount(n);
  const gap = options.gap ?? 0.1;
  if (!(gap >= 0 && gap < 1)) throw new InvalidInputError("gap", `gap must be in [0, 1), got ${gap}`);
  const rng = createRng(options.seed ?? 0);
  return twoClasses(n, rng, (label) => {
    const signX = rng.next() < 0.5 ? -1 : 1;
    const signY = label === 1 ? -signX : signX;
    return [signX * rng.uniform(gap, 1), signY * rng.uniform(gap, 1)];
  });
}

/** Two interleaved half circles (as scikit-learn's make_moons), with Gaussian noise. */
export function toyMoons(options: { n?: number; noise?: number; seed?: number } = {}): Examples {
  checkToyOptions(options, "toyMoons", ["n", "noise"]);
  const n = options.n ?? 200;
  checkCount(n);
  const noise = options.noise ?? 0.1;
  const rng = createRng(options.seed ?? 0);
  return twoClasses(n, rng, (label) => {
    const t = Math.PI * rng.next();
    const px = label === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const py = label === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    return [px + noise * rng.normal(), py + noise * rng.normal()];
  });
}

/** A small circle (class 1, radius `factor`) inside a big one (class 0, radius 1), with noise. */
export function toyCircles(options: { n?: number; noise?: number; factor?: number; seed?: number } = {}): Examples {
  checkToyOptions(options, "toyCircles", ["n", "noise", "factor"]);
  if (options.factor !== undefined && !(typeof options.factor === "number" && options.factor > 0 && options.factor < 1)) {
    throw new InvalidInputError("factor", `toyCircles: factor (inner radius / outer) must be a number in (0, 1), got ${describeValue(options.factor)}`);
  }
  const n = options.n ?? 200;
  checkCount(n);
  const noise = options.noise ?? 0.05;
  const factor = options.factor ?? 0.5;
  const rng = createRng(options.seed ?? 0);
  return twoClasses(n, rng, (label) => {
    const r = label === 1 ? factor : 1;
    const t = 2 * Math.PI * rng.next();
    return [r * Math.cos(t) + noise * rng.normal(), r * Math.sin(t) + noise * rng.normal()];
  });
}

/** The classic multi-class spiral: `classes` arms of `nPerClass` points each (labels 0..classes−1). */
export function toySpiral(options: { nPerClass?: number; classes?: number; noise?: number; seed?: number } = {}): Examples {
  checkToyOptions(options, "toySpiral", ["nPerClass", "classes", "noise"]);
  const perClass = options.nPerClass ?? 100;
  const classes = options.classes ?? 3;
  checkCount(perClass, "nPerClass");
  checkCount(classes, "classes");
  if (perClass * classes > MAX_TOY_POINTS) {
    throw new InvalidInputError("nPerClass", `toySpiral: nPerClass × classes = ${perClass * classes} points, more than the ${MAX_TOY_POINTS.toLocaleString("en-US")} allowed`);
  }
  const noise = options.noise ?? 0.2;
  const rng = createRng(options.seed ?? 0);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = i / (perClass - 1);
      const t = 4 * c + (4 * i) / (perClass - 1) + noise * rng.normal(); // as in the CS231n demo
      points.push([r * Math.sin(t), r * Math.cos(t)]);
      labels.push(c);
    }
  }
  return shuffled(points, labels, rng.seed());
}
