/** Probes of the convolutional-network exercises: naive convolution, max-pool backward, batch norm backward, dropout forward. */
import type * as Conv from "../../lib/src/nn/conv.js";
import type * as Pool from "../../lib/src/nn/pool.js";
import type * as BatchNorm from "../../lib/src/nn/batchnorm.js";
import type * as Dropout from "../../lib/src/nn/dropout.js";
import { tensorData, tidy, type Probe } from "../probe-kit.js";

type Shape4 = [number, number, number, number];

export const probes: Record<string, Probe> = {
  /** { x, xShape, w, wShape, b, stride, pad } -> { out } of convForwardNaive. */
  async "conv-forward"(input: { x: number[]; xShape: Shape4; w: number[]; wShape: Shape4; b: number[]; stride: number; pad: number }, { tf, load }) {
    const { convForwardNaive } = await load<typeof Conv>("nn/conv");
    return tidy(tf, () => {
      const { out } = convForwardNaive(tf.tensor4d(input.x, input.xShape), tf.tensor4d(input.w, input.wShape), tf.tensor1d(input.b), { stride: input.stride, pad: input.pad });
      return { out: tensorData(out, "out") };
    });
  },

  /** { x, xShape, dout, size, stride } -> { dx } of maxPoolBackwardNaive, with the cache of the (solution-independent) fast forward pass. */
  async "maxpool-backward"(input: { x: number[]; xShape: Shape4; dout: number[]; size: number; stride: number }, { tf, load }) {
    const { maxPoolForward, maxPoolBackwardNaive } = await load<typeof Pool>("nn/pool");
    return tidy(tf, () => {
      const { out, cache } = maxPoolForward(tf.tensor4d(input.x, input.xShape), { size: input.size, stride: input.stride });
      return { dx: tensorData(maxPoolBackwardNaive(tf.tensor4d(input.dout, out.shape), cache), "dx") };
    });
  },

  /** { x, gamma, beta, dout, mode } -> { dx, dgamma, dbeta } of batchNormBackward after batchNormForward (running mean 0, variance 1). */
  async "batchnorm-backward"(input: { x: number[][]; gamma: number[]; beta: number[]; dout: number[][]; mode: "train" | "test"; runningMean?: number[]; runningVar?: number[] }, { tf, load }) {
    const { batchNormForward, batchNormBackward } = await load<typeof BatchNorm>("nn/batchnorm");
    return tidy(tf, () => {
      const d = input.gamma.length;
      const running = { mean: tf.tensor1d(input.runningMean ?? new Array(d).fill(0)), variance: tf.tensor1d(input.runningVar ?? new Array(d).fill(1)) };
      const { cache } = batchNormForward(tf.tensor2d(input.x), tf.tensor1d(input.gamma), tf.tensor1d(input.beta), running, { mode: input.mode });
      const g = batchNormBackward(tf.tensor2d(input.dout), cache);
      return { dx: tensorData(g?.dx, "dx"), dgamma: tensorData(g?.dgamma, "dgamma"), dbeta: tensorData(g?.dbeta, "dbeta") };
    });
  },

  /** { shape, p, mode, seed } -> { out, again, masked } of dropoutForward on ones: the output, the same call again, and dropoutBackward(ones) with its cache. */
  async "dropout-forward"(input: { shape: number[]; p: number; mode: "train" | "test"; seed: number }, { tf, load }) {
    const { dropoutForward, dropoutBackward } = await load<typeof Dropout>("nn/dropout");
    return tidy(tf, () => {
      const x = tf.ones(input.shape);
      const first = dropoutForward(x, { p: input.p, mode: input.mode, seed: input.seed });
      const again = dropoutForward(x, { p: input.p, mode: input.mode, seed: input.seed }).out;
      return { out: tensorData(first.out, "out"), again: tensorData(again, "out of a second call"), masked: tensorData(dropoutBackward(tf.ones(input.shape), first.cache), "dropoutBackward with the cache") };
    });
  },
};
