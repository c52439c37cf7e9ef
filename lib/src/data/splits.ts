/**
 * Building a dataset from its train and test pools: seeded subsets, the validation split, pixel
 * scaling, and the record of which source rows went where (`sourceIndices`).
 */
import { InvalidInputError } from "../core/checks.js";
import type { Examples } from "../core/types.js";
import type { IdxImagesAndLabels } from "./idx.js";
import { createRng, permutation } from "../core/random.js";
import { splitValidation } from "./preprocess.js";
import { type DatasetSourceIndices, type LoadedDataset, type ResolvedOptions } from "./options.js";
// ---------------------------------------------------------------------------------------------
// Building splits.

export function buildDataset(
  name: string,
  trainPool: IdxImagesAndLabels,
  testPool: IdxImagesAndLabels,
  classNames: readonly string[],
  source: string,
  options: ResolvedOptions,
): LoadedDataset {
  const nTrain = options.nTrain ?? trainPool.n;
  const nTest = options.nTest ?? testPool.n;
  if (nTrain > trainPool.n) throw new InvalidInputError("nTrain", `${name} has ${trainPool.n} training examples; nTrain=${nTrain} is too many`);
  if (nTest > testPool.n) throw new InvalidInputError("nTest", `${name} has ${testPool.n} test examples; nTest=${nTest} is too many`);
  // Independent seeded orders for the two files; child seeds keep them from being the same order.
  const rng = createRng(options.seed);
  const trainIndices = permutation(trainPool.n, rng.seed()).slice(0, nTrain);
  const testIndices = permutation(testPool.n, rng.seed()).slice(0, nTest);
  return finishDataset(name, trainPool, trainIndices, testPool, testIndices, classNames, source, options, false);
}

function gatherRows(pool: IdxImagesAndLabels, indices: Int32Array, scale: "unit" | "raw"): Examples {
  const d = pool.rows * pool.cols;
  const n = indices.length;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  // A 256-entry table turns the per-pixel work into one lookup (and gives exactly k/255).
  const valueOf = new Float32Array(256);
  for (let v = 0; v < 256; v++) valueOf[v] = scale === "unit" ? v / 255 : v;
  const { pixels, labels } = pool;
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    const from = i * d;
    const to = k * d;
    for (let j = 0; j < d; j++) x[to + j] = valueOf[pixels[from + j]!]!;
    y[k] = labels[i]!;
  }
  return { x, y, n, d };
}

export function finishDataset(
  name: string,
  trainPool: IdxImagesAndLabels,
  trainIndices: Int32Array,
  testPool: IdxImagesAndLabels,
  testIndices: Int32Array,
  classNames: readonly string[],
  source: string,
  options: ResolvedOptions,
  sharedPool: boolean,
): LoadedDataset {
  let train = gatherRows(trainPool, trainIndices, options.scale);
  const test = gatherRows(testPool, testIndices, options.scale);
  const trainPoolName = sharedPool ? `${name} pool` : `${name} training file`;
  const sourceIndices: DatasetSourceIndices = {
    pools: { train: trainPoolName, validation: trainPoolName, test: sharedPool ? `${name} pool` : `${name} test file` },
    train: trainIndices,
    test: testIndices,
  };
  let validation: Examples | undefined;
  const validationCount = options.validation ?? 0;
  if (validationCount > 0) {
    if (validationCount >= train.n) {
      throw new InvalidInputError("validation", `${name}: validation=${validationCount} leaves no training examples out of nTrain=${train.n}`);
    }
    // A seed distinct from the split's, derived from it, so validation is seeded but not tied to the test order.
    const split = splitValidation(train, validationCount, createRng(options.seed ^ 0x5bd1e995).seed());
    sourceIndices.train = Int32Array.from(split.trainIndices, (i) => trainIndices[i]!);
    sourceIndices.validation = Int32Array.from(split.validationIndices, (i) => trainIndices[i]!);
    train = split.train;
    validation = split.validation;
  }
  const dataset: LoadedDataset = {
    name,
    train,
    test,
    imageShape: [trainPool.rows, trainPool.cols],
    classNames: [...classNames],
    sourceIndices,
    scale: options.scale,
    source,
  };
  if (validation) dataset.validation = validation;
  return dataset;
}
