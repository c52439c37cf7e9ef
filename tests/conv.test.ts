// The convolutional layers (nn/conv.ts, pool.ts, conv-relu-pool.ts, batchnorm.ts, dropout.ts): values
// by hand, naive and fast versions that agree, every backward against numerical gradients and
// tf.grad, deliberately broken backward passes caught, and bad input named.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/index.js";
import {
  batchNormBackward,
  batchNormForward,
  convBackward,
  convBackwardNaive,
  convBnReluPoolBackward,
  convBnReluPoolForward,
  convForward,
  convForwardNaive,
  convOutputSize,
  convReluPoolBackward,
  convReluPoolForward,
  dropoutBackward,
  dropoutForward,
  enableAutodiff,
  maxPoolBackward,
  maxPoolBackwardNaive,
  maxPoolForward,
  maxPoolForwardNaive,
  spatialBatchNormBackward,
  spatialBatchNormForward,
  type BatchNormCache,
  type PoolCache,
} from "../lib/src/nn/index.js";
import { gradCheckTensors } from "../lib/src/optim/index.js";
import { InvalidInputError } from "../lib/src/core/index.js";

before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});

function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, "float32", seed), scale));
}

/** Largest |a − b| / max(|a| + |b|, 1e-3): how far two gradients disagree. */
function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(Math.abs(x[i]!) + Math.abs(y[i]!), 1e-3));
  return worst;
}

/** Distinct values well apart (a shuffled ramp), so no max-pool window has a tie or a near-tie within h. */
function distinctTensor(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const ramp = tf.mul(tf.sub(tf.range(0, size, 1, "float32"), size / 2), 0.1);
    return tf.reshape(tf.gather(ramp, shuffled(size, seed)), shape);
  });
}
function shuffled(size: number, seed: number): tf.Tensor1D {
  let s = seed + 1;
  const order = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    s = (s * 16807) % 2147483647;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return tf.tensor1d(order, "int32");
}

/**
 * Checks a backward pass both ways: against centred differences of f = Σ(forward(inputs) ⊙ dout)
 * (the loss whose upstream gradient is dout) and against tf.grad of the same f.
 */
function checkBackward(
  label: string,
  inputs: Record<string, tf.Tensor>,
  forward: (p: Record<string, tf.Tensor>) => tf.Tensor,
  analytic: Record<string, tf.Tensor>,
  dout: tf.Tensor,
  options: { samples?: number; h?: number; allowedFailures?: number } = {},
): void {
  const f = (p: Record<string, tf.Tensor>): tf.Scalar => tf.sum(tf.mul(forward(p), dout));
  const report = gradCheckTensors({ params: inputs, grads: analytic, loss: f }, { samples: options.samples ?? 12, h: options.h ?? 1e-2, allowedFailures: options.allowedFailures ?? 0 });
  assert.ok(report.passed, `${label}: ${report.summary}`);
  const names = Object.keys(inputs);
  const auto = tf.grads((...ts: tf.Tensor[]) => f(Object.fromEntries(names.map((n, i) => [n, ts[i]!]))))(names.map((n) => inputs[n]!));
  names.forEach((n, i) => {
    const difference = maxRelativeDifference(analytic[n]!, auto[i]!);
    assert.ok(difference < 1e-3, `${label}: ∂/∂${n} handwritten vs tf.grad differ by ${difference}`);
  });
}

test("output size (H + 2P − F)/S + 1: the course's examples, and errors that name the numbers", () => {
  assert.equal(convOutputSize(28, 5, 1, 2), 28); // "same" padding keeps the size
  assert.equal(convOutputSize(32, 5, 1, 0), 28);
  assert.equal(convOutputSize(7, 3, 1, 0), 5);
  assert.equal(convOutputSize(7, 3, 2, 0), 3);
  assert.equal(convOutputSize(7, 3, 2, 1), 4);
  assert.throws(() => convOutputSize(7, 3, 3, 0), /\(7 \+ 2·0 − 3\)\/3 \+ 1 = 2\.33 is not an integer/);
  assert.throws(() => convOutputSize(3, 5, 1, 0), /the filter \(F = 5\) is larger than the padded input \(H \+ 2P = 3 \+ 2·0 = 3\)/);
  assert.throws(() => convOutputSize(3, 5, 1, 0), InvalidInputError);
  assert.equal(convOutputSize(3, 5, 1, 1), 1); // padding makes room
});

