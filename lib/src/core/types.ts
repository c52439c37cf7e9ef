/**
 * Shared data types. Shapes are written [rows, cols]; arrays are row-major.
 * N examples, D features (784 for 28×28 images), C classes.
 */

/** Labelled examples: row i of `x` (D numbers) has label `y[i]` in 0..C-1. */
export interface Examples {
  /** Features, row-major [N, D]. */
  x: Float32Array;
  /** Labels, [N], each an integer in 0..C-1. */
  y: Int32Array;
  /** Number of examples N. */
  n: number;
  /** Features per example D. */
  d: number;
}

/** A classification dataset with its splits. */
export interface Dataset {
  /** Name as passed to `loadDataset` (e.g. "mnist-10k"). */
  name: string;
  train: Examples;
  /** Present once a validation split was carved out of train. */
  validation?: Examples;
  test: Examples;
  /** Image height and width; D = rows * cols. */
  imageShape: [number, number];
  /** Human names of the C classes, index = label. */
  classNames: string[];
}
