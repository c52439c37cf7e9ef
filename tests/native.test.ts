/**
 * The native backend's fast paths (lib/src/runtime/native/): the `MatMul` and `Sum` kernels behind
 * tf.matMul and tf.sum, and the fused Adam and SGD updates. They run only on the `tensorflow` backend; CI runs this file on it (and on
 * wasm, where the tests below check that nothing native is used).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { expectedSignals, fusedAdam, fusedSgd, FUSED_AFFINE_MAX_MACS, nativeMatMulBlocker, profilerInSight, setAdamAsOneGroup, setNativeKernels, withoutStartupLines } from "../lib/src/runtime/native/index.js";
import { LEVEL_CHOSEN_BY_LIBRARY_ENV_VAR, STDERR_CAPTURE_FILE } from "../lib/src/runtime/native/startup-log.js";
import { InvalidInputError } from "../lib/src/core/checks.js";
import { backendInfo, FUSED_ROUTE, SHIELDED_ROUTE, SMALL_OPS_ROUTE } from "../lib/src/runtime/backend.js";
import { DEFAULT_SMALL_OP_ELEMENTS, requestedSmallOpElements } from "../lib/src/runtime/env.js";
import { adamOptimizer, sgdOptimizer } from "../lib/src/optim/index.js";
import { enableAutodiff } from "../lib/src/nn/autodiff.js";

let native = false;
/** What the user set before the backend loaded (the loader sets the variable for the binding). */
const smallOpsAsked = process.env.CLASSIFIERS_SMALL_OP_ELEMENTS;
before(async () => {
  native = (await initBackend({ log: false })).name === "tensorflow";
});

/** The last lines of a child's stderr, without TensorFlow's start-up notes. */
function stderrTail(stderr: string): string {
  return stderr.split("\n").filter((line) => !line.startsWith("I0000")).slice(-3).join(" | ");
}

/** Row-major float64 product of a [n, k] and b [k, m] given as plain arrays (with optional transposes). */
function referenceProduct(a: number[], aShape: number[], b: number[], bShape: number[], transposeA: boolean, transposeB: boolean): number[] {
  const [ar, ac] = aShape as [number, number];
  const [br, bc] = bShape as [number, number];
  const n = transposeA ? ac : ar, k = transposeA ? ar : ac, m = transposeB ? br : bc;
  const at = (i: number, j: number) => (transposeA ? a[j * ac + i]! : a[i * ac + j]!);
  const bt = (i: number, j: number) => (transposeB ? b[j * bc + i]! : b[i * bc + j]!);
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
    out.push(sum);
  }
  return out;
}

test("tf.matMul gives the float64 product for every transpose combination, 2-D and batched", () => {
  const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 13 + i * 0.7));
  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const aShape = transposeA ? [7, 5] : [5, 7];
    const bShape = transposeB ? [3, 7] : [7, 3];
    const a = values(35, 1), b = values(21, 2);
    const got = tf.tidy(() => tf.matMul(tf.tensor2d(a, aShape as [number, number]), tf.tensor2d(b, bShape as [number, number]), transposeA, transposeB).arraySync() as number[][]).flat();
    const want = referenceProduct(a, aShape, b, bShape, transposeA, transposeB);
    assert.equal(got.length, 15);
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) < 1e-5, `transposeA=${transposeA} transposeB=${transposeB} [${i}]: ${x} vs ${want[i]}`));
  }
  // rank 3 keeps tfjs-node's batched kernel: two independent products
  const a = values(2 * 5 * 7, 3), b = values(2 * 7 * 3, 4);
  const got = tf.tidy(() => tf.matMul(tf.tensor3d(a, [2, 5, 7]), tf.tensor3d(b, [2, 7, 3])).arraySync() as number[][][]);
  for (let batch = 0; batch < 2; batch++) {
    const want = referenceProduct(a.slice(batch * 35, batch * 35 + 35), [5, 7], b.slice(batch * 21, batch * 21 + 21), [7, 3], false, false);
    got[batch]!.flat().forEach((x, i) => assert.ok(Math.abs(x - want[i]!) < 1e-5, `batch ${batch} [${i}]`));
  }
  // and its gradient (tf.grad runs the same kernel for dA = dC·Bᵀ and dB = Aᵀ·dC)
  enableAutodiff();
  const [dA] = tf.tidy(() => tf.grads((x: tf.Tensor) => tf.sum(tf.matMul(x, tf.ones([7, 3]))))([tf.ones([5, 7])]).map((t) => t.arraySync() as number[][]));
  assert.deepEqual(dA, Array.from({ length: 5 }, () => Array(7).fill(3)));
});