test("a convolution by hand: 3×3 image, one 2×2 filter, bias 1 (naive and fast)", () => {
  tf.tidy(() => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const W = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
    const b = tf.tensor1d([1]);
    // out[0,0] = 1·1 + 2·2 + 4·3 + 5·4 + 1 = 38; out[0,1] = 2 + 6 + 15 + 24 + 1 = 48; ...
    const expected = [38, 48, 68, 78];
    assert.deepEqual(Array.from(convForwardNaive(x, W, b).out.dataSync()), expected);
    assert.deepEqual(Array.from(convForward(x, W, b).out.dataSync()), expected);
    // with padding 1 the corner output sees only x[0,0] (under the filter's 4): 1·4 + 1 = 5
    const padded = convForward(x, W, b, { pad: 1 }).out;
    assert.deepEqual(padded.shape, [1, 4, 4, 1]);
    assert.equal(padded.dataSync()[0], 5);
    // a vertical-edge filter [−1, 1] answers where the values rise to the right
    const edge = convForward(tf.tensor4d([0, 0, 1, 1, 0, 0, 1, 1], [1, 2, 4, 1]), tf.tensor4d([-1, 1], [1, 2, 1, 1]), tf.tensor1d([0])).out;
    assert.deepEqual(Array.from(edge.dataSync()), [0, 1, 0, 0, 1, 0]);
  });
});

test("naive and fast convolution agree (forward and backward; strides 1-2, padding 0-2, 1-3 channels)", () => {
  const cases = [
    { x: [2, 7, 7, 3], w: [3, 3, 3, 4], stride: 1, pad: 0 },
    { x: [2, 8, 8, 1], w: [5, 5, 1, 2], stride: 1, pad: 2 },
    { x: [1, 9, 9, 2], w: [3, 3, 2, 3], stride: 2, pad: 1 },
    { x: [3, 6, 6, 2], w: [2, 2, 2, 2], stride: 2, pad: 0 },
  ];
  cases.forEach((c, i) => {
    tf.tidy(() => {
      const x = randomTensor(c.x, 10 + i) as tf.Tensor4D;
      const W = randomTensor(c.w, 20 + i) as tf.Tensor4D;
      const b = randomTensor([c.w[3]!], 30 + i) as tf.Tensor1D;
      const naive = convForwardNaive(x, W, b, { stride: c.stride, pad: c.pad });
      const fast = convForward(x, W, b, { stride: c.stride, pad: c.pad });
      assert.ok(maxRelativeDifference(naive.out, fast.out) < 1e-4, `case ${i} forward`);
      const dout = randomTensor(naive.out.shape, 40 + i) as tf.Tensor4D;
      const gn = convBackwardNaive(dout, naive.cache);
      const gf = convBackward(dout, fast.cache);
      assert.ok(maxRelativeDifference(gn.dx, gf.dx!) < 1e-4, `case ${i} dx`);
      assert.ok(maxRelativeDifference(gn.dW, gf.dW) < 1e-4, `case ${i} dW`);
      assert.ok(maxRelativeDifference(gn.db, gf.db) < 1e-4, `case ${i} db`);
      assert.equal(convBackward(dout, fast.cache, false).dx, undefined);
    });
  });
});

test("convolution backward (naive and fast) against numerical gradients and tf.grad", () => {
  tf.tidy(() => {
    const x = randomTensor([2, 7, 7, 2], 1) as tf.Tensor4D;
    const W = randomTensor([3, 3, 2, 3], 2) as tf.Tensor4D;
    const b = randomTensor([3], 3) as tf.Tensor1D;
    const conv = { stride: 1, pad: 1 };
    const dout = randomTensor([2, 7, 7, 3], 4) as tf.Tensor4D;
    const forward = (p: Record<string, tf.Tensor>) => convForward(p.x as tf.Tensor4D, p.W as tf.Tensor4D, p.b as tf.Tensor1D, conv).out;
    const fast = convBackward(dout, convForward(x, W, b, conv).cache);
    checkBackward("fast convolution", { x, W, b }, forward, { x: fast.dx!, W: fast.dW, b: fast.db }, dout);
    const naive = convBackwardNaive(dout, convForwardNaive(x, W, b, conv).cache);
    checkBackward("naive convolution", { x, W, b }, forward, { x: naive.dx, W: naive.dW, b: naive.db }, dout);
    const strided = { stride: 2, pad: 1 };
    const d2 = randomTensor([2, 4, 4, 3], 5) as tf.Tensor4D;
    const g2 = convBackward(d2, convForward(x, W, b, strided).cache);
    checkBackward("fast convolution, stride 2", { x, W, b }, (p) => convForward(p.x as tf.Tensor4D, p.W as tf.Tensor4D, p.b as tf.Tensor1D, strided).out, { x: g2.dx!, W: g2.dW, b: g2.db }, d2);
  });
});

