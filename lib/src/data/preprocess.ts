/**
 * Preprocessing on plain typed arrays: checking examples, scaling pixels, the mean image and its
 * subtraction (mean from train only, applied to every split), seeded subsets and validation
 * splits, class counts, and the step from `Examples` to tensors.
 * Everything works row-wise on Float32Arrays, so a 60,000-image set takes milliseconds.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Dataset, Examples } from "../core/types.js";
import { checkExamples, checkFiniteNumber, checkLabels, checkPositiveInteger, describeValue, InvalidInputError } from "../core/checks.js";
import { permutation } from "../core/random.js";

/** Builds `Examples` from features [n, d] and labels [n], checking the shapes agree. */
export function makeExamples(x: Float32Array, y: Int32Array, d: number): Examples {
  if (!Number.isInteger(d) || d <= 0) throw new InvalidInputError("d", `makeExamples: d must be a positive integer, got ${d}`);
  if (x.length % d !== 0) throw new InvalidInputError("x", `makeExamples: x has ${x.length} values, not a multiple of d=${d}`);
  const n = x.length / d;
  if (y.length !== n) throw new InvalidInputError("x", `makeExamples: x has ${n} rows of ${d}, but y has ${y.length} labels`);
  return { x, y, n, d };
}

/** Pixel bytes (or values) times `factor`, as a new Float32Array; 1/255 maps 0..255 onto [0, 1]. */
export function bytesToFloat32(values: Uint8Array | Float32Array, factor = 1): Float32Array {
  const out = new Float32Array(values.length);
  if (factor === 1) {
    out.set(values);
  } else {
    for (let i = 0; i < values.length; i++) out[i] = values[i]! * factor;
  }
  return out;
}

/** Examples with features divided by `maxValue` (default 255), so 0..255 pixels land in [0, 1]. */
export function scaleToUnit(ex: Examples, maxValue = 255): Examples {
  if (!(maxValue > 0)) throw new InvalidInputError("maxValue", `scaleToUnit: maxValue must be positive, got ${maxValue}`);
  return { x: bytesToFloat32(ex.x, 1 / maxValue), y: ex.y, n: ex.n, d: ex.d };
}

/** The mean image: column means of x, [D]. Accumulates in float64 so 60,000 rows stay exact. */
export function meanImage(ex: Examples): Float32Array {
  assertShape(ex, "meanImage");
  if (ex.n === 0) throw new InvalidInputError("examples", "meanImage: no examples to average");
  const { x, n, d } = ex;
  const sums = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const offset = i * d;
    for (let j = 0; j < d; j++) sums[j]! += x[offset + j]!;
  }
  const mean = new Float32Array(d);
  for (let j = 0; j < d; j++) mean[j] = sums[j]! / n;
  return mean;
}

/** x minus `mean` in every row, as new Examples. `mean` is [D]. */
export function subtractMean(ex: Examples, mean: Float32Array): Examples {
  assertShape(ex, "subtractMean");
  if (mean.length !== ex.d) {
    throw new InvalidInputError("mean", `subtractMean: mean has ${mean.length} values, but examples have d=${ex.d} features`);
  }
  const { x, n, d } = ex;
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) {
    const offset = i * d;
    for (let j = 0; j < d; j++) out[offset + j] = x[offset + j]! - mean[j]!;
  }
  return { x: out, y: ex.y, n, d };
}

/**
 * Mean-image subtraction done right: the mean comes from the training split only (using test
 * data would leak it into training) and is subtracted from train, validation and test alike.
 */
export function subtractTrainMean<T extends Dataset>(dataset: T): { dataset: T; mean: Float32Array } {
  const mean = meanImage(dataset.train);
  const centred: T = {
    ...dataset,
    train: subtractMean(dataset.train, mean),
    test: subtractMean(dataset.test, mean),
  };
  if (dataset.validation) centred.validation = subtractMean(dataset.validation, mean);
  return { dataset: centred, mean };
}

/** The rows at `indices` (in that order), as new Examples. */
export function selectExamples(ex: Examples, indices: ArrayLike<number>): Examples {
  assertShape(ex, "selectExamples");
  const { d } = ex;
  const count = indices.length;
  const x = new Float32Array(count * d);
  const y = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ex.n) {
      throw new InvalidInputError("indices", `selectExamples: index ${i} (position ${k}) is out of range 0..${ex.n - 1}`);
    }
    x.set(ex.x.subarray(i * d, (i + 1) * d), k * d);
    y[k] = ex.y[i]!;
  }
  return { x, y, n: count, d };
}

/** A seeded random subset of `count` rows, with the chosen row indices. */
export function subsetExamples(ex: Examples, count: number, seed: number): { examples: Examples; indices: Int32Array } {
  if (!Number.isInteger(count) || count < 0) throw new InvalidInputError("count", `subsetExamples: count must be a non-negative integer, got ${count}`);
  if (count > ex.n) throw new InvalidInputError("count", `subsetExamples: asked for ${count} examples, but only ${ex.n} are available`);
  const indices = permutation(ex.n, seed).slice(0, count);
  return { examples: selectExamples(ex, indices), indices };
}

