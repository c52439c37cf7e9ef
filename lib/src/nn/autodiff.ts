/**
 * TensorFlow.js autodiff (`tf.grad`) as a second opinion on the handwritten backward passes.
 *
 * `tf.grad` needs each op's gradient function registered. `@tensorflow/tfjs-core` alone (what the
 * wasm and cpu backends load) registers none; the `@tensorflow/tfjs` bundle registers them all, and
 * `@tensorflow/tfjs-node` loads it. `enableAutodiff()` makes sure they are there on every backend.
 */
import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs-core";

/** Registers TensorFlow.js's gradient functions if they are not yet (idempotent). Call before `tf.grad`. */
export function enableAutodiff(): void {
  if (tf.getGradient("BatchMatMul") && tf.getGradient("Relu")) return;
  try {
    // The bundle's gradient functions register themselves in tfjs-core's global registry on load.
    createRequire(import.meta.url)("@tensorflow/tfjs");
  } catch (error) {
    throw new Error(
      `tf.grad needs TensorFlow.js's gradient functions, which come with the @tensorflow/tfjs package; it did not load (${(error as Error).message}). ` +
        "Install it (npm install @tensorflow/tfjs@4.22.0) or use the tensorflow backend.",
    );
  }
  if (!tf.getGradient("BatchMatMul")) throw new Error("@tensorflow/tfjs loaded but registered no gradient functions (a second copy of tfjs-core?)");
}
