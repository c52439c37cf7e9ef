/**
 * Fast paths on the native `tensorflow` backend (tfjs-node), registered as tfjs kernels so that every
 * tf.matMul, tf.sum, tf.reshape and tf.fused.matMul (and their gradients) use them: TensorFlow ops
 * that tfjs-node does not use, for the small tensors of mini-batch training, where each kernel call's
 * fixed cost outweighs its arithmetic. Per-step gains measured on 2 cores with the 784-100-10 network
 * of bench/mlp-entries.ts, alternating both versions in one process, so machine noise hits both
 * (`node --import tsx bench/native-ab.ts`):
 *
 *  - `BatchMatMul` of two 2-D tensors runs TensorFlow's `MatMul`. tfjs-node runs every product as
 *    `BatchMatMulV2`, which costs ~185 µs for [20, 784]·[784, 100] against 46 µs for `MatMul`, and
 *    ~125 µs against 17 µs for [20, 100]·[100, 10] (a batch-20 SGD step: 1009 → 357 µs). Large
 *    products run at the same speed either way. Not where signals are expected (signals.ts).
 *  - `Sum` keeps its axes as native constants made once (constants.ts; a batch-20 step: 374 → 360 µs).
 *  - `Reshape` makes no TensorFlow op (reshape.ts).
 *  - `_FusedMatMul` is one TensorFlow kernel for an affine layer and its ReLU (fused-affine.ts).
 *
 * The binding scripts/native-backend.sh builds also runs ops on fewer than half a million elements
 * on the calling thread (scripts/patch-binding.py, CLASSIFIERS_SMALL_OP_ELEMENTS): TensorFlow had
 * split the flat Adam update, the gradients' concatenation and the parameters' split over its pool,
 * with a thread wake each (a batch-64 Adam step ~900 → ~600 µs). The optimisers' fused updates
 * (fused-updates.ts) are offered through core/update-kernels.ts.
 * Values equal the other backends' to float32 rounding (tests/native.test.ts, tests/optimizers.test.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import { provideUpdateKernels } from "../../core/update-kernels.js";
import { NATIVE, productAttrs, type NativeBackend } from "./binding.js";
import { int32Constant } from "./constants.js";
import { bindingHasFusedMatMul, fusedMatMulKernel, setFusedAffine } from "./fused-affine.js";
import { nativeUpdateKernels } from "./fused-updates.js";
import { installNativeReshape, reshapeKernel } from "./reshape.js";
import { nativeMatMulBlocker } from "./signals.js";

/** Our kernel for a tfjs kernel name, given tfjs-node's (for the inputs ours does not handle). */
const FAST_KERNELS: Record<string, (original: tf.KernelFunc) => tf.KernelFunc> = {
  BatchMatMul: (original) => (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" || b.dtype !== "float32") return original(args);
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as NativeBackend;
    return backend.executeSingleOutput("MatMul", productAttrs(backend.binding, transposeA, transposeB), [a, b]);
  },
  // a new tfjs record of the same native tensor, no TensorFlow op (reshape.ts)
  Reshape: reshapeKernel,
  Sum: (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== "float32") return original(args);
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const backend = args.backend as unknown as NativeBackend;
    const { binding } = backend;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const [out] = binding.executeOp("Sum", [
      { name: "keep_dims", type: binding.TF_ATTR_BOOL, value: keepDims },
      { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
      { name: "Tidx", type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 },
    ], [...backend.getInputTensorIds([x]), int32Constant(backend.binding, axes)], 1);
    return backend.createOutputTensor(out);
  },
};

/** Both versions of each replaced kernel, once the native backend has loaded. */
const kernelVersions = new Map<string, { original: tf.KernelConfig; fast: tf.KernelConfig }>();

/** Whether the binding runs TensorFlow's `_FusedMatMul` (and products may use it: signals.ts). */
let fusedAffineInstalled = false;

/**
 * Registers the native fast kernels (called when the native backend loads; idempotent). Returns
 * what it left out and why, for the backend's one-line summary.
 */
export function installNativeKernels(signals: string | undefined, shielded: boolean): string[] {
  if (kernelVersions.size > 0) return [];
  const notes: string[] = [];
  const matMulBlocker = nativeMatMulBlocker(process.env, signals, shielded);
  for (const [kernelName, make] of Object.entries(FAST_KERNELS)) {
    if (kernelName === "BatchMatMul" && matMulBlocker) {
      notes.push(`tfjs-node's matrix product ${matMulBlocker}`);
      continue;
    }
    const original = tf.getKernel(kernelName, NATIVE);
    if (!original) continue; // tfjs-node not registered: nothing to replace
    kernelVersions.set(kernelName, { original, fast: { kernelName, backendName: NATIVE, kernelFunc: make(original.kernelFunc) } });
  }
  // the backend is registered by now, though not yet the active one
  const backend = tf.findBackend(NATIVE) as unknown as NativeBackend | null;
  if (backend) installNativeReshape(backend);
  const fused = tf.getKernel("_FusedMatMul", NATIVE);
  fusedAffineInstalled = !matMulBlocker && backend !== null && bindingHasFusedMatMul(backend);
  if (fused) kernelVersions.set("_FusedMatMul", { original: fused, fast: { kernelName: "_FusedMatMul", backendName: NATIVE, kernelFunc: fusedMatMulKernel(fused.kernelFunc) } });
  setNativeKernels(true);
  provideUpdateKernels(nativeUpdateKernels);
  return notes;
}

/**
 * Switches between the fast kernels (on once the native backend loads) and tfjs-node's own, for
 * measuring one against the other (bench/native-ab.ts); `fusedAffine: false` keeps the fast kernels
 * but runs `_FusedMatMul` as product, bias and ReLU kernels. A no-op before the native backend loads.
 */
export function setNativeKernels(fast: boolean, options: { fusedAffine?: boolean } = {}): void {
  setFusedAffine(fast && (options.fusedAffine ?? true) && fusedAffineInstalled);
  for (const [kernelName, versions] of kernelVersions) {
    tf.unregisterKernel(kernelName, NATIVE);
    tf.registerKernel(fast ? versions.fast : versions.original);
  }
}
