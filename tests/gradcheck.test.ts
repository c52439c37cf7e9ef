import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { gradCheck, gradCheckTensors, relativeError } from "../lib/src/optim/gradcheck.js";
import { linearLossNaive, linearLossVectorized, type LinearLossKind } from "../lib/src/losses/losses.js";
import { appendBiasFeature, randomWeightsArray } from "../lib/src/linear/linear.js";
import { elasticNetRegularizer, l1Regularizer, l2Regularizer, noRegularizer, type Regularizer } from "../lib/src/losses/regularizers.js";
import { createRng } from "../lib/src/core/random.js";
import { randomBatch } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

const regularizers: Regularizer[] = [noRegularizer, l2Regularizer(0.1), l1Regularizer(0.1), elasticNetRegularizer(0.1, 0.5)];
const kinds: LinearLossKind[] = ["svm", "softmax"];

test("relativeError: |a − n| / max(|a| + |n|, floor)", () => {
  assert.equal(relativeError(1, 1), 0);
  assert.equal(relativeError(1, 3), 0.5);
  assert.equal(relativeError(0, 1e-12, 1e-10), 1e-2);
});

for (const kind of kinds) {
  for (const reg of regularizers) {
    for (const biasTrick of [false, true]) {
      test(`Float64 analytic gradient passes: ${kind}, reg ${reg.kind}, ${biasTrick ? "bias trick" : "separate b"}`, () => {
        const c = 4;
        const raw = randomBatch(12, 9, c, 21);
        const batch = biasTrick ? appendBiasFeature(raw) : raw;
        // Weights of scale 0.5 give margins of both signs, so the hinge's kink matters but is rarely within h.
        const W = randomWeightsArray(batch.d, c, 5, 0.5);
        const b = biasTrick ? undefined : Float64Array.from([0.1, -0.2, 0.3, 0]);
        const weights = { W, b, d: batch.d, c };
        const options = { reg, biasTrick };
        const { dW, db } = linearLossNaive(kind, weights, batch, options);
        const params: Record<string, Float64Array> = b ? { W, b } : { W };
        const grads: Record<string, Float64Array> = db ? { W: dW, b: db } : { W: dW };
        const report = gradCheck({ params, grads, loss: () => linearLossNaive(kind, weights, batch, options).loss }, { samples: 15, seed: 3 });
        assert.ok(report.passed, report.summary);
        assert.ok(report.worst.relativeError < 1e-7, report.summary);
        assert.equal(report.entries.length, b ? 15 + 4 : 15);
      });
    }
  }
}

test("a deliberately wrong gradient FAILS the Float64 check (forgotten penalty; halved data gradient)", () => {
  const c = 4;
  const batch = randomBatch(12, 9, c, 2);
  const W = randomWeightsArray(9, c, 1, 0.5);
  const reg = l2Regularizer(0.5);
  const weights = { W, d: 9, c };
  const loss = () => linearLossNaive("softmax", weights, batch, { reg }).loss;
  const withoutPenalty = linearLossNaive("softmax", weights, batch).dW;
  const forgotten = gradCheck({ params: { W }, grads: { W: withoutPenalty }, loss }, { samples: 20 });
  assert.equal(forgotten.passed, false);
  assert.ok(forgotten.failures >= 18, forgotten.summary);
  assert.match(forgotten.summary, /FAILED/);
  const halved = linearLossNaive("svm", weights, batch).dW.map((g) => g / 2);
  const halvedReport = gradCheck({ params: { W }, grads: { W: halved }, loss: () => linearLossNaive("svm", weights, batch).loss }, { samples: 20 });
  assert.equal(halvedReport.passed, false);
  assert.ok(Math.abs(halvedReport.worst.relativeError - 1 / 3) < 1e-6, halvedReport.summary); // |g/2 − g| / (g/2 + g) = 1/3
});

for (const kind of kinds) {
  for (const reg of regularizers) {
    test(`float32 tensor gradient passes the looser check: ${kind}, reg ${reg.kind}`, () => {
      const c = 5;
      const batch = randomBatch(40, 20, c, 8);
      const x = tf.tensor2d(Float32Array.from(batch.x), [40, 20]);
      // float32 needs h = 1e-2 (see gradcheck.ts), so the point is chosen at least h away from every
      // kink: weights of magnitude 0.02..0.04 (no |w| kink within h) keep all SVM margins near Δ = 1.
      const rng = createRng(9);
      const W = tf.tensor2d(Float32Array.from({ length: 20 * c }, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.02, 0.04)), [20, c]);
      const b = tf.tensor1d([0.02, -0.01, 0, 0.03, -0.03]);
      const { loss, dW, db } = linearLossVectorized(kind, { W, b }, x, batch.y, { reg });
      const report = gradCheckTensors(
        {
          params: { W, b },
          grads: { W: dW, b: db! },
          loss: (p) => linearLossVectorized(kind, { W: p.W as tf.Tensor2D, b: p.b as tf.Tensor1D }, x, batch.y, { reg }).loss,
        },
        { samples: 12, seed: 4 },
      );
      assert.ok(report.passed, report.summary);
      // and a wrong one fails: the gradient of the wrong loss (the other kind)
      const other = linearLossVectorized(kind === "svm" ? "softmax" : "svm", { W, b }, x, batch.y, { reg });
      const wrong = gradCheckTensors(
        { params: { W }, grads: { W: other.dW }, loss: (p) => linearLossVectorized(kind, { W: p.W as tf.Tensor2D, b }, x, batch.y, { reg }).loss },
        { samples: 12, seed: 4 },
      );
      assert.equal(wrong.passed, false, wrong.summary);
      tf.dispose([x, W, b, loss, dW, db!, other.loss, other.dW, other.db!]);
    });
  }
}

test("gradient check of a plain function, and shape errors", () => {
  // f(a) = Σ a_k³, ∇f = 3a²
  const a = Float64Array.from([0.5, -1.2, 2, 0.1]);
  const report = gradCheck({ params: { a }, grads: { a: a.map((v) => 3 * v * v) }, loss: () => a.reduce((s, v) => s + v ** 3, 0) });
  assert.ok(report.passed, report.summary);
  assert.equal(report.entries.length, 4);
  assert.deepEqual(Array.from(a), [0.5, -1.2, 2, 0.1]); // restored after perturbing
  assert.throws(() => gradCheck({ params: { a }, grads: { a: [1, 2] }, loss: () => 0 }), /4 entries but its gradient 2/);
  assert.throws(() => gradCheck({ params: { a }, grads: {}, loss: () => 0 }), /no gradient given for parameter "a"/);
});
