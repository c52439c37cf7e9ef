/**
 * A tensor's values read in place: on the wasm backend a Float32Array view straight into its heap
 * (no copy), where the exact-distance loops of knn/ then read the training rows at memory speed.
 * Other backends keep values out of JavaScript's reach; callers fall back to `await t.data()`.
 */
import * as tf from "@tensorflow/tfjs-core";

/** What a backend needs for a view: tfjs-backend-wasm's heap accessor. */
interface HeapBackend {
  typedArrayFromHeap?: (info: tf.TensorInfo) => unknown;
}

/**
 * The float32 values of `t` without a copy, or null where the active backend cannot give them.
 * Valid until the next tensor operation (which may grow the heap), so take it right before use.
 */
export function valuesView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== "float32") return null;
  const backend = tf.backend() as unknown as HeapBackend;
  if (typeof backend.typedArrayFromHeap !== "function") return null;
  try {
    const view = backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    return view instanceof Float32Array && view.length === t.size ? view : null;
  } catch {
    return null;
  }
}
