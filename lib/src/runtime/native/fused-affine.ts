/**
 * tfjs's `_FusedMatMul` kernel (tf.fused.matMul: x·W + b, then ReLU) as one TensorFlow kernel, for the
 * affine layers of a network: one kernel call instead of three (product, bias, ReLU) where the binding
 * passes its list-of-strings attribute (the one scripts/native-backend.sh builds) and the product is
 * small enough for one thread: a batch-64 Adam step 901 → 841 µs, a batch-20 SGD step 520 → 476 µs
 * (bench/native-ab.ts). Values and gradients equal product, bias and ReLU to float32 rounding
 * (tests/native.test.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import { productAttrs, type NativeBackend, type OpAttr } from "./binding.js";
import { nativeReshape, nativeTensor, recordWithShape } from "./reshape.js";

/**
 * Products up to this many multiply-adds (M·K·N) run as TensorFlow's `_FusedMatMul`. It runs on
 * Eigen's contraction, which the binding keeps on the calling thread (scripts/patch-binding.py):
 * [64, 784]·[784, 100] (5M) took 79 µs there against 114-120 µs as MatMul, bias and ReLU kernels.
 * Bigger products (a whole test set at once) keep MatMul and oneDNN's threads.
 */
export const FUSED_AFFINE_MAX_MACS = 2 ** 23;

let fusedAffineOn = false;

/** Turns the one-kernel path on or off (runtime/native/kernels.ts: only where the binding has it). */
export function setFusedAffine(on: boolean): void {
  fusedAffineOn = on;
}

function fusedMatMulAttrs(binding: NativeBackend["binding"], relu: boolean, transposeA = false, transposeB = false): OpAttr[] {
  return [
    ...productAttrs(binding, transposeA, transposeB),
    { name: "num_args", type: binding.TF_ATTR_INT, value: 1 },
    { name: "fused_ops", type: binding.TF_ATTR_STRING, value: relu ? ["BiasAdd", "Relu"] : ["BiasAdd"] },
  ];
}

/**
 * Whether the binding runs TensorFlow's `_FusedMatMul`: its `fused_ops` is a list of strings, which
 * only the binding scripts/native-backend.sh builds passes on (a 1×1 product tried once tells).
 */
export function bindingHasFusedMatMul(backend: NativeBackend): boolean {
  const { binding } = backend;
  const one = () => binding.createTensor([1, 1], binding.TF_FLOAT, Float32Array.of(2));
  const [x, w, b] = [one(), one(), binding.createTensor([1], binding.TF_FLOAT, Float32Array.of(-5))];
  try {
    const [out] = binding.executeOp("_FusedMatMul", fusedMatMulAttrs(binding, true), [x, w, b], 1) as { id: number }[];
    binding.deleteTensor(out!.id);
    return true;
  } catch {
    return false; // tfjs-node's own binding: string attributes only
  } finally {
    [x, w, b].forEach((id) => binding.deleteTensor(id));
  }
}

/**
 * tfjs's `_FusedMatMul` (tf.fused.matMul: x·W + b, then an activation) for the affine layers of a
 * network: float32 products of matrices (tf.fused.matMul hands them over as [1, M, K] and
 * [1, K, N]) with a bias over the columns and ReLU or no activation. Up to FUSED_AFFINE_MAX_MACS,
 * one TensorFlow `_FusedMatMul`; bigger, or on a binding without it, TensorFlow's batch product,
 * `BiasAdd` and `Relu` straight on the native tensors (tfjs-node's own version runs tfjs ops in a
 * tidy: 187 µs against 82 µs for [64, 784]·[784, 100]). Anything else keeps tfjs-node's version.
 */
export function fusedMatMulKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    if (!a || !b || !bias || preluActivationWeights || (activation !== "relu" && activation !== "linear")) return original(args);
    if (a.dtype !== "float32" || b.dtype !== "float32" || bias.dtype !== "float32") return original(args);
    const matrix = (t: tf.TensorInfo) => (t.shape.length === 3 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape.length === 2 ? t.shape : undefined);
    const [aShape, bShape] = [matrix(a), matrix(b)];
    if (!aShape || !bShape) return original(args);
    const [m, k] = transposeA ? [aShape[1]!, aShape[0]!] : [aShape[0]!, aShape[1]!];
    const n = transposeB ? bShape[0]! : bShape[1]!;
    if (bias.shape.length !== 1 || bias.shape[0] !== n) return original(args);
    const backend = args.backend as unknown as NativeBackend;
    const { binding } = backend;
    const float = (name: string): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT });
    // the native tensors as they are: [1, M, K] from tf.fused.matMul is often an [M, K] tensor underneath
    const [A, B] = [nativeTensor(backend, a), nativeTensor(backend, b)];
    const [biasId] = backend.getInputTensorIds([bias]) as [number];
    const relu = activation === "relu";
    const made: number[] = [];
    const run = (name: string, attrs: OpAttr[], inputs: number[]): { id: number } => {
      const [out] = binding.executeOp(name, attrs, inputs, 1) as [{ id: number }];
      made.push(out.id);
      return out;
    };
    const outShape = a.shape.length === 3 || b.shape.length === 3 ? [1, m, n] : [m, n];
    try {
      let out: { id: number };
      let nativeShape: number[];
      if (fusedAffineOn && m * k * n <= FUSED_AFFINE_MAX_MACS) {
        const asMatrix = (t: { id: number; shape: number[] }, shape: number[]): number => {
          if (t.shape.length === 2) return t.id;
          const matrix = nativeReshape(binding, t.id, shape, binding.TF_FLOAT);
          made.push(matrix.id);
          return matrix.id;
        };
        out = run("_FusedMatMul", fusedMatMulAttrs(binding, relu, transposeA, transposeB), [asMatrix(A, aShape), asMatrix(B, bShape), biasId]);
        nativeShape = [m, n];
      } else {
        const adjoint = [{ name: "adj_x", type: binding.TF_ATTR_BOOL, value: transposeA }, { name: "adj_y", type: binding.TF_ATTR_BOOL, value: transposeB }];
        out = run("BatchMatMulV2", [float("T"), ...adjoint], [A.id, B.id]);
        out = run("BiasAdd", [float("T"), { name: "data_format", type: binding.TF_ATTR_STRING, value: "NHWC" }], [out.id, biasId]);
        if (relu) out = run("Relu", [float("T")], [out.id]);
        nativeShape = A.shape.length === 3 || B.shape.length === 3 ? [1, m, n] : [m, n];
      }
      made.pop(); // the output is handed to tfjs
      return recordWithShape(backend, out.id, nativeShape, outShape, "float32", binding.TF_FLOAT);
    } finally {
      made.forEach((id) => binding.deleteTensor(id));
    }
  };
}
