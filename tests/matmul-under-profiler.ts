/**
 * Run by tests/native.test.ts: many small products, as in mini-batch training, while signals arrive,
 * either from a profiler (run under `node --cpu-prof`) or, with the argument `sigint`, as SIGINTs
 * that the test sends to a handler (what a notebook kernel gets when a cell is interrupted) from the
 * moment this prints "ready".
 * TensorFlow's `MatMul` (oneDNN's sgemm) corrupts the heap here and the process aborts; the product
 * the backend picks in these processes must not. Prints the backend's summary, then "ok" and the
 * number of products and of signals handled.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";

let handled = 0;
const sigint = process.argv.includes("sigint");
if (sigint) process.on("SIGINT", () => handled++);
const info = await initBackend({ log: false });
console.log(info.summary);
if (sigint) console.log("ready");
const x = tf.randomNormal([20, 100], 0, 1, "float32", 1);
const w = tf.randomNormal([100, 10], 0, 1, "float32", 2);
const products = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 20000);
for (let i = 0; i < products; i++) {
  tf.tidy(() => tf.matMul(x, w).dataSync());
  // the handler runs between tasks: let it, now and then
  if (sigint && i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
}
console.log(`ok ${products} products, ${handled} signals handled`);
// the test stops sending on "ok"; a signal still on its way lands in the handler, not in the exit
if (sigint) await new Promise((resolve) => setTimeout(resolve, 500));
