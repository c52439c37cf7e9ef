// Tests for the wasm loader: the threaded build gives bit-identical products to the
// single-threaded one, the environment variable is honoured, and a threaded process exits by
// itself (workers must not keep it alive). Each backend runs in its own child process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { requestedWasmThreads, WASM_THREADS_ENV_VAR } from "../lib/src/runtime/wasm.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const backendModule = new URL("../lib/src/runtime/backend.ts", import.meta.url).href;

/** Child: init the wasm backend, multiply two fixed matrices, print JSON, then just return. */
const childScript = `
import * as tf from "@tensorflow/tfjs-core";
const { initBackend } = await import(${JSON.stringify(backendModule)});
const info = await initBackend({ log: false });
const m = 37, d = 300, n = 530;
const a = new Float32Array(m * d).map((_, i) => Math.sin(i * 0.37) * 3);
const b = new Float32Array(d * n).map((_, i) => Math.cos(i * 0.11) - 0.2);
const product = tf.matMul(tf.tensor2d(a, [m, d]), tf.tensor2d(b, [d, n]));
const values = Array.from(await product.data());
console.log(JSON.stringify({ name: info.name, threads: info.threads, summary: info.summary, values }));
`;

interface ChildResult {
  name: string;
  threads: number;
  summary: string;
  values: number[];
}

/** Runs the child; rejects if it has not exited on its own within `timeoutMs`. */
function runChild(threads: string, timeoutMs = 60_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", childScript], {
      cwd: repoRoot,
      env: { ...process.env, CLASSIFIERS_BACKEND: "wasm", [WASM_THREADS_ENV_VAR]: threads },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child with ${WASM_THREADS_ENV_VAR}=${threads} did not exit within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`child exited with ${code}: ${stderr}`));
      const line = stdout.trim().split("\n").pop() ?? "";
      resolve(JSON.parse(line) as ChildResult);
    });
  });
}

test("threaded wasm gives the same product as single-threaded wasm, and both processes exit by themselves", async () => {
  const [single, threaded] = await Promise.all([runChild("1"), runChild("2")]);
  assert.equal(single.name, "wasm");
  assert.equal(single.threads, 1);
  assert.match(single.summary, /CLASSIFIERS_WASM_THREADS=1/);
  assert.equal(threaded.name, "wasm");
  assert.equal(threaded.threads, 2, `threaded start failed: ${threaded.summary}`);
  assert.match(threaded.summary, /threaded/);
  assert.equal(threaded.values.length, 37 * 530);
  assert.deepEqual(threaded.values, single.values);
  // And the product is right, not merely consistent: spot-check against a Float64 sum.
  const a = new Float32Array(37 * 300).map((_, i) => Math.sin(i * 0.37) * 3);
  const b = new Float32Array(300 * 530).map((_, i) => Math.cos(i * 0.11) - 0.2);
  for (const [i, j] of [[0, 0], [5, 17], [36, 529]] as const) {
    let want = 0;
    for (let t = 0; t < 300; t++) want += a[i * 300 + t]! * b[t * 530 + j]!;
    assert.ok(Math.abs(threaded.values[i * 530 + j]! - want) < 1e-3, `(${i}, ${j})`);
  }
});

test("CLASSIFIERS_WASM_THREADS is parsed strictly", () => {
  assert.equal(requestedWasmThreads("1"), 1);
  assert.equal(requestedWasmThreads(" 3 "), 3);
  assert.ok(requestedWasmThreads(undefined) >= 1);
  assert.ok(requestedWasmThreads("") >= 1);
  assert.throws(() => requestedWasmThreads("0"), /CLASSIFIERS_WASM_THREADS=0 is not a thread count/);
  assert.throws(() => requestedWasmThreads("two"), /is not a thread count/);
  assert.throws(() => requestedWasmThreads("1.5"), /is not a thread count/);
});

test("a bad CLASSIFIERS_WASM_THREADS stops initBackend with the variable named, on every backend", () => {
  for (const value of ["abc", "0", "-2", "1.5"]) {
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e",
      `import { initBackend } from "./lib/src/runtime/backend.js";
       try { await initBackend({ log: false }); console.log("loaded"); }
       catch (err) { console.log(err.name + ": " + err.message); }`], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, [WASM_THREADS_ENV_VAR]: value, CLASSIFIERS_BACKEND: "" },
      encoding: "utf8",
    });
    assert.match(result.stdout, new RegExp(`InvalidInputError: CLASSIFIERS_WASM_THREADS=${value.replace(".", "\\.")} is not a thread count`), result.stderr);
  }
});
