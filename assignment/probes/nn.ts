/** Probes of the neural-network exercises: affine and ReLU layers, the network's loss and gradients. */
import type * as Layers from "../../lib/src/nn/layers.js";
import type * as Network from "../../lib/src/nn/network.js";
import type * as Init from "../../lib/src/nn/init.js";
import { tensorData, tidy, type Probe } from "../probe-kit.js";

export const probes: Record<string, Probe> = {
  /** { x, W, b } -> { out, cacheKeepsInputs } of affineForward. */
  async "affine-forward"(input: { x: number[][]; W: number[][]; b: number[] }, { tf, load }) {
    const { affineForward } = await load<typeof Layers>("nn/layers");
    return tidy(tf, () => {
      const x = tf.tensor2d(input.x);
      const W = tf.tensor2d(input.W);
      const { out, cache } = affineForward(x, W, tf.tensor1d(input.b));
      return { out: tensorData(out, "out"), cacheKeepsInputs: cache?.x === x && cache?.W === W };
    });
  },

  /** { dout, x, W, needInput? } -> { dx, dW, db } of affineBackward (dx null when not returned). */
  async "affine-backward"(input: { dout: number[][]; x: number[][]; W: number[][]; needInput?: boolean }, { tf, load }) {
    const { affineBackward } = await load<typeof Layers>("nn/layers");
    return tidy(tf, () => {
      const cache = { x: tf.tensor2d(input.x), W: tf.tensor2d(input.W) };
      const r = input.needInput === undefined ? affineBackward(tf.tensor2d(input.dout), cache) : affineBackward(tf.tensor2d(input.dout), cache, input.needInput);
      return { dx: r.dx === undefined ? null : tensorData(r.dx, "dx"), dW: tensorData(r.dW, "dW"), db: tensorData(r.db, "db") };
    });
  },

  /** { z: nested numbers } -> { out, cacheZ } of reluForward. */
  async "relu-forward"(input: { z: unknown }, { tf, load }) {
    const { reluForward } = await load<typeof Layers>("nn/layers");
    return tidy(tf, () => {
      const { out, cache } = reluForward(tf.tensor(input.z as number[]));
      return { out: tensorData(out, "out"), cacheZ: tensorData(cache?.z, "cache.z") };
    });
  },

  /** { z, dout } -> dz of reluBackward, with the cache reluForward's contract describes ({ z, a = relu(z) }). */
  async "relu-backward"(input: { z: unknown; dout: unknown }, { tf, load }) {
    const { reluBackward } = await load<typeof Layers>("nn/layers");
    return tidy(tf, () => {
      const z = tf.tensor(input.z as number[]);
      return { dz: tensorData(reluBackward(tf.tensor(input.dout as number[]), { z, a: tf.relu(z) }), "dz") };
    });
  },

  /** { sizes, init, seed, x, y, config } -> { loss, grads } of networkLossAndGrads on initNetworkParams(sizes, init, seed). */
  async "network-loss-and-grads"(input: { sizes: number[]; init: number; seed: number; x: number[][]; y: number[]; config: Record<string, unknown> }, { tf, load }) {
    const { networkLossAndGrads } = await load<typeof Network>("nn/network");
    const { initNetworkParams } = await load<typeof Init>("nn/init");
    const params = initNetworkParams(input.sizes, input.init, input.seed);
    const x = tf.tensor2d(input.x);
    try {
      return tidy(tf, () => {
        const { loss, grads } = networkLossAndGrads(params, x, Int32Array.from(input.y), input.config as Network.NetworkConfig);
        const out: Record<string, unknown> = {};
        for (const name of Object.keys(grads ?? {}).sort()) out[name] = tensorData(grads[name], `gradient ${name}`);
        return { loss: tensorData(loss, "loss").values[0], grads: out };
      });
    } finally {
      tf.dispose([x, ...Object.values(params)]);
    }
  },
};