test("tf.sum over rows, columns, both and with keepDims, on float32 and int32", () => {
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(tf.sum(x, 0).arraySync(), [5, 7, 9]);
  assert.deepEqual(tf.sum(x, 1).arraySync(), [6, 15]);
  assert.deepEqual(tf.sum(x, -1, true).arraySync(), [[6], [15]]);
  assert.equal(tf.sum(x).arraySync(), 21);
  const ints = tf.tensor2d([[1, 2], [3, 4]], [2, 2], "int32");
  const rows = tf.sum(ints, 0);
  assert.equal(rows.dtype, "int32");
  assert.deepEqual(rows.arraySync(), [4, 6]);
  tf.dispose([x, ints, rows]);
});

test("the fused updates are there on the native backend only", () => {
  for (const make of [fusedAdam, fusedSgd]) {
    const update = make();
    assert.equal(update !== undefined, native, `${make.name}() on ${tf.getBackend()}`);
    update?.dispose();
  }
});

/** Native tensor handles alive in tfjs-node's binding (0 on other backends). */
function nativeHandles(): number {
  return native ? (tf.backend() as unknown as { binding: { getNumOfTensors(): number } }).binding.getNumOfTensors() : 0;
}

test("Adam and SGD follow a parameter assigned from outside between steps, and free their state when disposed", () => {
  const tensorsBefore = tf.memory().numTensors;
  const handlesBefore = nativeHandles();
  const cases = [
    // Adam's first step moves every coordinate with a gradient by α against its sign; so does its
    // second with the same gradient (m̂ = g and v̂ = g²)
    { optimizer: adamOptimizer(), first: [0.9, -1.9, 2.9, 0.5], second: [9.9, 10.1, 9.9, 10] },
    // SGD: w − 0.1·g
    { optimizer: sgdOptimizer(), first: [0.95, -1.9, 2.8, 0.5], second: [9.95, 10.1, 9.8, 10] },
  ];
  for (const { optimizer, first, second } of cases) {
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, -2], [3, 0.5]])));
    const grads = { w: tf.tensor2d([[0.5, -1], [2, 0]]) };
    optimizer.step({ w }, grads, 0.1);
    const got1 = Array.from(w.dataSync());
    first.forEach((x, i) => assert.ok(Math.abs(got1[i]! - x) < 1e-5, `${optimizer.name} step 1 [${i}]: ${got1[i]} vs ${x}`));
    // restoring a snapshot: the next step starts from the restored values, not from the optimiser's copy
    const restored = tf.tensor2d([[10, 10], [10, 10]]);
    w.assign(restored);
    restored.dispose();
    optimizer.step({ w }, grads, 0.1);
    const got2 = Array.from(w.dataSync());
    second.forEach((x, i) => assert.ok(Math.abs(got2[i]! - x) < 1e-4, `${optimizer.name} step 2 [${i}]: ${got2[i]} vs ${x}`));
    optimizer.dispose();
    tf.dispose([w, grads.w]);
  }
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tfjs tensor left");
  assert.equal(nativeHandles(), handlesBefore, "no native handle left (the resource variables are freed)");
});

test("fused and element-wise updates give the same parameters (Adam per parameter and as one group, SGD; three steps)", () => {
  const setting = setAdamAsOneGroup(true);
  const adamAs = (oneGroup: boolean) => (fused: boolean) => {
    setAdamAsOneGroup(oneGroup);
    return adamOptimizer({ fused });
  };
  for (const make of [adamAs(true), adamAs(false), (fused: boolean) => sgdOptimizer({ fused })]) {
    const results = [true, false].map((fused) => {
      const w = tf.tidy(() => tf.variable(tf.tensor2d([[0.3, -0.7, 1.1], [2, -0.1, 0.05]])));
      const b = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -0.5, 0])));
      const optimizer = make(fused);
      for (let t = 1; t <= 3; t++) {
        const grads = { w: tf.tensor2d([[t, -1, 0.5], [0.25 * t, 2, -3]]), b: tf.tensor1d([0.1 * t, -0.2, 0.3]) };
        optimizer.step({ w, b }, grads, 0.05);
        tf.dispose(Object.values(grads));
      }
      const values = [...w.dataSync(), ...b.dataSync()];
      optimizer.dispose();
      tf.dispose([w, b]);
      return values;
    });
    results[0]!.forEach((x, i) => assert.ok(Math.abs(x - results[1]![i]!) < 1e-5, `[${i}]: fused ${x} vs element-wise ${results[1]![i]}`));
  }
  setAdamAsOneGroup(setting);
});

