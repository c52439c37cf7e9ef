/**
 * Corrections to tfjs-backend-wasm 4.22 kernels that compute wrong values, registered when the
 * wasm backend starts (runtime/backend.ts). Each is checked against the exact answer in
 * tests/wasm.test.ts.
 *
 *  - `Sign`: the wasm kernel returns 0 for small nonzero inputs (sign(1e-7) = 0, sign(-1e-7) = 0),
 *    which breaks every gradient written with tf.sign (ReLU's mask from its output, the L1
 *    penalty). Replaced by an exact element-wise loop over the wasm heap.
 */
import * as tf from "@tensorflow/tfjs-core";

/** The parts of tfjs-backend-wasm's backend used here. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array;
}

let installed = false;

/** Registers the corrected kernels for the backend named "wasm" (once). */
export function installWasmFixes(): void {
  if (installed) return;
  installed = true;
  tf.unregisterKernel("Sign", "wasm");
  tf.registerKernel({ kernelName: "Sign", backendName: "wasm", kernelFunc: exactSign });
}

function exactSign(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as WasmHeap;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const out = backend.makeOutput([...x.shape], x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const ys = backend.typedArrayFromHeap(out);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    ys[i] = v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : NaN;
  }
  return out;
}