/** A train/validation split: `validationCount` seeded-random rows become validation, the rest train. */
export interface ValidationSplit {
  train: Examples;
  validation: Examples;
  /** Rows of the input that went to train / validation, in their new order. */
  trainIndices: Int32Array;
  validationIndices: Int32Array;
}

/** Carves `validationCount` seeded-random rows out of `ex` as a validation split. */
export function splitValidation(ex: Examples, validationCount: number, seed: number): ValidationSplit {
  if (!Number.isInteger(validationCount) || validationCount < 0) {
    throw new InvalidInputError("validationCount", `splitValidation: validation count must be a non-negative integer, got ${validationCount}`);
  }
  if (validationCount >= ex.n) {
    throw new InvalidInputError("validationCount", 
      `splitValidation: cannot carve ${validationCount} validation examples out of ${ex.n} and keep any for training`,
    );
  }
  const order = permutation(ex.n, seed);
  const validationIndices = order.slice(0, validationCount);
  // Train keeps its original order, so a prefix of train is still the same subset as before.
  const trainIndices = order.slice(validationCount).sort();
  return {
    train: selectExamples(ex, trainIndices),
    validation: selectExamples(ex, validationIndices),
    trainIndices,
    validationIndices,
  };
}

/** How many examples of each class, [C]. Labels outside 0..numClasses-1 are an error. */
export function classCounts(ex: Examples | Int32Array, numClasses: number): Int32Array {
  const y = ex instanceof Int32Array ? ex : ex.y;
  checkLabels(y, numClasses, "classCounts labels");
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  return counts;
}

/** Row indices whose label is `label`, in order; at most `limit` of them. */
export function indicesOfClass(ex: Examples, label: number, limit = Infinity): Int32Array {
  const found: number[] = [];
  for (let i = 0; i < ex.n && found.length < limit; i++) if (ex.y[i] === label) found.push(i);
  return Int32Array.from(found);
}

/** The examples whose label is `label` (first `limit` of them, in order), e.g. to show a row of "7"s. */
export function examplesOfClass(ex: Examples, label: number, limit = Infinity): Examples {
  return selectExamples(ex, indicesOfClass(ex, label, limit));
}

/**
 * Every image moved `dx` pixels right and `dy` pixels down (negative: left/up); pixels shifted in
 * from outside the frame take `fill` (default 0, the background). Used to show that pixel
 * distances are not shift-invariant. `imageShape` is [rows, cols] with rows * cols = D.
 */
export function shiftImages(ex: Examples, imageShape: [number, number], dx: number, dy = 0, fill = 0): Examples {
  checkExamples(ex, "shiftImages");
  if (!Array.isArray(imageShape) || imageShape.length !== 2) {
    throw new InvalidInputError("imageShape", `shiftImages: imageShape must be [rows, cols], got ${describeValue(imageShape)}`);
  }
  const [rows, cols] = imageShape;
  checkPositiveInteger(rows, "imageShape[0] (rows)");
  checkPositiveInteger(cols, "imageShape[1] (cols)");
  if (rows * cols !== ex.d) throw new InvalidInputError("imageShape", `shiftImages: image shape ${rows}×${cols} does not match D = ${ex.d}`);
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new InvalidInputError("dx", `shiftImages: shifts must be whole pixels, got dx=${describeValue(dx)}, dy=${describeValue(dy)}`);
  if (Math.abs(dx) >= cols || Math.abs(dy) >= rows) {
    throw new InvalidInputError("dx", `shiftImages: a shift of dx=${dx}, dy=${dy} moves every pixel out of a ${rows}×${cols} image; shifts must be smaller than the image`);
  }
  checkFiniteNumber(fill, "fill");
  const x = new Float32Array(ex.x.length).fill(fill);
  for (let i = 0; i < ex.n; i++) {
    const base = i * ex.d;
    for (let r = Math.max(0, dy); r < Math.min(rows, rows + dy); r++) {
      const from = base + (r - dy) * cols;
      const to = base + r * cols;
      const c0 = Math.max(0, dx);
      const c1 = Math.min(cols, cols + dx);
      x.set(ex.x.subarray(from + c0 - dx, from + c1 - dx), to + c0);
    }
  }
  return { x, y: ex.y, n: ex.n, d: ex.d };
}

/**
 * Examples as tensors: x [N, D] float32 and y [N] int32. Checks the examples first (shapes,
 * NaN, negative labels; label range too when `numClasses` is given). The caller owns (disposes)
 * both tensors.
 */
export function toTensors(ex: Examples, numClasses?: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  checkExamples(ex, "toTensors", { numClasses });
  return {
    x: tf.tensor2d(ex.x, [ex.n, ex.d], "float32"),
    y: tf.tensor1d(ex.y, "int32"),
  };
}

function assertShape(ex: Examples, where: string): void {
  if (ex.x.length !== ex.n * ex.d || ex.y.length !== ex.n) {
    throw new InvalidInputError("examples", 
      `${where}: inconsistent examples: x has ${ex.x.length} values and y ${ex.y.length} labels, but n=${ex.n}, d=${ex.d}`,
    );
  }
}