test("max pooling by hand, naive and fast agree, and the gradient goes to each window's argmax only", () => {
  tf.tidy(() => {
    // one 4×4 channel: windows [[1, 3], [2, 0]] → 3, [[5, 4], [−1, −2]] → 5, ...
    const x = tf.tensor4d([1, 3, 5, 4, 2, 0, -1, -2, -3, -4, 8, 6, -6, -5, 7, 9], [1, 4, 4, 1]);
    for (const layer of [maxPoolForwardNaive(x), maxPoolForward(x)]) assert.deepEqual(Array.from(layer.out.dataSync()), [3, 5, -3, 9]);
    const dout = tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]);
    const expected = [0, 10, 20, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 40];
    assert.deepEqual(Array.from(maxPoolBackwardNaive(dout, maxPoolForwardNaive(x).cache).dataSync()), expected);
    // (the all-negative window [[−3, −4], [−6, −5]] too: a backend that drops it is wrong)
    assert.deepEqual(Array.from(maxPoolBackward(dout, maxPoolForward(x).cache).dataSync()), expected);
    const big = distinctTensor([2, 6, 6, 3], 7) as tf.Tensor4D;
    for (const pool of [{}, { size: 3, stride: 3 }, { size: 2, stride: 1 }]) {
      const naive = maxPoolForwardNaive(big, pool);
      const fast = maxPoolForward(big, pool);
      assert.deepEqual(Array.from(naive.out.dataSync()), Array.from(fast.out.dataSync()));
      const d = randomTensor(naive.out.shape, 8) as tf.Tensor4D;
      assert.ok(maxRelativeDifference(maxPoolBackwardNaive(d, naive.cache), maxPoolBackward(d, fast.cache)) < 1e-5, JSON.stringify(pool));
    }
  });
});

test("max pooling backward (naive and fast) against numerical gradients and tf.grad", () => {
  tf.tidy(() => {
    const x = distinctTensor([2, 4, 4, 3], 3) as tf.Tensor4D; // values 0.1 apart: h = 1e-2 never changes a window's winner
    const dout = randomTensor([2, 2, 2, 3], 4) as tf.Tensor4D;
    const forward = (p: Record<string, tf.Tensor>) => maxPoolForward(p.x as tf.Tensor4D).out;
    checkBackward("fast max pool", { x }, forward, { x: maxPoolBackward(dout, maxPoolForward(x).cache) }, dout, { samples: 30 });
    checkBackward("naive max pool", { x }, forward, { x: maxPoolBackwardNaive(dout, maxPoolForwardNaive(x).cache) }, dout, { samples: 30 });
  });
});

test("the conv-ReLU-pool sandwich equals pool(relu(conv + b)); its backward against numerical gradients and tf.grad", () => {
  tf.tidy(() => {
    const x = randomTensor([2, 6, 6, 2], 11) as tf.Tensor4D;
    const W = randomTensor([3, 3, 2, 4], 12) as tf.Tensor4D;
    const b = randomTensor([4], 13, 0.5) as tf.Tensor1D;
    const conv = { pad: 1 };
    const { out, cache } = convReluPoolForward(x, W, b, conv);
    const reference = maxPoolForward(tf.relu(convForward(x, W, b, conv).out)).out;
    assert.ok(maxRelativeDifference(out, reference) < 1e-5);
    const dout = randomTensor(out.shape, 14) as tf.Tensor4D;
    const g = convReluPoolBackward(dout, cache);
    // ReLU kinks and pooling winners may change within θ ± h for a coordinate or two
    checkBackward("conv-relu-pool", { x, W, b }, (p) => convReluPoolForward(p.x as tf.Tensor4D, p.W as tf.Tensor4D, p.b as tf.Tensor1D, conv).out, { x: g.dx!, W: g.dW, b: g.db }, dout, { h: 1e-3, allowedFailures: 2 });
  });
});

