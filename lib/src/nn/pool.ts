/**
 * Max pooling, forward and backward, naive (loops) and fast (TensorFlow.js's maxPool and its
 * gradient). Input x [N, H, W, C]; each channel is pooled on its own over size×size windows moved by
 * `stride` (2×2 windows with stride 2 halve the height and width):
 *
 *   H' = (H − size)/stride + 1,   W' = (W − size)/stride + 1
 *   out[n, i, j, c] = max_{a,b < size} x[n, i·stride + a, j·stride + b, c]
 *
 * Backward: the max is a "router" gate. Only the input that won (the argmax of its window) changed
 * the output, so it receives the whole upstream gradient and every other input of the window gets 0:
 *   dx[n, i·stride + a*, j·stride + b*, c] += dout[n, i, j, c]   with (a*, b*) the argmax.
 * (A tie goes to the first maximum in row-major order.) Pooling has no parameters.
 *
 * All functions create new tensors; call them inside `tf.tidy`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkKnownOptions, checkPositiveInteger, InvalidInputError } from "../core/checks.js";

/** Window size and stride of max pooling (defaults 2 and 2). */
export interface PoolParams {
  size?: number;
  stride?: number;
}
const POOL_PARAM_NAMES = ["size", "stride"] as const;

/** What the backward pass needs: the input [N, H, W, C] and output of the pooling, size and stride. */
export interface PoolCache {
  x: tf.Tensor4D;
  out: tf.Tensor4D;
  size: number;
  stride: number;
}

/** Size and stride with their defaults, checked. */
export function checkPoolParams(pool: PoolParams | undefined): { size: number; stride: number } {
  checkKnownOptions(pool, POOL_PARAM_NAMES, "pooling options");
  const size = pool?.size ?? 2;
  const stride = pool?.stride ?? 2;
  checkPositiveInteger(size, "size");
  checkPositiveInteger(stride, "stride");
  return { size, stride };
}

/** (length − size)/stride + 1 for one side ("height" or "width"), or an error naming the numbers. */
export function poolOutputSize(length: number, size: number, stride: number, what: "height" | "width"): number {
  if (size > length) {
    throw new InvalidInputError("size", `max pooling: the ${size}×${size} window is larger than the input's ${what} (${length})`);
  }
  const out = (length - size) / stride + 1;
  if (!Number.isInteger(out)) {
    throw new InvalidInputError(
      "stride",
      `max pooling: output ${what} (${what === "height" ? "H" : "W"} − size)/stride + 1 = (${length} − ${size})/${stride} + 1 = ${out.toFixed(2)} is not an integer; ` +
        `choose a window and stride that tile the input (e.g. 2×2, stride 2 on an even size)`,
    );
  }
  return out;
}

/** The output shape [N, H', W', C] of pooling x, or an error naming the numbers. */
export function poolOutputShape(x: tf.Tensor, size: number, stride: number): [number, number, number, number] {
  if (x.rank !== 4) throw new InvalidInputError("x", `max pooling: x must be images [N, H, W, C], got shape [${x.shape.join(", ")}]`);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return [n, poolOutputSize(h, size, stride, "height"), poolOutputSize(w, size, stride, "width"), c];
}

// ---------------------------------------------------------------------------------------------
// Naive

/** out [N, H', W', C]: the largest value of each window, by loops. Small inputs only. */
export function maxPoolForwardNaive(x: tf.Tensor4D, pool: PoolParams = {}): { out: tf.Tensor4D; cache: PoolCache } {
  const { size, stride } = checkPoolParams(pool);
  const [n, outH, outW, c] = poolOutputShape(x, size, stride);
  const [, h, w] = x.shape;
  const xs = x.dataSync();
  const out = new Float32Array(n * outH * outW * c);
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          for (let a = 0; a < size; a++) {
            for (let b = 0; b < size; b++) {
              const v = xs[((img * h + i * stride + a) * w + j * stride + b) * c + ch]!;
              if (v > best || Number.isNaN(v)) best = v;
            }
          }
          out[((img * outH + i) * outW + j) * c + ch] = best;
        }
      }
    }
  }
  const result = tf.tensor4d(out, [n, outH, outW, c]);
  return { out: result, cache: { x, out: result, size, stride } };
}

/** dx [N, H, W, C]: each window's upstream gradient goes to the position of its maximum, by loops. */
export function maxPoolBackwardNaive(dout: tf.Tensor4D, cache: PoolCache): tf.Tensor4D {
  const { x, size, stride } = cache;
  const [n, h, w, c] = x.shape;
  const [, outH, outW] = dout.shape;
  const xs = x.dataSync();
  const ds = dout.dataSync();
  const dx = new Float32Array(x.size);
  // BEGIN SOLUTION maxpool-backward (2 pts)
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let ch = 0; ch < c; ch++) {
          // the argmax of the window (the first one on a tie)
          let best = -Infinity;
          let where = -1;
          for (let a = 0; a < size; a++) {
            for (let b = 0; b < size; b++) {
              const index = ((img * h + i * stride + a) * w + j * stride + b) * c + ch;
              if (where < 0 || xs[index]! > best) {
                best = xs[index]!;
                where = index;
              }
            }
          }
          dx[where] += ds[((img * outH + i) * outW + j) * c + ch]!;
        }
      }
    }
  }
  // END SOLUTION
  return tf.tensor4d(dx, x.shape);
}

// ---------------------------------------------------------------------------------------------
// Fast

/** out [N, H', W', C] with TensorFlow.js's maxPool (one kernel call). */
export function maxPoolForward(x: tf.Tensor4D, pool: PoolParams = {}): { out: tf.Tensor4D; cache: PoolCache } {
  const { size, stride } = checkPoolParams(pool);
  poolOutputShape(x, size, stride);
  const out = tf.maxPool(x, size, stride, "valid");
  return { out, cache: { x, out, size, stride } };
}

/**
 * dx [N, H, W, C] with TensorFlow's `MaxPoolGrad` kernel, which routes each upstream gradient to its
 * window's argmax (tfjs-core runs it for maxPool's gradient but does not export it as an op).
 */
export function maxPoolBackward(dout: tf.Tensor4D, cache: PoolCache): tf.Tensor4D {
  const { x, out, size, stride } = cache;
  return tf.engine().runKernel("MaxPoolGrad", { dy: dout, input: x, output: out }, {
    filterSize: size, strides: stride, pad: "valid", dimRoundingMode: undefined,
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
