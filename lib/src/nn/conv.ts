/**
 * The convolution layer, the way the course writes it: a forward pass that returns its output and a
 * cache, a backward pass from the upstream gradient and the cache. Images are [N, H, W, C] (N images,
 * H rows, W columns, C channels: TensorFlow.js's layout), filters W are [F, F, C, K] (K filters of
 * F×F×C; a filter may also be rectangular, [F_h, F_w, C, K], with the formulas per side), biases b are [K]. With stride S and zero padding P the output is [N, H', W', K] with
 *
 *   H' = (H + 2P − F)/S + 1,   W' = (W + 2P − F)/S + 1        (both must be integers)
 *   out[n, i, j, k] = b[k] + Σ_{a,b',c} xpad[n, i·S + a, j·S + b', c] · W[a, b', c, k]
 *
 * and the layer has F·F·C·K + K parameters. Backward, from dout = ∂L/∂out [N, H', W', K]:
 *
 *   db[k]          = Σ_{n,i,j} dout[n, i, j, k]
 *   dW[a, b', c, k] = Σ_{n,i,j} xpad[n, i·S + a, j·S + b', c] · dout[n, i, j, k]
 *                    (each filter tap correlates the input patches with the upstream gradient)
 *   dx             = the "full" convolution of dout with the filters flipped, with the padding cut off
 *                    (every output position sends its gradient back to the F×F patch it read)
 *
 * Two versions that agree (tests/conv.test.ts): `convForwardNaive` / `convBackwardNaive` are the
 * formulas above as loops (for teaching, small inputs only: a 28×28 batch of 64 is already
 * 200 million multiply-adds), `convForward` / `convBackward` call TensorFlow.js's convolution and
 * its two gradient ops, which every backend runs as one fast kernel each.
 *
 * All functions create new tensors; call them inside `tf.tidy`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkKnownOptions, checkPositiveInteger, checkNonNegativeInteger, InvalidInputError } from "../core/checks.js";

/** Stride S and zero padding P of a convolution (defaults: stride 1, padding 0). */
export interface ConvParams {
  stride?: number;
  pad?: number;
}
const CONV_PARAM_NAMES = ["stride", "pad"] as const;

/** What the backward pass needs: the input x [N, H, W, C], the filters W [F, F, C, K] and S, P. */
export interface ConvCache {
  x: tf.Tensor4D;
  W: tf.Tensor4D;
  stride: number;
  pad: number;
}

