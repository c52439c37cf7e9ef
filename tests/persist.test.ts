// .npy files (data/npy.ts) and saving/loading networks (nn/persist.ts): round trips, files NumPy
// itself writes and reads, and clear errors for mismatched or damaged files.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/index.js";
import { decodeNpy, encodeNpy, NpyFormatError, readNpy, toySpiral, writeNpy } from "../lib/src/data/index.js";
import { createNetwork, loadNetwork, loadNetworkWeights, saveNetwork } from "../lib/src/nn/index.js";

const dir = mkdtempSync(join(tmpdir(), "persist-test-"));
before(async () => {
  await initBackend({ log: false });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A Python with numpy, or undefined (the NumPy cross-checks then say they were skipped). */
const numpyPython = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
const skipNumpy = numpyPython ? false : "no python3 with numpy on this machine";

test("encodeNpy: the exact bytes of a version 1.0 header, 64-byte aligned, then float32 little-endian", () => {
  const bytes = encodeNpy([1, -2.5, 3, 4, 5, 6], [2, 3]);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes.readUInt16LE(8);
  assert.equal((10 + headerLength) % 64, 0);
  const header = bytes.toString("latin1", 10, 10 + headerLength);
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
  assert.equal(bytes.length, 10 + headerLength + 6 * 4);
  assert.equal(bytes.readFloatLE(10 + headerLength + 4), -2.5);
  assert.match(encodeNpy([7], [1]).toString("latin1"), /'shape': \(1,\)/);
  const back = decodeNpy(bytes);
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual([...back.data], [1, -2.5, 3, 4, 5, 6]);
});

test("NumPy reads our files and we read NumPy's (float32, float64, int64; 1-d and 2-d)", { skip: skipNumpy }, () => {
  writeNpy(join(dir, "ours.npy"), [0.5, 1.5, -2, 8], [2, 2]);
  const script = `
import numpy as np, sys
a = np.load(sys.argv[1] + "/ours.npy")
assert a.dtype == np.float32 and a.shape == (2, 2), (a.dtype, a.shape)
print(a.sum(), a[1, 0])
np.save(sys.argv[1] + "/f8.npy", np.arange(12, dtype=np.float64).reshape(3, 4) / 4)
np.save(sys.argv[1] + "/i8.npy", np.array([3, -1, 7], dtype=np.int64))
np.save(sys.argv[1] + "/f4.npy", np.array([[1e-3]], dtype=np.float32))
`;
  const out = execFileSync(numpyPython!, ["-c", script, dir], { encoding: "utf8" }).trim();
  assert.equal(out, "8.0 -2.0");
  const f8 = readNpy(join(dir, "f8.npy"));
  assert.equal(f8.dtype, "<f8");
  assert.deepEqual(f8.shape, [3, 4]);
  assert.equal(f8.data[5], 1.25);
  assert.deepEqual([...readNpy(join(dir, "i8.npy")).data], [3, -1, 7]);
  assert.deepEqual(readNpy(join(dir, "f4.npy")).shape, [1, 1]);
});

test("damaged .npy files are named with what is wrong", () => {
  const good = encodeNpy([1, 2, 3, 4], [4]);
  assert.throws(() => decodeNpy(Buffer.from("hello world"), "x.npy"), (e: unknown) => e instanceof NpyFormatError && /x\.npy: not a \.npy file/.test((e as Error).message));
  assert.throws(() => decodeNpy(good.subarray(0, good.length - 4), "short.npy"), /short\.npy: shape \(4\) of '<f4' needs 16 bytes of data, the file has 12/);
  const fortran = Buffer.from(good.toString("latin1").replace("False", "True "), "latin1");
  assert.throws(() => decodeNpy(fortran, "f.npy"), /Fortran-order/);
  const complex = Buffer.from(good.toString("latin1").replace("<f4", "<c8"), "latin1");
  assert.throws(() => decodeNpy(complex, "c.npy"), /dtype '<c8' is not supported/);
  assert.throws(() => readNpy(join(dir, "nope.npy")), /nope\.npy: no such file/);
  assert.throws(() => encodeNpy([1, 2, 3], [2, 2]), /holds 4 values, got 3/);
});

test("save then load gives the same predictions and scores; numpy reproduces the scores from the files", async () => {
  const data = toySpiral({ nPerClass: 60, classes: 3, seed: 2 });
  const net = createNetwork({ layerSizes: [2, 16, 8, 3], activation: "tanh", loss: "svm", reg: 1e-3, seed: 4 });
  await net.fit(data, { learningRate: 0.1, batchSize: 30, epochs: 5, seed: 1, printEvery: 0 });
  const saved = join(dir, "spiral-net");
  const manifest = saveNetwork(net, saved);
  assert.deepEqual(manifest.parameters.map((p) => `${p.file}:${p.shape.join("x")}`), ["W1.npy:2x16", "b1.npy:16", "W2.npy:16x8", "b2.npy:8", "W3.npy:8x3", "b3.npy:3"]);
  const loaded = loadNetwork(saved);
  assert.deepEqual(loaded.layerSizes, [2, 16, 8, 3]);
  assert.equal(loaded.options.activation, "tanh");
  assert.equal(loaded.options.loss, "svm");
  assert.deepEqual([...(await loaded.predict(data))], [...(await net.predict(data))]);
  const x = tf.tensor2d(data.x, [data.n, 2]);
  const [a, b] = [net.scores(x), loaded.scores(x)];
  assert.deepEqual(a.dataSync(), b.dataSync());
  if (numpyPython) {
    // the same forward pass in numpy, from the files alone
    const script = `
import numpy as np, sys
d = sys.argv[1]; x = np.array(${JSON.stringify(Array.from(data.x.subarray(0, 10)))}, dtype=np.float32).reshape(5, 2)
h = np.tanh(x @ np.load(d + "/W1.npy") + np.load(d + "/b1.npy"))
h = np.tanh(h @ np.load(d + "/W2.npy") + np.load(d + "/b2.npy"))
print(" ".join(f"{v:.5f}" for v in (h @ np.load(d + "/W3.npy") + np.load(d + "/b3.npy")).ravel()))
`;
    const fromNumpy = execFileSync(numpyPython, ["-c", script, saved], { encoding: "utf8" }).trim().split(" ").map(Number);
    const ours = Array.from(a.dataSync().subarray(0, 15));
    fromNumpy.forEach((v, i) => assert.ok(Math.abs(v - ours[i]!) < 1e-4, `score ${i}: numpy ${v} vs ours ${ours[i]}`));
  }
  tf.dispose([x, a, b]);
  net.dispose();
  loaded.dispose();
});

test("a mismatched or damaged saved network fails with the file and the shapes", () => {
  const net = createNetwork({ layerSizes: [4, 5, 3], seed: 1 });
  const saved = join(dir, "small-net");
  saveNetwork(net, saved);
  const other = createNetwork({ layerSizes: [4, 6, 3], seed: 1 });
  const before = other.params.W1!.dataSync().slice();
  assert.throws(() => loadNetworkWeights(other, saved), /W1\.npy has shape \[4, 5\], but W1 of a \[4, 6, 3\] network is \[4, 6\]/);
  assert.deepEqual(other.params.W1!.dataSync(), before, "nothing was overwritten");
  loadNetworkWeights(net, saved); // the right shapes load

  writeNpy(join(saved, "b2.npy"), [0, 0], [2]);
  assert.throws(() => loadNetwork(saved), /b2\.npy has shape \[2\], but b2 of a \[4, 5, 3\] network is \[3\]/);
  writeNpy(join(saved, "b2.npy"), [0, Number.NaN, 0], [3]);
  assert.throws(() => loadNetwork(saved), /b2\.npy holds NaN at index 1; weights must be finite/);
  rmSync(join(saved, "b2.npy"));
  assert.throws(() => loadNetwork(saved), /b2\.npy is missing: a \[4, 5, 3\] network needs b2 \[3\]/);
  assert.throws(() => loadNetwork(join(dir, "never-saved")), /no such folder: .*never-saved/);
  assert.throws(() => loadNetwork(dir), /has no network\.json: it is not a saved network/);
  writeFileSync(join(saved, "network.json"), "{ not json");
  assert.throws(() => loadNetwork(saved), /network\.json is not valid JSON/);
  writeFileSync(join(saved, "network.json"), JSON.stringify({ format: "keras" }));
  assert.throws(() => loadNetwork(saved), /is not a saved network \(format "keras"/);
  assert.ok(readFileSync(join(saved, "W1.npy")).length > 0);
  net.dispose();
  other.dispose();
});