test("a parameter's clone keeps its value through updates; an unshared parameter is updated where it is", () => {
  let handlesBefore = 0;
  // The second round finds the first's native int32 constants (shapes, split sizes), kept for reuse.
  for (const optimizer of [sgdOptimizer(), adamOptimizer(), sgdOptimizer(), adamOptimizer()]) {
    if (optimizer.name === "sgd") handlesBefore = nativeHandles();
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, -2], [3, 0.5]])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([0.25, -0.25])));
    const grads = { w: tf.tensor2d([[0.5, -1], [2, 0]]), b: tf.tensor1d([1, -1]) };
    optimizer.step({ w, b }, grads, 0.1);
    const wData = w.dataId;
    const before = tf.clone(b);
    const beforeValues = Array.from(before.dataSync());
    optimizer.step({ w, b }, grads, 0.1);
    optimizer.step({ w, b }, grads, 0.1);
    assert.deepEqual(Array.from(before.dataSync()), beforeValues, `${optimizer.name}: the clone taken before two steps`);
    assert.notDeepEqual(Array.from(b.dataSync()), beforeValues, `${optimizer.name}: the parameter moved`);
    // on native, w (not shared) keeps its data id: its native tensor was swapped, not reassigned
    if (native) assert.equal(w.dataId, wData, `${optimizer.name}: w updated where it is`);
    if (optimizer.name === "sgd") {
      // w − 0.1·g three times, b likewise
      const wantW = [1 - 0.15, -2 + 0.3, 3 - 0.6, 0.5];
      Array.from(w.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - wantW[i]!) < 1e-6, `sgd w[${i}] ${x} vs ${wantW[i]}`));
      assert.deepEqual(Array.from(b.dataSync()).map((x) => Number(x.toFixed(6))), [-0.05, 0.05]);
    }
    optimizer.dispose();
    tf.dispose([w, b, before, grads.w, grads.b]);
  }
  assert.equal(nativeHandles(), handlesBefore, "no native handle left in the second round (variables, state and the cached rate are freed)");
});

test("setNativeKernels switches tf.matMul between the fast kernel and tfjs-node's, with the same values", () => {
  const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const b = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
  try {
    setNativeKernels(false);
    const slow = tf.matMul(a, b).arraySync();
    setNativeKernels(true);
    const fast = tf.matMul(a, b).arraySync();
    assert.deepEqual(fast, [[4, 5], [10, 11]]);
    assert.deepEqual(slow, fast);
  } finally {
    setNativeKernels(true);
    tf.dispose([a, b]);
  }
});

test("Adam over several parameters (per parameter, or as one flat group) picks up a parameter restored from outside", () => {
  const setting = setAdamAsOneGroup(true);
  try {
    for (const oneGroup of [true, false]) {
      setAdamAsOneGroup(oneGroup);
      adamPicksUpRestoredParameter();
    }
  } finally {
    setAdamAsOneGroup(setting);
  }
});

function adamPicksUpRestoredParameter(): void {
  const tensorsBefore = tf.memory().numTensors;
  const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, -2], [3, 0.5]])));
  const b = tf.tidy(() => tf.variable(tf.tensor1d([0.25, -0.25, 4])));
  const grads = { w: tf.tensor2d([[0.5, -1], [2, 0]]), b: tf.tensor1d([1, -1, 0]) };
  const adam = adamOptimizer();
  adam.step({ w, b }, grads, 0.1);
  const restored = tf.tensor2d([[10, 10], [10, 10]]);
  w.assign(restored);
  restored.dispose();
  adam.step({ w, b }, grads, 0.1);
  // both steps move each coordinate with a gradient by α against its sign (m̂ = g, v̂ = g²)
  const want = { w: [9.9, 10.1, 9.9, 10], b: [0.05, -0.05, 4] };
  for (const [name, got] of [["w", w.dataSync()], ["b", b.dataSync()]] as const) {
    want[name].forEach((x, i) => assert.ok(Math.abs(got[i]! - x) < 1e-4, `${name}[${i}]: ${got[i]} vs ${x}`));
  }
  adam.dispose();
  tf.dispose([w, b, grads.w, grads.b]);
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tfjs tensor left");
}