test("the sandwich with spatial batch norm: backward against numerical gradients and tf.grad", () => {
  tf.tidy(() => {
    const x = randomTensor([3, 4, 4, 2], 21) as tf.Tensor4D;
    const W = randomTensor([3, 3, 2, 3], 22) as tf.Tensor4D;
    const gamma = tf.tensor1d([1.5, -0.7, 0.9]);
    const beta = tf.tensor1d([0.1, 0.3, -0.2]);
    const running = { mean: tf.zeros([3]) as tf.Tensor1D, variance: tf.ones([3]) as tf.Tensor1D };
    const forward = (p: Record<string, tf.Tensor>) =>
      convBnReluPoolForward(p.x as tf.Tensor4D, p.W as tf.Tensor4D, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, running, { mode: "train" }, { pad: 1 }).out;
    const { out, cache } = convBnReluPoolForward(x, W, gamma, beta, running, { mode: "train" }, { pad: 1 });
    const dout = randomTensor(out.shape, 23) as tf.Tensor4D;
    const g = convBnReluPoolBackward(dout, cache);
    checkBackward("conv-bn-relu-pool", { x, W, gamma, beta }, forward, { x: g.dx!, W: g.dW, gamma: g.dgamma, beta: g.dbeta }, dout, { h: 1e-3, allowedFailures: 2 });
  });
});

test("batch norm, train mode: each feature has mean β and standard deviation |γ|; running averages move toward the batch", () => {
  tf.tidy(() => {
    const x = tf.add(tf.mul(randomTensor([200, 3], 31), tf.tensor1d([1, 5, 0.1])), tf.tensor1d([10, -3, 0])) as tf.Tensor2D;
    const gamma = tf.tensor1d([1, 2, 0.5]);
    const beta = tf.tensor1d([0, 1, -1]);
    const running = { mean: tf.zeros([3]) as tf.Tensor1D, variance: tf.ones([3]) as tf.Tensor1D };
    const { out, running: after } = batchNormForward(x, gamma, beta, running, { mode: "train", momentum: 0.9 });
    const { mean, variance } = tf.moments(out, 0);
    const m = mean.dataSync();
    const sd = tf.sqrt(variance).dataSync();
    [0, 1, -1].forEach((b, d) => assert.ok(Math.abs(m[d]! - b) < 1e-4, `mean ${d}: ${m[d]}`));
    [1, 2, 0.5].forEach((g, d) => assert.ok(Math.abs(sd[d]! - g) < 1e-3, `sd ${d}: ${sd[d]}`));
    // running = 0.9·running + 0.1·batch: the mean of feature 0 (≈10) moves from 0 to ≈1
    const batch = tf.moments(x, 0);
    assert.ok(maxRelativeDifference(after.mean, tf.mul(batch.mean, 0.1)) < 1e-4);
    assert.ok(maxRelativeDifference(after.variance, tf.add(0.9, tf.mul(batch.variance, 0.1))) < 1e-4);
    // test mode uses the running statistics: with mean 0 and variance 1, out = γx + β (up to ε)
    const test = batchNormForward(x, gamma, beta, running, { mode: "test" });
    assert.ok(maxRelativeDifference(test.out, tf.add(tf.mul(x, gamma), beta)) < 1e-4);
    assert.equal(test.running, running);
  });
});

test("batch norm backward (fully connected and spatial, train and test mode) against numerical gradients and tf.grad", () => {
  tf.tidy(() => {
    const running = { mean: tf.tensor1d([0.2, -0.1, 0.5, 0]), variance: tf.tensor1d([1.5, 0.8, 2, 1]) };
    const x = randomTensor([6, 4], 41, 2) as tf.Tensor2D;
    const gamma = tf.tensor1d([1.2, -0.5, 0.8, 2]);
    const beta = tf.tensor1d([0.1, 0.2, -0.3, 0]);
    for (const mode of ["train", "test"] as const) {
      const { out, cache } = batchNormForward(x, gamma, beta, running, { mode });
      const dout = randomTensor(out.shape, 42) as tf.Tensor2D;
      const g = batchNormBackward(dout, cache);
      const forward = (p: Record<string, tf.Tensor>) => batchNormForward(p.x as tf.Tensor2D, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, running, { mode }).out;
      checkBackward(`batch norm (${mode})`, { x, gamma, beta }, forward, { x: g.dx, gamma: g.dgamma, beta: g.dbeta }, dout);
    }
    const images = randomTensor([2, 3, 3, 4], 43) as tf.Tensor4D;
    const { out, cache } = spatialBatchNormForward(images, gamma, beta, running, { mode: "train" });
    const dout = randomTensor(out.shape, 44) as tf.Tensor4D;
    const g = spatialBatchNormBackward(dout, cache);
    const forward = (p: Record<string, tf.Tensor>) => spatialBatchNormForward(p.x as tf.Tensor4D, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, running, { mode: "train" }).out;
    checkBackward("spatial batch norm", { x: images, gamma, beta }, forward, { x: g.dx, gamma: g.dgamma, beta: g.dbeta }, dout);
  });
});

