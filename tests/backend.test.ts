import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { chooseBackend, initBackend, backendInfo, fastMatrixProducts, type BackendLoader, type BackendName } from "../lib/src/runtime/backend.js";

const unavailable = (why: string): BackendLoader => async () => {
  throw new Error(why);
};
const realCpu: BackendLoader = async () => {
  await import("@tensorflow/tfjs-backend-cpu");
  return { threads: 1, detail: "plain JavaScript" };
};
const realWasm: BackendLoader = async () => {
  await import("@tensorflow/tfjs-backend-wasm");
  return { threads: 1, detail: "WebAssembly SIMD" };
};

test("falls back from a missing tensorflow backend to wasm, and says why", async () => {
  const info = await chooseBackend(undefined, {
    tensorflow: unavailable("Cannot find package '@tensorflow/tfjs-node'"),
    wasm: realWasm,
    cpu: realCpu,
  });
  assert.equal(info.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.deepEqual(info.skipped.map((s) => s.name), ["tensorflow"]);
  assert.match(info.summary, /skipped tensorflow: Cannot find package/);
  assert.equal(info.forced, false);
});

test("falls back to cpu when neither tensorflow nor wasm loads", async () => {
  const info = await chooseBackend(undefined, {
    tensorflow: unavailable("no native library"),
    wasm: unavailable("no WebAssembly"),
    cpu: realCpu,
  });
  assert.equal(info.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(info.skipped.map((s) => s.name), ["tensorflow", "wasm"]);
  // the chosen backend actually computes
  const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
  assert.deepEqual(sum, [4, 6]);
});

test("a forced backend that cannot load is an error, not a silent fallback", async () => {
  const loaders: Record<BackendName, BackendLoader> = {
    tensorflow: unavailable("Cannot find package '@tensorflow/tfjs-node'"),
    wasm: realWasm,
    cpu: realCpu,
  };
  await assert.rejects(chooseBackend("tensorflow", loaders), /CLASSIFIERS_BACKEND=tensorflow, but that backend cannot load: Cannot find package/);
  const forced = await chooseBackend("cpu", loaders);
  assert.equal(forced.name, "cpu");
  assert.equal(forced.forced, true);
});

test("when every backend fails the error lists each reason", async () => {
  await assert.rejects(
    chooseBackend(undefined, { tensorflow: unavailable("a"), wasm: unavailable("b"), cpu: unavailable("c") }),
    /tensorflow: a; wasm: b; cpu: c/,
  );
});

test("CLASSIFIERS_BACKEND is validated and honoured by initBackend", async () => {
  const saved = process.env.CLASSIFIERS_BACKEND;
  try {
    process.env.CLASSIFIERS_BACKEND = "gpu";
    await assert.rejects(initBackend({ log: false }), /CLASSIFIERS_BACKEND=gpu is not a backend; use one of tensorflow, wasm, cpu/);
    process.env.CLASSIFIERS_BACKEND = "cpu";
    const info = await initBackend({ log: false });
    assert.equal(info.name, "cpu");
    assert.equal(backendInfo().name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
  } finally {
    if (saved === undefined) delete process.env.CLASSIFIERS_BACKEND;
    else process.env.CLASSIFIERS_BACKEND = saved;
  }
});

test("the native backend names TensorFlow's version and how tfjs-node was installed", async (t) => {
  let info;
  try {
    info = await chooseBackend("tensorflow");
  } catch (err) {
    // Only a run that asks for the native backend (CI's CLASSIFIERS_BACKEND=tensorflow) must have it.
    if (process.env.CLASSIFIERS_BACKEND === "tensorflow") throw err;
    t.skip(`tfjs-node does not load here: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  assert.equal(tf.getBackend(), "tensorflow");
  assert.equal(fastMatrixProducts(), true, "kNN's \"auto\" searches densely on the native backend");
  assert.ok(info.native, "native info is set for the tensorflow backend");
  assert.match(info.native.tensorflowVersion, /^\d+\.\d+\.\d+/);
  assert.match(info.native.tfjsNodeVersion, /^\d+\.\d+\.\d+$/);
  assert.match(info.native.route, /tfjs-node's own install|built against the tensorflow-cpu \d+\.\d+\.\d+ wheel/);
  assert.ok(info.summary.includes(`TensorFlow ${info.native.tensorflowVersion}`), info.summary);
  // and it computes: a product checked by hand
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).arraySync());
  assert.deepEqual(product, [[17], [39]]);
});

test("sign is exact on every backend, tiny values included (wasm's own kernel gives sign(1e-7) = 0)", async () => {
  const loaders = { tensorflow: unavailable("not needed here"), wasm: realWasm, cpu: realCpu };
  for (const name of ["wasm", "cpu"] as const) {
    await chooseBackend(name, loaders);
    assert.equal(tf.getBackend(), name);
    const values = tf.tidy(() => tf.sign(tf.tensor1d([1e-7, -1e-7, 0, 2.5, -3e20, 1e-30])).arraySync());
    assert.deepEqual(values, [1, -1, 0, 1, -1, 1], name);
    assert.equal(fastMatrixProducts(), false, `${name}: kNN's "auto" may prune here`);
  }
});

test("products with transposed operands agree on every backend (wasm transposes them itself before its product)", async () => {
  const loaders = { tensorflow: unavailable("not needed here"), wasm: realWasm, cpu: realCpu };
  const results: Record<string, number[][][]> = {};
  for (const name of ["cpu", "wasm"] as const) {
    await chooseBackend(name, loaders);
    const before = tf.memory().numTensors;
    results[name] = tf.tidy(() => {
      const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]); // [2, 3]
      const d = tf.tensor2d([[1, -1], [2, 0.5]]); // [2, 2]
      const batched = tf.reshape(tf.range(0, 12), [2, 3, 2]);
      return [
        tf.matMul(x, d, true, false).arraySync() as number[][], // xᵀ·d [3, 2]
        tf.matMul(d, x, false, false).arraySync() as number[][],
        tf.matMul(x, x, true, false).arraySync() as number[][], // xᵀ·x [3, 3]
        tf.matMul(x, d, true, true).arraySync() as number[][], // xᵀ·dᵀ
        ...(tf.matMul(batched, batched, true, false).arraySync() as number[][][]),
      ];
    });
    assert.equal(tf.memory().numTensors, before, `${name}: no tensor left behind`);
  }
  // xᵀ·d by hand: column j of x dotted with column k of d
  assert.deepEqual(results.cpu![0], [[9, 1], [12, 0.5], [15, 0]]);
  assert.deepEqual(results.wasm, results.cpu);
});

test("slices agree on every backend (wasm copies whole rows as one block)", async () => {
  const loaders = { tensorflow: unavailable("not needed here"), wasm: realWasm, cpu: realCpu };
  const results: Record<string, unknown[]> = {};
  for (const name of ["cpu", "wasm"] as const) {
    await chooseBackend(name, loaders);
    const before = tf.memory().numTensors;
    results[name] = tf.tidy(() => {
      const x = tf.reshape(tf.range(0, 20, 1, "float32"), [5, 4]);
      return [
        tf.slice(x, [1, 0], [2, 4]).arraySync(), // whole rows
        tf.slice(x, [3, 0], [-1, -1]).arraySync(), // to the end
        tf.slice(x, [0, 1], [2, 2]).arraySync(), // not whole rows: the backend's own kernel
        tf.slice(x, [4, 0], [0, 4]).shape, // no rows
      ];
    });
    assert.equal(tf.memory().numTensors, before, `${name}: no tensor left behind`);
  }
  assert.deepEqual(results.cpu![0], [[4, 5, 6, 7], [8, 9, 10, 11]]);
  assert.deepEqual(results.cpu![1], [[12, 13, 14, 15], [16, 17, 18, 19]]);
  assert.deepEqual(results.wasm, results.cpu);
});