test("signals are expected under a profiler, an inspector, in a notebook kernel or with a SIGINT listener; MatMul steps aside unless the binding shields products or CLASSIFIERS_NATIVE_MATMUL decides", () => {
  const none: NodeJS.ProcessEnv = {};
  assert.equal(profilerInSight(none, ["--import", "tsx"], undefined), undefined);
  assert.equal(profilerInSight(none, ["--cpu-prof"], undefined), "--cpu-prof");
  assert.equal(profilerInSight(none, [], "ws://127.0.0.1:9229/x"), "an open inspector");
  assert.equal(expectedSignals(none, [], undefined, 0, false), undefined);
  assert.equal(expectedSignals(none, ["--cpu-prof-dir=/tmp", "--prof-process", "--import", "tsx"], undefined, 0, false), undefined);
  assert.equal(expectedSignals(none, ["--cpu-prof"], undefined, 0), "--cpu-prof");
  assert.equal(expectedSignals(none, ["--prof"], undefined, 0), "--prof");
  assert.equal(expectedSignals({ NODE_OPTIONS: "--max-old-space-size=4096 --inspect=9229" }, [], undefined, 0), "--inspect=9229");
  assert.equal(expectedSignals(none, [], "ws://127.0.0.1:9229/x", 0), "an open inspector");
  assert.equal(expectedSignals(none, [], undefined, 1, false), "a SIGINT handler");
  assert.equal(expectedSignals(none, [], undefined, 0, true), "a notebook kernel's interrupts");

  assert.equal(nativeMatMulBlocker(none, undefined, false), undefined);
  assert.match(nativeMatMulBlocker(none, "a SIGINT handler", false) ?? "", /SIGINT handler.*oneDNN#4845/);
  assert.equal(nativeMatMulBlocker(none, "a SIGINT handler", true), undefined);
  assert.equal(nativeMatMulBlocker({ CLASSIFIERS_NATIVE_MATMUL: "1" }, "--cpu-prof", false), undefined);
  assert.match(nativeMatMulBlocker({ CLASSIFIERS_NATIVE_MATMUL: "0" }, undefined, true) ?? "", /CLASSIFIERS_NATIVE_MATMUL=0/);
  assert.throws(() => nativeMatMulBlocker({ CLASSIFIERS_NATIVE_MATMUL: "yes" }, undefined, true), (err: unknown) => err instanceof InvalidInputError && /CLASSIFIERS_NATIVE_MATMUL=yes/.test(err.message));
});

test("20,000 small products under node --cpu-prof finish (TensorFlow's MatMul aborts there with a corrupted heap)", (t) => {
  if (!native) return t.skip("native backend only");
  const profiles = mkdtempSync(path.join(os.tmpdir(), "cpu-prof-"));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: "tensorflow" };
    delete env.CLASSIFIERS_NATIVE_MATMUL;
    const run = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profiles}`, "--import", "tsx", "tests/matmul-under-profiler.ts", "20000"], { encoding: "utf8", env, timeout: 180_000 });
    assert.equal(run.status, 0, `exit ${run.status} (signal ${run.signal}): ${stderrTail(run.stderr)}`);
    // the binding scripts/native-backend.sh builds shields products (SIGPROF held); any other keeps tfjs-node's product
    assert.match(run.stdout, /SIGPROF held during products \(--cpu-prof\)|tfjs-node's matrix product under --cpu-prof/);
    assert.match(run.stdout, /^ok 20000 products/m);
  } finally {
    rmSync(profiles, { recursive: true, force: true });
  }
});

test("20,000 small products while SIGINTs arrive (a notebook's interrupts) finish", async (t) => {
  if (!native) return t.skip("native backend only");
  const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: "tensorflow" };
  delete env.CLASSIFIERS_NATIVE_MATMUL;
  const child = spawn(process.execPath, ["--import", "tsx", "tests/matmul-under-profiler.ts", "20000", "sigint"], { env });
  let stdout = "", stderr = "";
  let sender: NodeJS.Timeout | undefined;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    if (!sender && stdout.includes("ready")) sender = setInterval(() => child.kill("SIGINT"), 10);
    if (stdout.includes("ok ")) clearInterval(sender);
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
  clearInterval(sender);
  assert.equal(code, 0, `exit ${code} (signal ${signal}): ${stderrTail(stderr)}`);
  assert.match(stdout, /shields products from signals|tfjs-node's matrix product under a SIGINT handler/);
  const handled = Number(/ok 20000 products, (\d+) signals handled/.exec(stdout)?.[1]);
  assert.ok(handled >= 20, `only ${handled} SIGINTs reached the handler: the test did not test much`);
});

test("the route note setup writes for its patched binding is the one the backend looks for", () => {
  const script = readFileSync("scripts/native-backend.sh", "utf8");
  const note = /^route_note="([^"]+)"/m.exec(script)?.[1];
  for (const part of [SHIELDED_ROUTE, SMALL_OPS_ROUTE, FUSED_ROUTE]) assert.ok(note?.includes(part), `scripts/native-backend.sh's route_note ${note} lacks "${part}"`);
  assert.match(script, /scripts\/patch-binding\.py/);
  // the binding reads the variable the library checks; the default is the library's alone
  const patch = readFileSync("scripts/patch-binding.py", "utf8");
  assert.match(patch, /getenv\("CLASSIFIERS_SMALL_OP_ELEMENTS"\)/);
  assert.match(patch, /const int64_t fallback = 0;/);
  assert.ok(!patch.includes(String(DEFAULT_SMALL_OP_ELEMENTS)), "the default is written in lib/src/runtime/env.ts only");
});