test("dropout: train mode drops about p of the units and keeps the mean, test mode does nothing, the same seed gives the same mask", () => {
  tf.tidy(() => {
    const x = tf.ones([100, 100]);
    const { out, cache } = dropoutForward(x, { p: 0.3, mode: "train", seed: 5 });
    const values = out.dataSync();
    const dropped = values.filter((v) => v === 0).length / values.length;
    assert.ok(Math.abs(dropped - 0.3) < 0.02, `dropped ${dropped}`);
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    assert.ok(Math.abs(tf.mean(out).dataSync()[0]! - 1) < 0.03);
    assert.deepEqual(Array.from(dropoutForward(x, { p: 0.3, mode: "train", seed: 5 }).out.dataSync()), Array.from(values));
    assert.notDeepEqual(Array.from(dropoutForward(x, { p: 0.3, mode: "train", seed: 6 }).out.dataSync()), Array.from(values));
    assert.equal(dropoutForward(x, { p: 0.3, mode: "test" }).out, x);
    // backward: the same mask
    const dout = randomTensor([100, 100], 51);
    assert.ok(maxRelativeDifference(dropoutBackward(dout, cache), tf.mul(dout, tf.div(out, x))) < 1e-6);
    const small = randomTensor([4, 5], 52);
    const d = randomTensor([4, 5], 53);
    checkBackward("dropout", { x: small }, (p) => dropoutForward(p.x!, { p: 0.5, mode: "train", seed: 9 }).out, { x: dropoutBackward(d, dropoutForward(small, { p: 0.5, mode: "train", seed: 9 }).cache) }, d);
  });
});

test("deliberately broken backward passes are caught by both checks", () => {
  tf.tidy(() => {
    // max pooling that spreads each window's gradient evenly (average pooling's backward)
    const x = distinctTensor([1, 4, 4, 2], 61) as tf.Tensor4D;
    const dout = randomTensor([1, 2, 2, 2], 62) as tf.Tensor4D;
    const spread = (d: tf.Tensor4D, _cache: PoolCache) => tf.div(tf.reshape(tf.tile(tf.reshape(d, [1, 2, 1, 2, 1, 2]), [1, 1, 2, 1, 2, 1]), [1, 4, 4, 2]), 4);
    const poolF = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(maxPoolForward(input as tf.Tensor4D).out, dout));
    const wrongPool = spread(dout, maxPoolForward(x).cache);
    const poolReport = gradCheckTensors({ params: { x }, grads: { x: wrongPool }, loss: (p) => poolF(p.x!) }, { samples: 32 });
    assert.equal(poolReport.passed, false);
    assert.ok(poolReport.failures >= 24, poolReport.summary);
    assert.ok(maxRelativeDifference(wrongPool, tf.grad(poolF)(x)) > 0.5);
    // batch norm without the paths through μ and σ² (dx = dx̂/σ, as in test mode)
    const xb = randomTensor([5, 3], 63) as tf.Tensor2D;
    const gamma = tf.tensor1d([1, 2, 3]);
    const beta = tf.zeros([3]) as tf.Tensor1D;
    const running = { mean: tf.zeros([3]) as tf.Tensor1D, variance: tf.ones([3]) as tf.Tensor1D };
    const { cache } = batchNormForward(xb, gamma, beta, running, { mode: "train" });
    const db = randomTensor([5, 3], 64) as tf.Tensor2D;
    const wrongBn = batchNormBackward(db, { ...cache, mode: "test" } as BatchNormCache).dx;
    const bnF = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(batchNormForward(input as tf.Tensor2D, gamma, beta, running, { mode: "train" }).out, db));
    const bnReport = gradCheckTensors({ params: { x: xb }, grads: { x: wrongBn }, loss: (p) => bnF(p.x!) }, { samples: 15, h: 1e-3 });
    assert.equal(bnReport.passed, false);
    assert.ok(bnReport.failures >= 12, bnReport.summary);
    assert.ok(maxRelativeDifference(wrongBn, tf.grad(bnF)(xb)) > 0.1);
  });
});

