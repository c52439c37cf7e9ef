import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import {
  adagradOptimizer,
  adamOptimizer,
  momentumOptimizer,
  nesterovOptimizer,
  optimizerByName,
  rmspropOptimizer,
  sgdOptimizer,
  type Optimizer,
  type OptimizerName,
} from "../lib/src/optim/optimizers.js";
import {
  constantSchedule,
  cosineSchedule,
  inverseSqrtSchedule,
  linearSchedule,
  stepDecaySchedule,
  warmupSchedule,
} from "../lib/src/optim/schedules.js";

before(async () => {
  await initBackend({ log: false });
});

/** Runs `steps` updates on f(w) = ½ Σ a_k w_k² (gradient a·w) from w = (1, 1); returns w. */
function runQuadratic(optimizer: Optimizer, steps: number, lr: number | ((t: number) => number), a = [1, 10]): number[] {
  const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 1])));
  const curvature = tf.tensor1d(a);
  for (let t = 0; t < steps; t++) {
    const grad = tf.mul(curvature, w);
    optimizer.step({ w }, { w: grad }, typeof lr === "number" ? lr : lr(t));
    grad.dispose();
  }
  const out = Array.from(w.dataSync());
  tf.dispose([w, curvature]);
  optimizer.dispose();
  return out;
}

test("SGD: w ← w − αg, worked by hand", () => {
  // a = (1, 10), α = 0.05: one step gives w = (1 − 0.05·1, 1 − 0.05·10) = (0.95, 0.5)
  const w = runQuadratic(sgdOptimizer(), 1, 0.05);
  assert.ok(Math.abs(w[0]! - 0.95) < 1e-6 && Math.abs(w[1]! - 0.5) < 1e-6, String(w));
});

test("momentum: two steps by hand, and both forms agree under a constant rate", () => {
  // velocity form, ρ = 0.9, α = 0.05, a = (1, 10), w₀ = (1, 1):
  //   g₀ = (1, 10); v₁ = g₀; w₁ = (0.95, 0.5)
  //   g₁ = (0.95, 5); v₂ = 0.9·(1, 10) + (0.95, 5) = (1.85, 14); w₂ = (0.95 − 0.0925, 0.5 − 0.7) = (0.8575, −0.2)
  const w = runQuadratic(momentumOptimizer({ momentum: 0.9 }), 2, 0.05);
  assert.ok(Math.abs(w[0]! - 0.8575) < 1e-6 && Math.abs(w[1]! + 0.2) < 1e-6, String(w));
  const a = runQuadratic(momentumOptimizer({ form: "velocity" }), 30, 0.02);
  const b = runQuadratic(momentumOptimizer({ form: "lr-in-velocity" }), 30, 0.02);
  for (let k = 0; k < 2; k++) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-5, `${a} vs ${b}`);
});

test("Adam's first step has size α in every coordinate (bias correction)", () => {
  // m̂₁ = g, v̂₁ = g², so the step is α·g/|g| = α·sign(g)
  const w = runQuadratic(adamOptimizer(), 1, 0.1);
  assert.ok(Math.abs(w[0]! - 0.9) < 1e-5 && Math.abs(w[1]! - 0.9) < 1e-5, String(w));
});

test("every optimiser drives an ill-conditioned quadratic towards its minimum, without leaking tensors", () => {
  const rates: Record<OptimizerName, number> = { sgd: 0.15, momentum: 0.02, nesterov: 0.02, adagrad: 0.5, rmsprop: 0.05, adam: 0.1 };
  for (const name of ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"] as OptimizerName[]) {
    const before = tf.memory().numTensors;
    const w = runQuadratic(optimizerByName(name), 200, rates[name]);
    assert.equal(tf.memory().numTensors, before, `${name} leaked tensors`);
    const dist = Math.hypot(w[0]!, w[1]!);
    assert.ok(dist < 0.1, `${name}: |w| = ${dist} after 200 steps`);
  }
  assert.ok(nesterovOptimizer().name.startsWith("nesterov") && adagradOptimizer().name === "adagrad" && rmspropOptimizer().name.startsWith("rmsprop"));
  assert.throws(() => optimizerByName("lbfgs" as OptimizerName), /unknown optimizer "lbfgs"/);
});

