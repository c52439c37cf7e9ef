/**
 * Kernels of tfjs-backend-wasm 4.22 replaced when the wasm backend starts (runtime/backend.ts),
 * because they compute wrong values or take a slow path the library's code should not have to
 * avoid. Each is checked against the exact answer in tests/wasm.test.ts.
 *
 *  - `BatchMatMul` with `transposeA` or `transposeB`: the product reads the transposed operand
 *    with a stride, 6-14× slower than transposing it first (`affineBackward`'s dW = xᵀ·dout and
 *    dx = dout·Wᵀ). The operand is transposed by the wasm `Transpose` kernel and the product runs
 *    without the flags.
 *  - `Slice` of whole rows of a float32 matrix (kNN's chunks of queries): the wasm kernel copies
 *    element by element at ~75 MB/s; the rows are one contiguous block of the heap, copied at
 *    memory speed.
 *  - `Sign`: the wasm kernel returns 0 for small nonzero inputs (sign(1e-7) = 0, sign(-1e-7) = 0),
 *    which breaks every gradient written with tf.sign (ReLU's mask from its output, the L1
 *    penalty). Replaced by an exact element-wise loop over the wasm heap.
 */
import * as tf from "@tensorflow/tfjs-core";

/** The parts of tfjs-backend-wasm's backend used here. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array;
  disposeData(dataId: object): boolean;
}

let installed = false;

/** Registers the corrected kernels for the backend named "wasm" (once). */
export function installWasmKernels(): void {
  if (installed) return;
  installed = true;
  tf.unregisterKernel("Sign", "wasm");
  tf.registerKernel({ kernelName: "Sign", backendName: "wasm", kernelFunc: exactSign });
  const slice = tf.getKernel("Slice", "wasm");
  if (slice) {
    tf.unregisterKernel("Slice", "wasm");
    tf.registerKernel({ kernelName: "Slice", backendName: "wasm", kernelFunc: rowSlice(slice.kernelFunc) });
  }
  const product = tf.getKernel("BatchMatMul", "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (product && transpose) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({ kernelName: "BatchMatMul", backendName: "wasm", kernelFunc: productTransposingFirst(product.kernelFunc, transpose.kernelFunc) });
  }
}

/** wasm's BatchMatMul, with transposed operands made explicitly first. */
function productTransposingFirst(product: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return product(args);
    const made: tf.TensorInfo[] = [];
    const transposed = (t: tf.TensorInfo, flag: boolean): tf.TensorInfo => {
      if (!flag) return t;
      const rank = t.shape.length;
      const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const out = transpose({ inputs: { x: t }, attrs: { perm }, backend: args.backend }) as tf.TensorInfo;
      made.push(out);
      return out;
    };
    try {
      const inputs = { a: transposed(a, attrs.transposeA), b: transposed(b, attrs.transposeB) };
      return product({ inputs, attrs: { ...attrs, transposeA: false, transposeB: false }, backend: args.backend });
    } finally {
      for (const t of made) (args.backend as unknown as WasmHeap).disposeData(t.dataId);
    }
  };
}

/** wasm's Slice, with whole rows of a float32 matrix copied as one block. */
function rowSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    if (x.dtype !== "float32" || x.shape.length !== 2) return original(args);
    const [start, count] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    const d = x.shape[1]!;
    if (start[1] !== 0 || count[1] !== d) return original(args);
    const backend = args.backend as unknown as WasmHeap;
    const out = backend.makeOutput([count[0]!, d], "float32");
    // views taken after makeOutput, which may grow the heap
    const from = backend.typedArrayFromHeap(x);
    backend.typedArrayFromHeap(out).set(from.subarray(start[0]! * d, (start[0]! + count[0]!) * d));
    return out;
  };
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