test("bad input fails with a message naming the mistake", () => {
  tf.tidy(() => {
    const x = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    const W = tf.zeros([3, 3, 3, 5]) as tf.Tensor4D;
    const b = tf.zeros([5]) as tf.Tensor1D;
    for (const forward of [convForward, convForwardNaive]) {
      assert.throws(() => forward(x, tf.zeros([7, 7, 3, 5]) as tf.Tensor4D, b), /output height: the filter \(F = 7\) is larger than the padded input \(H \+ 2P = 4 \+ 2·0 = 4\)/);
      assert.throws(() => forward(x, W, b, { stride: 2 }), /output height \(H \+ 2P − F\)\/S \+ 1 = \(4 \+ 2·0 − 3\)\/2 \+ 1 = 1\.50 is not an integer/);
      assert.throws(() => forward(x, tf.zeros([3, 3, 1, 5]) as tf.Tensor4D, b), /the images have 3 channels \(x \[2, 4, 4, 3\]\) but the filters W \[3, 3, 1, 5\] expect 1/);
      assert.throws(() => forward(x, W, tf.zeros([4]) as tf.Tensor1D), /one bias per filter, \[5\], got \[4\]/);
      assert.throws(() => forward(tf.zeros([4, 4, 3]) as unknown as tf.Tensor4D, W, b), /x must be images \[N, H, W, C\], got shape \[4, 4, 3\]/);
      assert.throws(() => forward(x, W, b, { strides: 2 } as never), /convolution options: unknown option 'strides'; did you mean 'stride'\?/);
      assert.throws(() => forward(x, W, b, { pad: -1 }), /pad must be a non-negative integer, got -1/);
    }
    const withNaN = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => (i === 40 ? Number.NaN : 0)), [2, 4, 4, 3]);
    assert.throws(() => convForwardNaive(withNaN, W, b, { pad: 1 }), /convolution: x holds NaN in image 0 at row 3, column 1, channel 1/);
    assert.throws(() => maxPoolForward(tf.zeros([1, 5, 5, 1]) as tf.Tensor4D), /max pooling: output height \(H − size\)\/stride \+ 1 = \(5 − 2\)\/2 \+ 1 = 2\.50 is not an integer/);
    assert.throws(() => maxPoolForward(tf.zeros([1, 1, 4, 1]) as tf.Tensor4D), /the 2×2 window is larger than the input's height \(1\)/);
    assert.throws(() => maxPoolForward(x, { window: 2 } as never), /pooling options: unknown option 'window'/);
    const running = { mean: tf.zeros([3]) as tf.Tensor1D, variance: tf.ones([3]) as tf.Tensor1D };
    const g = tf.ones([3]) as tf.Tensor1D;
    assert.throws(() => batchNormForward(tf.ones([1, 3]) as tf.Tensor2D, g, g, running, { mode: "train" }), /batch norm in train mode needs a batch of at least 2/);
    assert.throws(() => spatialBatchNormForward(tf.ones([1, 2, 2, 3]) as tf.Tensor4D, g, g, running, { mode: "train" }), /needs a batch of at least 2 images \(got 1\)/);
    assert.doesNotThrow(() => batchNormForward(tf.ones([1, 3]) as tf.Tensor2D, g, g, running, { mode: "test" }));
    assert.throws(() => batchNormForward(tf.ones([4, 3]) as tf.Tensor2D, g, g, running, { mode: "training" as "train" }), /mode must be one of "train", "test"; got "training"/);
    assert.throws(() => batchNormForward(tf.ones([4, 3]) as tf.Tensor2D, g, tf.ones([2]) as tf.Tensor1D, running, { mode: "train" }), /beta must have one value per feature, \[3\], got \[2\]/);
    assert.throws(() => batchNormForward(tf.ones([4, 3]) as tf.Tensor2D, g, g, running, { mode: "train", epsilon: 1e-3 } as never), /batch norm options: unknown option 'epsilon'; known options: 'mode', 'momentum', 'eps'/);
    for (const p of [1, 1.5, -0.1, Number.NaN]) {
      assert.throws(() => dropoutForward(x, { p, mode: "train", seed: 1 }), p === 1 ? /must be in \[0, 1\), got 1: every unit would be dropped/ : /p must be|must be in \[0, 1\)/);
    }
    assert.throws(() => dropoutForward(x, { p: 0.5, mode: "train" }), /dropout in train mode needs a seed/);
    assert.throws(() => dropoutForward(x, { p: 0.5, mode: "train", seed: 1, keep: 0.5 } as never), /dropout options: unknown option 'keep'/);
  });
});
