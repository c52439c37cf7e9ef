/**
 * The graded exercises of the convolutional-network chapter (assignment mode, `assignment/exercises.json`):
 * each test is named "<exercise>: ..." so the grader can run one exercise alone with
 * `--test-name-pattern`. Each checks the student's function on small inputs against values worked by
 * hand, library code that is not an exercise (the fast layers, the forward passes) or tf.grad.
 * The files students edit are imported inside the tests, so a file that does not load fails only the
 * exercises that need it.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { enableAutodiff } from "../lib/src/nn/autodiff.js";

const lib = {
  conv: () => import("../lib/src/nn/conv.js"),
  pool: () => import("../lib/src/nn/pool.js"),
  batchnorm: () => import("../lib/src/nn/batchnorm.js"),
  dropout: () => import("../lib/src/nn/dropout.js"),
};

before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Math.abs(actual[k]! - expected[k]!) <= tol * Math.max(1, Math.abs(expected[k]!)), `${what}[${k}] is ${actual[k]}, expected ${expected[k]}`);
  }
}

test("conv-forward-naive: a 3×3 image and one 2×2 filter, by hand", async () => {
  const { convForwardNaive } = await lib.conv();
  tf.tidy(() => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const W = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
    const { out } = convForwardNaive(x, W, tf.tensor1d([1]));
    assert.deepEqual(out.shape, [1, 2, 2, 1]);
    // 1·1 + 2·2 + 4·3 + 5·4 + 1 = 38, ...
    assertClose(out.dataSync(), [38, 48, 68, 78], 1e-6, "out");
    // padding 1: 4×4 outputs; the corner sees only x[0, 0] (under the filter's 4), the next one x[0, 0]·3 + x[0, 1]·4
    const padded = convForwardNaive(x, W, tf.tensor1d([0]), { stride: 1, pad: 1 }).out.dataSync();
    assertClose([padded[0]!, padded[1]!, padded[5]!, padded[15]!], [4, 3 + 8, 37, 9], 1e-6, "pad 1 (corners and centre)");
    // stride 2 on a 5×5 image: 2×2 outputs from the patches at rows/columns 0 and 2
    const five = tf.tensor4d(Array.from({ length: 25 }, (_, i) => i), [1, 5, 5, 1]);
    const strided = convForwardNaive(five, tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0, 1], [3, 3, 1, 1]), tf.tensor1d([0]), { stride: 2 }).out;
    assert.deepEqual(strided.shape, [1, 2, 2, 1]);
    assertClose(strided.dataSync(), [0 + 12, 2 + 14, 10 + 22, 12 + 24], 1e-6, "stride 2");
  });
});

test("conv-forward-naive: agrees with the fast layer on several images, channels, filters, strides and paddings", async () => {
  const { convForwardNaive, convForward } = await lib.conv();
  for (const [shape, filter, stride, pad] of [[[2, 5, 5, 3], [3, 3, 3, 4], 1, 1], [[1, 7, 7, 2], [3, 3, 2, 2], 2, 0], [[3, 6, 6, 1], [5, 5, 1, 3], 1, 2]] as const) {
    tf.tidy(() => {
      const x = tf.randomNormal([...shape], 0, 1, "float32", 1) as tf.Tensor4D;
      const W = tf.randomNormal([...filter], 0, 1, "float32", 2) as tf.Tensor4D;
      const b = tf.randomNormal([filter[3]], 0, 1, "float32", 3) as tf.Tensor1D;
      const naive = convForwardNaive(x, W, b, { stride, pad }).out;
      const fast = convForward(x, W, b, { stride, pad }).out;
      assert.deepEqual(naive.shape, fast.shape);
      assertClose(naive.dataSync(), fast.dataSync(), 1e-4, `x [${shape}], W [${filter}], stride ${stride}, pad ${pad}`);
    });
  }
});

test("maxpool-backward: each window's gradient goes to its maximum only (by hand, negative windows too)", async () => {
  const { maxPoolForwardNaive, maxPoolBackwardNaive } = await lib.pool();
  tf.tidy(() => {
    const x = tf.tensor4d([1, 3, 5, 4, 2, 0, -1, -2, -3, -4, 8, 6, -6, -5, 7, 9], [1, 4, 4, 1]);
    const { cache } = maxPoolForwardNaive(x);
    const dx = maxPoolBackwardNaive(tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]), cache);
    assert.deepEqual(dx.shape, [1, 4, 4, 1]);
    assertClose(dx.dataSync(), [0, 10, 20, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 40], 0, "dx");
  });
});

test("maxpool-backward: agrees with the fast layer (2 images, 3 channels, 2×2 and 3×3 windows)", async () => {
  const { maxPoolForwardNaive, maxPoolBackwardNaive, maxPoolForward, maxPoolBackward } = await lib.pool();
  for (const pool of [{}, { size: 3, stride: 3 }]) {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", 4) as tf.Tensor4D;
      const dout = tf.randomNormal(maxPoolForward(x, pool).out.shape, 0, 1, "float32", 5) as tf.Tensor4D;
      const naive = maxPoolBackwardNaive(dout, maxPoolForwardNaive(x, pool).cache);
      assertClose(naive.dataSync(), maxPoolBackward(dout, maxPoolForward(x, pool).cache).dataSync(), 1e-6, `pool ${JSON.stringify(pool)}`);
    });
  }
});

test("batchnorm-backward: dx, dγ, dβ in train mode equal tf.grad of the forward pass", async () => {
  const { batchNormForward, batchNormBackward } = await lib.batchnorm();
  tf.tidy(() => {
    const x = tf.mul(tf.randomNormal([6, 4], 0, 1, "float32", 6), 2) as tf.Tensor2D;
    const gamma = tf.tensor1d([1.2, -0.5, 0.8, 2]);
    const beta = tf.tensor1d([0.1, 0.2, -0.3, 0]);
    const running = { mean: tf.zeros([4]) as tf.Tensor1D, variance: tf.ones([4]) as tf.Tensor1D };
    const dout = tf.randomNormal([6, 4], 0, 1, "float32", 7) as tf.Tensor2D;
    const { cache } = batchNormForward(x, gamma, beta, running, { mode: "train" });
    const { dx, dgamma, dbeta } = batchNormBackward(dout, cache);
    const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormForward(xx as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, running, { mode: "train" }).out, dout));
    const [ax, ag, ab] = tf.grads(f)([x, gamma, beta]);
    assertClose(dx.dataSync(), ax!.dataSync(), 1e-4, "dx");
    assertClose(dgamma.dataSync(), ag!.dataSync(), 1e-4, "dgamma");
    assertClose(dbeta.dataSync(), ab!.dataSync(), 1e-4, "dbeta");
    // the gradient through the batch mean: Σ_n dx = 0 for every feature
    assertClose(tf.sum(dx, 0).dataSync(), [0, 0, 0, 0], 1e-4, "Σ_n dx");
  });
});

test("batchnorm-backward: in test mode dx = dout·γ/√(running variance + ε)", async () => {
  const { batchNormForward, batchNormBackward } = await lib.batchnorm();
  tf.tidy(() => {
    const x = tf.randomNormal([5, 2], 0, 1, "float32", 8) as tf.Tensor2D;
    const running = { mean: tf.tensor1d([1, -1]), variance: tf.tensor1d([4, 0.25]) };
    const { cache } = batchNormForward(x, tf.tensor1d([3, 2]), tf.tensor1d([0, 0]), running, { mode: "test", eps: 1e-12 });
    const { dx } = batchNormBackward(tf.ones([5, 2]) as tf.Tensor2D, cache);
    assertClose(dx.dataSync(), Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 3 / 2 : 2 / 0.5)), 1e-5, "dx");
  });
});

test("dropout-forward: train mode drops about p of the units and scales the rest by 1/(1 − p); seeded; test mode is the identity", async () => {
  const { dropoutForward, dropoutBackward } = await lib.dropout();
  tf.tidy(() => {
    const x = tf.ones([50, 80]);
    const { out, cache } = dropoutForward(x, { p: 0.25, mode: "train", seed: 3 });
    const values = out.dataSync();
    const zeros = values.filter((v) => v === 0).length / values.length;
    assert.ok(Math.abs(zeros - 0.25) < 0.03, `fraction dropped ${zeros}, expected about 0.25`);
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6), "kept units must be x / (1 − p)");
    assert.deepEqual(Array.from(dropoutForward(x, { p: 0.25, mode: "train", seed: 3 }).out.dataSync()), Array.from(values), "the same seed must give the same mask");
    assert.ok(cache.mask, "train mode must cache its mask for the backward pass");
    assertClose(dropoutBackward(tf.ones([50, 80]), cache).dataSync(), values, 0, "dx = dout ⊙ mask");
    assert.equal(dropoutForward(x, { p: 0.25, mode: "test" }).out, x);
  });
});