/** Gradients of the convolution: dx [N, H, W, C] (omitted when not asked for), dW [F, F, C, K], db [K]. */
export interface ConvGradients {
  dx?: tf.Tensor4D;
  dW: tf.Tensor4D;
  db: tf.Tensor1D;
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/**
 * (inputSize + 2·pad − filterSize)/stride + 1, checked: an error names the numbers when the filter
 * is larger than the padded input or the division is not exact. `what` names the dimension in the
 * message ("convolution: output height ...").
 */
export function convOutputSize(inputSize: number, filterSize: number, stride: number, pad: number, what = "convolution: output size"): number {
  const padded = inputSize + 2 * pad;
  if (filterSize > padded) {
    throw new InvalidInputError(
      "W",
      `${what}: the filter (F = ${filterSize}) is larger than the padded input (H + 2P = ${inputSize} + 2·${pad} = ${padded}); use a smaller filter or more padding`,
    );
  }
  const out = (padded - filterSize) / stride + 1;
  if (!Number.isInteger(out)) {
    throw new InvalidInputError(
      "stride",
      `${what} (H + 2P − F)/S + 1 = (${inputSize} + 2·${pad} − ${filterSize})/${stride} + 1 = ${out.toFixed(2)} is not an integer; ` +
        `choose the stride and padding so that S divides H + 2P − F`,
    );
  }
  return out;
}

/** Stride and padding with their defaults, checked (positive integer stride, non-negative integer padding). */
export function checkConvParams(conv: ConvParams | undefined): { stride: number; pad: number } {
  checkKnownOptions(conv, CONV_PARAM_NAMES, "convolution options");
  const stride = conv?.stride ?? 1;
  const pad = conv?.pad ?? 0;
  checkPositiveInteger(stride, "stride");
  checkNonNegativeInteger(pad, "pad");
  return { stride, pad };
}

/**
 * Checks the shapes of a convolution (x [N, H, W, C], W [F, F, C, K], b [K]) and returns the output
 * shape [N, H', W', K]. Every mistake names the shapes it saw.
 */
export function checkConvShapes(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor, conv: { stride: number; pad: number }): [number, number, number, number] {
  if (x.rank !== 4) throw new InvalidInputError("x", `convolution: x must be images [N, H, W, C], got shape ${shapeText(x.shape)}`);
  if (W.rank !== 4) throw new InvalidInputError("W", `convolution: W must be filters [F, F, C, K], got shape ${shapeText(W.shape)}`);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [fh, fw, wc, k] = W.shape as [number, number, number, number];
  if (wc !== c) {
    throw new InvalidInputError("x", `convolution: the images have ${c} channel${c === 1 ? "" : "s"} (x ${shapeText(x.shape)}) but the filters W ${shapeText(W.shape)} expect ${wc} (W is [F, F, C, K])`);
  }
  if (b.rank !== 1 || b.shape[0] !== k) throw new InvalidInputError("b", `convolution: b must have one bias per filter, [${k}], got ${shapeText(b.shape)}`);
  const outH = convOutputSize(h, fh, conv.stride, conv.pad, "convolution: output height");
  const outW = convOutputSize(w, fw, conv.stride, conv.pad, "convolution: output width");
  return [n, outH, outW, k];
}

/** Throws when a batch holds NaN or ±∞, naming the first one (the naive layers read every value anyway). */
function checkFiniteImages(values: ArrayLike<number>, shape: readonly number[], what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) {
      const [, h, w, c] = shape as [number, number, number, number];
      const n = Math.floor(i / (h * w * c));
      const rest = i % (h * w * c);
      throw new InvalidInputError(what, `${what} holds ${v} in image ${n} at row ${Math.floor(rest / (w * c))}, column ${Math.floor(rest / c) % w}, channel ${rest % c}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Naive: the formulas as loops

/**
 * out [N, H', W', K] by the formula, one multiply-add at a time: for every image n, output position
 * (i, j) and filter k, the dot product of the F×F×C input patch at (i·S − P, j·S − P) with filter k,
 * plus b[k]. Positions in the padding read zero. Small inputs only.
 */
export function convForwardNaive(x: tf.Tensor4D, W: tf.Tensor4D, b: tf.Tensor1D, conv: ConvParams = {}): { out: tf.Tensor4D; cache: ConvCache } {
  const { stride, pad } = checkConvParams(conv);
  const [n, outH, outW, k] = checkConvShapes(x, W, b, { stride, pad });
  const [, h, w, c] = x.shape;
  const [fh, fw] = W.shape;
  const xs = x.dataSync();
  checkFiniteImages(xs, x.shape, "convolution: x");
  const ws = W.dataSync();
  const bs = b.dataSync();
  const out = new Float32Array(n * outH * outW * k);
  // BEGIN SOLUTION conv-forward-naive (3 pts)
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let kk = 0; kk < k; kk++) {
          let sum = bs[kk]!;
          for (let a = 0; a < fh; a++) {
            const row = i * stride + a - pad;
            if (row < 0 || row >= h) continue; // zero padding
            for (let bb = 0; bb < fw; bb++) {
              const col = j * stride + bb - pad;
              if (col < 0 || col >= w) continue;
              for (let ch = 0; ch < c; ch++) {
                sum += xs[((img * h + row) * w + col) * c + ch]! * ws[((a * fw + bb) * c + ch) * k + kk]!;
              }
            }
          }
          out[((img * outH + i) * outW + j) * k + kk] = sum;
        }
      }
    }
  }
  // END SOLUTION
  return { out: tf.tensor4d(out, [n, outH, outW, k]), cache: { x, W, stride, pad } };
}

/** dx, dW, db by the formulas of the header, as loops: each output gradient flows back to the patch and the filter it came from. */
export function convBackwardNaive(dout: tf.Tensor4D, cache: ConvCache): Required<ConvGradients> {
  const { x, W, stride, pad } = cache;
  const [n, h, w, c] = x.shape;
  const [fh, fw, , k] = W.shape;
  const [, outH, outW] = dout.shape;
  const xs = x.dataSync();
  const ws = W.dataSync();
  const ds = dout.dataSync();
  const dx = new Float32Array(x.size);
  const dW = new Float32Array(W.size);
  const db = new Float32Array(k);
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let kk = 0; kk < k; kk++) {
          const g = ds[((img * outH + i) * outW + j) * k + kk]!;
          db[kk] += g;
          for (let a = 0; a < fh; a++) {
            const row = i * stride + a - pad;
            if (row < 0 || row >= h) continue;
            for (let bb = 0; bb < fw; bb++) {
              const col = j * stride + bb - pad;
              if (col < 0 || col >= w) continue;
              for (let ch = 0; ch < c; ch++) {
                const xi = ((img * h + row) * w + col) * c + ch;
                const wi = ((a * fw + bb) * c + ch) * k + kk;
                dW[wi] += xs[xi]! * g;
                dx[xi] += ws[wi]! * g;
              }
            }
          }
        }
      }
    }
  }
  return { dx: tf.tensor4d(dx, x.shape), dW: tf.tensor4d(dW, W.shape), db: tf.tensor1d(db) };
}

// ---------------------------------------------------------------------------------------------
// Fast: TensorFlow.js's convolution and its gradient ops

/** Zero padding P on both sides of rows and columns, in TensorFlow.js's explicit form (or "valid" for none). */
export function explicitPadding(pad: number): "valid" | [[number, number], [number, number], [number, number], [number, number]] {
  return pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]];
}

/** out = conv(x, W) + b with TensorFlow.js's conv2d: the same numbers as `convForwardNaive`, one kernel call. */
export function convForward(x: tf.Tensor4D, W: tf.Tensor4D, b: tf.Tensor1D, conv: ConvParams = {}): { out: tf.Tensor4D; cache: ConvCache } {
  const { stride, pad } = checkConvParams(conv);
  checkConvShapes(x, W, b, { stride, pad });
  const out = tf.add(tf.conv2d(x, W, stride, explicitPadding(pad)), b) as tf.Tensor4D;
  return { out, cache: { x, W, stride, pad } };
}

/**
 * dW = the filter gradient: TensorFlow's `Conv2DBackpropFilter`, the correlation of the input
 * patches with dout (tfjs-core runs it for conv2d's gradient but does not export it as an op).
 */
export function convFilterGradient(x: tf.Tensor4D, dout: tf.Tensor4D, filterShape: readonly number[], stride: number, pad: number): tf.Tensor4D {
  return tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dout }, {
    strides: [stride, stride], pad: explicitPadding(pad), dataFormat: "NHWC", dimRoundingMode: undefined, filterShape: [...filterShape],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * Backward of `convForward`: db sums dout over images and positions; dW correlates the input with dout
 * (`convFilterGradient`); dx is the transposed convolution of dout with W (TensorFlow.js's
 * conv2dTranspose: the "full" convolution with flipped filters, padding cut off). `needInput: false`
 * skips dx (a first layer's input is the data, whose gradient nobody uses).
 */
export function convBackward(dout: tf.Tensor4D, cache: ConvCache, needInput = true): ConvGradients {
  const { x, W, stride, pad } = cache;
  const db = tf.sum(dout, [0, 1, 2]) as tf.Tensor1D;
  const dW = convFilterGradient(x, dout, W.shape, stride, pad);
  if (!needInput) return { dW, db };
  const dx = tf.conv2dTranspose(dout, W, x.shape, stride, explicitPadding(pad)) as tf.Tensor4D;
  return { dx, dW, db };
}