test("TensorFlow's two start-up lines are hidden unless TF_CPP_MIN_LOG_LEVEL is set; whatever else the load writes still prints", (t) => {
  const startup = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    "I0000 00:00:1796357680.124817   10851 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.\n",
  ];
  assert.equal(withoutStartupLines([startup[0], "E0000 a real error\n", startup[1], "tail without newline"].join("")), "E0000 a real error\ntail without newline");
  if (!native) return t.skip("native backend only");
  const addon = path.join(path.dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-node/package.json")), STDERR_CAPTURE_FILE);
  if (!existsSync(addon)) return t.skip("setup's native route with its stderr addon only");
  const load = (level: string | undefined) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: "tensorflow" };
    if (level === undefined) delete env.TF_CPP_MIN_LOG_LEVEL;
    else env.TF_CPP_MIN_LOG_LEVEL = level;
    const code = 'const { initBackend } = await import("./lib/src/runtime/backend.ts"); console.log((await initBackend({ log: false })).name);';
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8", env, timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "tensorflow");
    return run.stderr;
  };
  const quiet = load(undefined);
  assert.ok(!/absl::InitializeLog|oneDNN custom operations/.test(quiet), `start-up lines printed by default:\n${quiet}`);
  // a child of a process whose level the library chose inherits that choice, not a user's wish
  if (process.env[LEVEL_CHOSEN_BY_LIBRARY_ENV_VAR] !== undefined) {
    assert.equal(process.env.TF_CPP_MIN_LOG_LEVEL, "2");
    const child = load(process.env.TF_CPP_MIN_LOG_LEVEL);
    assert.ok(!/absl::InitializeLog|oneDNN custom operations/.test(child), `start-up lines printed in a child process:\n${child}`);
  }
  const asked = load("0");
  assert.match(asked, /absl::InitializeLog/, "TF_CPP_MIN_LOG_LEVEL=0 should show TensorFlow's logs: this test measures nothing");
  assert.match(asked, /oneDNN custom operations are on/);
});

