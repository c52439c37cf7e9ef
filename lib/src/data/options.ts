/**
 * Dataset names, loading options and result types, class names, the data directory, and option
 * checking: what every dataset source shares (datasets.ts loads; idx-sources.ts, mnist10k.ts and
 * splits.ts do the work).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dataset } from "../core/types.js";
import { checkFiniteNumber, checkKnownOptions, checkNonNegativeInteger, checkOneOf, checkPositiveNumber, describeValue, InvalidInputError } from "../core/checks.js";

export type DatasetName = "mnist-10k" | "fashion-mnist" | "mnist";
export const DATASET_NAMES: readonly DatasetName[] = ["mnist-10k", "fashion-mnist", "mnist"];

/** Why `name` is not a dataset the library knows (`unknown dataset "cifar"; choose one of ...`), or undefined when it is one. */
export function unknownDatasetReason(name: unknown): string | undefined {
  return (DATASET_NAMES as readonly unknown[]).includes(name) ? undefined : `unknown dataset ${describeValue(name)}; choose one of ${DATASET_NAMES.join(", ")}`;
}

/** Throws an InvalidInputError naming `argument` unless `name` is a dataset the library knows. */
export function checkDatasetName(name: unknown, argument = "name"): asserts name is DatasetName {
  const reason = unknownDatasetReason(name);
  if (reason !== undefined) throw new InvalidInputError(argument, reason);
}

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
export const MNIST_10K_TOTAL = 10000;
export const MNIST_10K_DEFAULT_TEST = 2000;
export const DEFAULT_TIMEOUT_MS = 60_000;

/** <repo>/data, found from this file (lib/src/data or lib/dist/data), not from the working directory. */
export function defaultDataDir(): string {
  const fromEnv = process.env[DATA_DIR_ENV_VAR];
  if (fromEnv) return resolve(fromEnv);
  return fileURLToPath(new URL("../../../data/", import.meta.url));
}

export type ResolvedOptions = LoadDatasetOptions & { seed: number; scale: "unit" | "raw"; dataDir: string };

/** Every option `loadDataset` knows (a misspelt one is an error, not a silent default). */
const LOAD_DATASET_OPTIONS: readonly (keyof LoadDatasetOptions)[] = [
  "nTrain", "nTest", "seed", "validation", "dataDir", "scale", "download", "fetch", "mirrors", "timeoutMs", "systemDirs", "cache", "log",
];

export function resolveOptions(options: LoadDatasetOptions): ResolvedOptions {
  checkKnownOptions(options, LOAD_DATASET_OPTIONS, "loadDataset options");
  const seed = options.seed ?? 0;
  checkFiniteNumber(seed, "seed");
  for (const name of ["nTrain", "nTest", "validation"] as const) {
    if (options[name] !== undefined) checkNonNegativeInteger(options[name], name);
  }
  if (options.timeoutMs !== undefined) checkPositiveNumber(options.timeoutMs, "timeoutMs");
  const scale = options.scale ?? "unit";
  checkOneOf(scale, ["unit", "raw"], "scale");
  const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir();
  return { ...options, seed, scale, dataDir };
}

