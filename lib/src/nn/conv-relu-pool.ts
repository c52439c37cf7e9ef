/**
 * The "sandwich" layers of a convolutional network: convolution, ReLU, max pooling as one
 * forward/backward pair (the course's `conv_relu_pool_forward`), and the same with spatial batch
 * normalisation after the convolution.
 *
 * They compute exactly pool(relu(conv(x) + b)), in a cheaper order:
 *   - pooling passes a per-channel constant through unchanged: pool(z + b) = pool(z) + b, so the
 *     bias is added after pooling;
 *   - ReLU and max commute (both are monotone): max_i max(0, z_i) = max(0, max_i z_i), so ReLU runs
 *     on the pooled map.
 * With 2×2 pooling both touch a quarter of the values. The gradients are the same too: pooling sends
 * each window's gradient to its argmax, so the sum over a channel (the bias gradient) is unchanged,
 * and where the window's maximum is ≤ 0 the ReLU blocks the gradient either way.
 * With batch normalisation the order is conv → batch norm → pool → ReLU (batch norm's γ may be
 * negative, which would not commute with the max, so it comes before pooling), and the convolution
 * has no bias: batch norm subtracts the mean, and β takes its place.
 *
 * All functions create new tensors; call them inside `tf.tidy`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { checkConvParams, checkConvShapes, convBackward, explicitPadding, type ConvCache, type ConvParams } from "./conv.js";
import { maxPoolBackward, maxPoolForward, type PoolCache, type PoolParams } from "./pool.js";
import { reluBackward, reluForward, type ActivationCache } from "./layers.js";
import { spatialBatchNormBackward, spatialBatchNormForward, type BatchNormCache, type BatchNormOptions, type BatchNormRunning } from "./batchnorm.js";

/** What the sandwich's backward pass needs: each part's cache. */
export interface ConvReluPoolCache {
  conv: ConvCache;
  pool: PoolCache;
  relu: ActivationCache;
}

/** The convolution alone, without its bias (x [N, H, W, C], W [F, F, C, K]); shapes checked with b's. */
function convWithoutBias(x: tf.Tensor4D, W: tf.Tensor4D, b: tf.Tensor1D, conv: ConvParams): { z: tf.Tensor4D; cache: ConvCache } {
  const { stride, pad } = checkConvParams(conv);
  checkConvShapes(x, W, b, { stride, pad });
  return { z: tf.conv2d(x, W, stride, explicitPadding(pad)), cache: { x, W, stride, pad } };
}

/** out [N, H'/s, W'/s, K] = pool(relu(conv(x) + b)), computed as relu(pool(conv(x)) + b) (see the header). */
export function convReluPoolForward(
  x: tf.Tensor4D,
  W: tf.Tensor4D,
  b: tf.Tensor1D,
  conv: ConvParams = {},
  pool: PoolParams = {},
): { out: tf.Tensor4D; cache: ConvReluPoolCache } {
  const { z, cache: convCache } = convWithoutBias(x, W, b, conv);
  const pooled = maxPoolForward(z, pool);
  const relu = reluForward(tf.add(pooled.out, b) as tf.Tensor4D);
  return { out: relu.out, cache: { conv: convCache, pool: pooled.cache, relu: relu.cache } };
}

/** dx (unless `needInput` is false), dW, db of the sandwich: ReLU's mask, the pooling's routing, the convolution's gradients. */
export function convReluPoolBackward(dout: tf.Tensor4D, cache: ConvReluPoolCache, needInput = true): ReturnType<typeof convBackward> {
  const dpooled = reluBackward(dout, cache.relu);
  const dz = maxPoolBackward(dpooled, cache.pool);
  // db = Σ dz over images and positions = Σ dpooled: pooling passes every gradient on whole.
  return convBackward(dz, cache.conv, needInput);
}

/** What the batch-normalised sandwich's backward pass needs. */
export interface ConvBnReluPoolCache {
  conv: ConvCache;
  bn: BatchNormCache;
  pool: PoolCache;
  relu: ActivationCache;
}

/**
 * out = relu(pool(batchnorm(conv(x)))) with γ, β and running statistics [K] (the convolution has no
 * bias); returns the running statistics after this batch as `spatialBatchNormForward` does.
 */
export function convBnReluPoolForward(
  x: tf.Tensor4D,
  W: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: BatchNormRunning,
  bn: BatchNormOptions,
  conv: ConvParams = {},
  pool: PoolParams = {},
): { out: tf.Tensor4D; cache: ConvBnReluPoolCache; running: BatchNormRunning } {
  const { z, cache: convCache } = convWithoutBias(x, W, beta, conv);
  const normalised = spatialBatchNormForward(z, gamma, beta, running, bn);
  const pooled = maxPoolForward(normalised.out, pool);
  const relu = reluForward(pooled.out);
  return { out: relu.out, cache: { conv: convCache, bn: normalised.cache, pool: pooled.cache, relu: relu.cache }, running: normalised.running };
}

/** dx (unless `needInput` is false), dW, dγ, dβ of the batch-normalised sandwich. */
export function convBnReluPoolBackward(
  dout: tf.Tensor4D,
  cache: ConvBnReluPoolCache,
  needInput = true,
): { dx?: tf.Tensor4D; dW: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D } {
  const dpooled = reluBackward(dout, cache.relu);
  const dnormalised = maxPoolBackward(dpooled, cache.pool);
  const { dx: dz, dgamma, dbeta } = spatialBatchNormBackward(dnormalised, cache.bn);
  const { dx, dW } = convBackward(dz, cache.conv, needInput);
  return { dx, dW, dgamma, dbeta };
}