test("the library hands the binding its small-op limit: the default when unset, the user's value otherwise", (t) => {
  if (!native) return t.skip("native backend only");
  assert.equal(process.env.CLASSIFIERS_SMALL_OP_ELEMENTS, String(requestedSmallOpElements(smallOpsAsked)));
  if (smallOpsAsked === undefined) assert.equal(process.env.CLASSIFIERS_SMALL_OP_ELEMENTS, String(DEFAULT_SMALL_OP_ELEMENTS));
});

test("CLASSIFIERS_SMALL_OP_ELEMENTS takes a whole number of elements (0 = off) and names itself otherwise", () => {
  assert.equal(requestedSmallOpElements(undefined), DEFAULT_SMALL_OP_ELEMENTS);
  assert.equal(requestedSmallOpElements(""), DEFAULT_SMALL_OP_ELEMENTS);
  assert.equal(requestedSmallOpElements("0"), 0);
  assert.equal(requestedSmallOpElements("100000"), 100000);
  for (const bad of ["-1", "1e6", "12.5", " 12", "lots", "9999999999999999"]) {
    assert.throws(() => requestedSmallOpElements(bad), (err: unknown) => err instanceof InvalidInputError && err.message.includes(`CLASSIFIERS_SMALL_OP_ELEMENTS=${bad} is not an element count`), bad);
  }
});

test("small ops run on the calling thread alone and big ones on TensorFlow's pool; CLASSIFIERS_SMALL_OP_ELEMENTS=0 lets TensorFlow split them all", (t) => {
  if (!native || !backendInfo().native?.route.includes(SMALL_OPS_ROUTE)) return t.skip("setup's native binding only");
  const poolTicks = (limit: string | undefined) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: "tensorflow" };
    if (limit === undefined) delete env.CLASSIFIERS_SMALL_OP_ELEMENTS;
    else env.CLASSIFIERS_SMALL_OP_ELEMENTS = limit;
    const run = spawnSync(process.execPath, ["--import", "tsx", "tests/pool-work.ts"], { encoding: "utf8", env, timeout: 180_000 });
    assert.equal(run.status, 0, stderrTail(run.stderr));
    const [, small, big] = /pool ticks: small (\d+) big (\d+)/.exec(run.stdout)!.map(Number);
    return { small: small!, big: big! };
  };
  // 3,000 rounds of three 131,072-element ops: TensorFlow hands about half of each to a pool thread
  const byDefault = poolTicks(undefined);
  assert.ok(byDefault.small <= 3, `pool threads spent ${byDefault.small} ticks on small ops`);
  assert.ok(byDefault.big >= 20, `pool threads spent only ${byDefault.big} ticks on 4M-element ops: big ops lost their threads`);
  const off = poolTicks("0");
  assert.ok(off.small >= 20, `with the limit off, pool threads spent only ${off.small} ticks on small ops: this test measures nothing`);
});

test("a shielding binding leaves the main thread blocking asynchronous signals except SIGPROF, and TensorFlow's threads blocking them all", (t) => {
  if (!native || !backendInfo().native?.route.includes(SHIELDED_ROUTE)) return t.skip("setup's native binding only");
  tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync()); // TensorFlow's threads exist by now
  const blocked = (tid: string) => BigInt(`0x${/SigBlk:\s*(\w+)/.exec(readFileSync(`/proc/self/task/${tid}/status`, "utf8"))![1]}`);
  const bit = (signal: number) => 1n << BigInt(signal - 1);
  const SIGINT = 2, SIGSEGV = 11, SIGCHLD = 17, SIGPROF = 27;
  const main = blocked(String(process.pid));
  assert.ok(main & bit(SIGINT) && main & bit(SIGCHLD), `main thread's SigBlk ${main.toString(16)} lets SIGINT or SIGCHLD in`);
  assert.equal(main & bit(SIGPROF), 0n, "the main thread must still take the profiler's SIGPROF");
  assert.equal(main & bit(SIGSEGV), 0n, "faults must stay deliverable");
  const tfThreads = readdirSync("/proc/self/task").filter((tid) => /Name:\s*tf_/.test(readFileSync(`/proc/self/task/${tid}/status`, "utf8")));
  assert.ok(tfThreads.length > 0, "no TensorFlow threads found");
  for (const tid of tfThreads) assert.ok(blocked(tid) & bit(SIGPROF) && blocked(tid) & bit(SIGINT), `TensorFlow thread ${tid} takes signals`);
});