test("schedules: exact values", () => {
  assert.equal(constantSchedule(0.1)(1234), 0.1);
  const step = stepDecaySchedule(1, [10, 20]);
  assert.deepEqual([step(0), step(9), step(10), step(19), step(20)].map((v) => +v.toFixed(10)), [1, 1, 0.1, 0.1, 0.01]);
  const cos = cosineSchedule(2, 100);
  assert.equal(cos(0), 2);
  assert.ok(Math.abs(cos(50) - 1) < 1e-12); // ½·2·(1 + cos(π/2)) = 1
  assert.ok(Math.abs(cos(100)) < 1e-12 && Math.abs(cos(150)) < 1e-12);
  const lin = linearSchedule(1, 4);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(lin), [1, 0.75, 0.5, 0.25, 0, 0]);
  const inv = inverseSqrtSchedule(1);
  assert.equal(inv(0), 1);
  assert.equal(inv(3), 0.5); // 1/√4
  const warm = warmupSchedule(constantSchedule(1), 4);
  assert.deepEqual([0, 1, 2, 3, 4, 10].map(warm), [0.25, 0.5, 0.75, 1, 1, 1]);
  assert.throws(() => constantSchedule(-1), /positive/);
  assert.throws(() => cosineSchedule(0.1, 0), /positive integer/);
});

test("Adam over several parameters (one flat update) matches the textbook formula per element, in float64", () => {
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8, lr = 0.01;
  const shapes: Record<string, number[]> = { W1: [3, 4], b1: [4], W2: [4, 2], b2: [2] };
  const init = (name: string, i: number) => Math.sin(7 * i + name.length) * 0.5;
  const params: Record<string, tf.Variable> = {};
  const ref: Record<string, { w: number[]; m: number[]; v: number[] }> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const w = Array.from({ length: size }, (_, i) => init(name, i));
    params[name] = tf.variable(tf.tensor(w, shape));
    ref[name] = { w, m: w.map(() => 0), v: w.map(() => 0) };
  }
  const adam = adamOptimizer({ beta1: beta1, beta2: beta2, epsilon: eps });
  for (let t = 1; t <= 4; t++) {
    // gradients that change from step to step: g = w² − t/10 (elementwise)
    const grads: Record<string, tf.Tensor> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const g = ref[name]!.w.map((x) => x * x - t / 10);
      grads[name] = tf.tensor(g, shape);
      const r = ref[name]!;
      r.m = r.m.map((m, i) => beta1 * m + (1 - beta1) * g[i]!);
      r.v = r.v.map((v, i) => beta2 * v + (1 - beta2) * g[i]! ** 2);
      r.w = r.w.map((w, i) => w - (lr * (r.m[i]! / (1 - beta1 ** t))) / (Math.sqrt(r.v[i]! / (1 - beta2 ** t)) + eps));
    }
    adam.step(params, grads, lr);
    tf.dispose(Object.values(grads));
    for (const name of Object.keys(shapes)) {
      const got = params[name]!.dataSync();
      ref[name]!.w.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-6, `${name}[${i}] after step ${t}: ${got[i]} vs ${w}`));
      // keep the reference on the float32 values the library holds, so errors do not compound
      ref[name]!.w = Array.from(got);
    }
  }
  const before = tf.memory().numTensors;
  const grads = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, tf.ones(s)]));
  adam.step(params, grads, lr);
  tf.dispose(Object.values(grads));
  assert.equal(tf.memory().numTensors, before, "no tensor left behind by a step");
  assert.throws(() => adam.step(params, { W1: tf.ones([4, 3]), b1: tf.ones([5]) }, lr), /gradient for "b1" has shape \[5\], parameter \[4\]/);
  adam.dispose();
  tf.dispose(Object.values(params));
});