test("tf.fused.matMul (x·W + b, then ReLU) runs as one native kernel and gives the values and gradients of product, bias and ReLU", (t) => {
  if (!native || !backendInfo().native?.route.includes(FUSED_ROUTE)) return t.skip("setup's native binding only");
  // The binding's functions are read-only: a stand-in that inherits them records the ops run.
  const backend = tf.backend() as unknown as { binding: { executeOp: (name: string, ...rest: unknown[]) => unknown } };
  const { binding } = backend;
  const ops: string[] = [];
  backend.binding = Object.create(binding, { executeOp: { value: (name: string, ...rest: unknown[]) => (ops.push(name), binding.executeOp(name, ...rest)) } });
  try {
    tf.tidy(() => {
      const x = tf.randomNormal([6, 7], 0, 1, "float32", 1) as tf.Tensor2D;
      const W = tf.randomNormal([7, 5], 0, 1, "float32", 2) as tf.Tensor2D;
      const b = tf.randomNormal([5], 0, 1, "float32", 3) as tf.Tensor1D;
      const weights = tf.randomNormal([6, 5], 0, 1, "float32", 4); // a loss that weighs every output differently
      for (const relu of [true, false]) {
        const threeKernels = (x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => {
          const z = tf.add(tf.matMul(x, W), b);
          return relu ? tf.relu(z) : z;
        };
        const oneKernel = (x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.fused.matMul({ a: x as tf.Tensor2D, b: W as tf.Tensor2D, bias: b, activation: relu ? "relu" : "linear" });
        const want = threeKernels(x, W, b);
        assert.ok(!relu || tf.min(want).dataSync()[0] === 0, "the test needs some negative pre-activations");
        ops.length = 0;
        const got = oneKernel(x, W, b);
        assert.deepEqual(ops.filter((op) => /MatMul|BiasAdd|Relu/.test(op)), ["_FusedMatMul"], `one native kernel (relu ${relu})`);
        assert.ok(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]! < 1e-5, `values differ (relu ${relu})`);
        const loss = (f: typeof threeKernels) => (x: tf.Tensor, W: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, W, b), weights));
        const wantGrads = tf.grads(loss(threeKernels))([x, W, b]);
        const gotGrads = tf.grads(loss(oneKernel))([x, W, b]);
        ["x", "W", "b"].forEach((name, i) => {
          const gap = tf.max(tf.abs(tf.sub(gotGrads[i]!, wantGrads[i]!))).dataSync()[0]!;
          assert.ok(gap < 1e-5, `∂/∂${name} differs by ${gap} (relu ${relu})`);
        });
      }
      // products too big for one thread keep MatMul and its threads
      assert.ok(1024 * 1024 * 16 > FUSED_AFFINE_MAX_MACS);
      ops.length = 0;
      tf.fused.matMul({ a: tf.zeros([1024, 1024]), b: tf.zeros([1024, 16]), bias: tf.zeros([16]), activation: "relu" }).dataSync();
      assert.ok(!ops.includes("_FusedMatMul"), `a big product stayed on MatMul: ${ops.join(", ")}`);
      // and a sigmoid is not TensorFlow's to fuse: tfjs-node's own path, same values
      const sigmoid = tf.fused.matMul({ a: x, b: W, bias: b, activation: "sigmoid" });
      assert.ok(tf.max(tf.abs(tf.sub(sigmoid, tf.sigmoid(tf.add(tf.matMul(x, W), b))))).dataSync()[0]! < 1e-6);
    });
  } finally {
    backend.binding = binding;
  }
});

test("reshapes on the native backend keep values, infer -1 and leave no tensor behind", (t) => {
  if (!native) return t.skip("native backend only");
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const x = tf.reshape(tf.range(0, 24), [2, 3, 4]);
    assert.deepEqual(tf.reshape(x, [4, -1]).shape, [4, 6]);
    assert.deepEqual(tf.reshape(x, [4, -1]).arraySync(), [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17], [18, 19, 20, 21, 22, 23]]);
    assert.deepEqual(tf.reshape(tf.cast(x, "int32"), [24]).dataSync(), Int32Array.from({ length: 24 }, (_, i) => i));
    assert.throws(() => tf.reshape(x, [5, 5]));
  });
  assert.equal(tf.memory().numTensors, before);
});