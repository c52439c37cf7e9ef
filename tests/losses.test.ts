import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import {
  linearLossNaive,
  linearLossVectorized,
  softmaxLossFromScores,
  softmaxLossFromScoresNaive,
  softmaxLossNaive,
  softmaxLossVectorized,
  svmLossFromScores,
  svmLossFromScoresNaive,
  svmLossNaive,
  svmLossVectorized,
  type ArrayBatch,
  type LinearLossKind,
} from "../lib/src/losses/losses.js";
import { appendBiasFeature, randomWeightsArray } from "../lib/src/linear/linear.js";
import {
  elasticNetRegularizer,
  l1Regularizer,
  l2Regularizer,
  noRegularizer,
  addRegularizerNaive,
  regularizerTerms,
  type Regularizer,
} from "../lib/src/losses/regularizers.js";
import { createRng } from "../lib/src/core/random.js";
import { randomBatch } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

function read(t: tf.Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as Float32Array);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < actual.length; k++) {
    const diff = Math.abs(actual[k]! - expected[k]!);
    assert.ok(diff <= tol * Math.max(1, Math.abs(expected[k]!)), `${what}[${k}]: ${actual[k]} vs ${expected[k]} (diff ${diff})`);
  }
}

// -------------------------------------------------------------------------------------------------

test("W = 0: SVM loss is (C−1)·Δ and softmax loss is ln C, naive and vectorised", () => {
  const c = 10;
  const batch = randomBatch(7, 12, c, 1);
  const weights = { W: new Float64Array(12 * c), d: 12, c };
  assert.ok(Math.abs(svmLossNaive(weights, batch).loss - 9) < 1e-12);
  assert.ok(Math.abs(svmLossNaive(weights, batch, { delta: 2 }).loss - 18) < 1e-12);
  assert.ok(Math.abs(softmaxLossNaive(weights, batch).loss - Math.log(10)) < 1e-12);
  tf.tidy(() => {
    const x = tf.tensor2d(Float32Array.from(batch.x), [7, 12]);
    const W = tf.zeros([12, c]) as tf.Tensor2D;
    assert.ok(Math.abs(svmLossVectorized({ W }, x, batch.y).loss.dataSync()[0]! - 9) < 1e-6);
    assert.ok(Math.abs(svmLossVectorized({ W }, x, batch.y, { delta: 2 }).loss.dataSync()[0]! - 18) < 1e-5);
    assert.ok(Math.abs(softmaxLossVectorized({ W }, x, batch.y).loss.dataSync()[0]! - Math.log(10)) < 1e-6);
  });
});

// Worked by hand. D = 2, C = 3, b = 0.
//   W = [[1, 0, −1],      x₁ = (1, 2),  y₁ = 0  ->  s₁ = (1·1+2·0, 1·0+2·1, 1·(−1)+2·2) = (1, 2, 3)
//        [0, 1,  2]]      x₂ = (−1, 1), y₂ = 2  ->  s₂ = (−1+0, 0+1, 1+2) = (−1, 1, 3)
// SVM, Δ = 1:
//   example 1: margins j=1: 2−1+1 = 2, j=2: 3−1+1 = 3  -> L₁ = 5 (both violate)
//   example 2: margins j=0: −1−3+1 = −3, j=1: 1−3+1 = −1 -> L₂ = 0
//   L = (5 + 0)/2 = 2.5
//   dW: example 1 adds x₁ to columns 1 and 2 and −2·x₁ to column 0; divide by N = 2:
//   dW = [[−1, 0.5, 0.5], [−2, 1, 1]],  db = [−2, 1, 1]/2 = [−1, 0.5, 0.5]
// Softmax:
//   L₁ = log(e¹+e²+e³) − 1 = log(1 + e + e²) = log(11.1073379) = 2.4076060
//   L₂ = log(e⁻¹+e¹+e³) − 3 = log(1 + e⁻² + e⁻⁴) = log(1.1536509) = 0.1429316
//   L = (2.4076060 + 0.1429316)/2 = 1.2752688
//   p₁ = (1, e, e²)/(1+e+e²) = (0.0900306, 0.2447285, 0.6652410);  g₁ = p₁ − (1,0,0)
//   p₂ = (e⁻⁴, e⁻², 1)/(1+e⁻²+e⁻⁴) = (0.0158762, 0.1173104, 0.8668133);  g₂ = p₂ − (0,0,1)
//   dW[k][j] = (x₁[k]·g₁[j] + x₂[k]·g₂[j])/2:
//     row 0: ((−0.9099694) − 0.0158762)/2 = −0.4629228,  (0.2447285 − 0.1173104)/2 = 0.0637090,
//            (0.6652410 + 0.1331867)/2 = 0.3992138
//     row 1: (2·(−0.9099694) + 0.0158762)/2 = −0.9020313,  (2·0.2447285 + 0.1173104)/2 = 0.3033837,
//            (2·0.6652410 − 0.1331867)/2 = 0.5986476
//   db = (g₁ + g₂)/2 = (−0.4470466, 0.1810194, 0.2660271)
const hand = {
  W: new Float64Array([1, 0, -1, 0, 1, 2]),
  b: new Float64Array(3),
  batch: { x: new Float64Array([1, 2, -1, 1]), y: new Int32Array([0, 2]), n: 2, d: 2 } as ArrayBatch,
  svm: { loss: 2.5, dW: [-1, 0.5, 0.5, -2, 1, 1], db: [-1, 0.5, 0.5] },
  softmax: {
    loss: 1.2752688,
    dW: [-0.4629228, 0.063709, 0.3992138, -0.9020313, 0.3033837, 0.5986476],
    db: [-0.4470466, 0.1810194, 0.2660271],
  },
};

for (const kind of ["svm", "softmax"] as LinearLossKind[]) {
  test(`${kind} loss and gradients on the two-example case worked by hand`, () => {
    const expected = hand[kind];
    const naive = linearLossNaive(kind, { W: hand.W, b: hand.b, d: 2, c: 3 }, hand.batch);
    assert.ok(Math.abs(naive.loss - expected.loss) < 1e-6, `naive loss ${naive.loss}`);
    assertClose(naive.dW, expected.dW, 1e-6, "naive dW");
    assertClose(naive.db!, expected.db, 1e-6, "naive db");
    tf.tidy(() => {
      const r = linearLossVectorized(
        kind,
        { W: tf.tensor2d(Float32Array.from(hand.W), [2, 3]), b: tf.zeros([3]) as tf.Tensor1D },
        tf.tensor2d(Float32Array.from(hand.batch.x), [2, 2]),
        hand.batch.y,
      );
      assert.ok(Math.abs(r.loss.dataSync()[0]! - expected.loss) < 1e-5);
      assertClose(read(r.dW), expected.dW, 1e-5, "vectorised dW");
      assertClose(read(r.db!), expected.db, 1e-5, "vectorised db");
    });
  });
}

// -------------------------------------------------------------------------------------------------

const regularizers: Regularizer[] = [noRegularizer, l2Regularizer(0.1), l1Regularizer(0.05), elasticNetRegularizer(0.1, 0.5)];

for (const kind of ["svm", "softmax"] as LinearLossKind[]) {
  for (const biasTrick of [false, true]) {
    for (const reg of regularizers) {
      test(`naive = vectorised: ${kind}, ${biasTrick ? "bias trick" : "separate b"}, reg ${reg.kind}`, () => {
        const n = 25;
        const c = 6;
        const raw = randomBatch(n, 17, c, 7);
        const batch = biasTrick ? appendBiasFeature(raw) : raw;
        const d = batch.d;
        const W = randomWeightsArray(d, c, 3, 0.3);
        const rng = createRng(11);
        const b = biasTrick ? undefined : Float64Array.from({ length: c }, () => rng.normal());
        const naive = linearLossNaive(kind, { W, b, d, c }, batch, { reg, biasTrick });
        tf.tidy(() => {
          const r = linearLossVectorized(
            kind,
            { W: tf.tensor2d(Float32Array.from(W), [d, c]), b: b ? tf.tensor1d(Float32Array.from(b)) : undefined },
            tf.tensor2d(Float32Array.from(batch.x), [n, d]),
            batch.y,
            { reg, biasTrick },
          );
          const loss = r.loss.dataSync()[0]!;
          assert.ok(Math.abs(loss - naive.loss) <= 1e-5 * Math.max(1, naive.loss), `loss ${loss} vs ${naive.loss}`);
          assertClose(read(r.dW), naive.dW, 2e-5, "dW");
          if (b) assertClose(read(r.db!), naive.db!, 2e-5, "db");
          else assert.equal(r.db, undefined);
          // The same with the loss from scores computed on the host.
          const host = linearLossVectorized(
            kind,
            { W: tf.tensor2d(Float32Array.from(W), [d, c]), b: b ? tf.tensor1d(Float32Array.from(b)) : undefined },
            tf.tensor2d(Float32Array.from(batch.x), [n, d]),
            tf.tensor1d(batch.y, "int32"),
            { reg, biasTrick, scoresLossOn: "host" },
          );
          assert.ok(Math.abs(host.loss.dataSync()[0]! - naive.loss) <= 1e-5 * Math.max(1, naive.loss));
          assertClose(read(host.dW), naive.dW, 2e-5, "dW (host)");
          if (b) assertClose(read(host.db!), naive.db!, 2e-5, "db (host)");
        });
      });
    }
  }
}

test("loss from scores: naive and vectorised agree, and dScores rows of softmax sum to zero", () => {
  const n = 30;
  const c = 7;
  const rng = createRng(5);
  const scores = Float64Array.from({ length: n * c }, () => 3 * rng.normal());
  const y = Int32Array.from({ length: n }, () => rng.int(c));
  for (const [naiveFn, tensorFn] of [
    [(s: Float64Array) => svmLossFromScoresNaive(s, n, c, y, 1), (s: tf.Tensor2D) => svmLossFromScores(s, y, 1)],
    [(s: Float64Array) => softmaxLossFromScoresNaive(s, n, c, y), (s: tf.Tensor2D) => softmaxLossFromScores(s, y)],
  ] as const) {
    const naive = naiveFn(scores);
    tf.tidy(() => {
      const r = tensorFn(tf.tensor2d(Float32Array.from(scores), [n, c]));
      assert.ok(Math.abs(r.loss.dataSync()[0]! - naive.loss) < 1e-5 * Math.max(1, naive.loss));
      assertClose(read(r.dScores), naive.dScores, 1e-6, "dScores");
    });
  }
  const soft = softmaxLossFromScoresNaive(scores, n, c, y);
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let j = 0; j < c; j++) rowSum += soft.dScores[i * c + j]!;
    assert.ok(Math.abs(rowSum) < 1e-12);
  }
});

test("softmax stays finite for huge scores (shifted by the row max)", () => {
  const scores = new Float64Array([1000, 0, -1000, 500, 501, 499]);
  const y = new Int32Array([0, 1]);
  const naive = softmaxLossFromScoresNaive(scores, 2, 3, y);
  // row 1: −log p₀ ≈ 0; row 2: −log(e⁵⁰¹/(e⁵⁰⁰+e⁵⁰¹+e⁴⁹⁹)) = log(e⁻¹ + 1 + e⁻²) = 0.4076060
  assert.ok(Math.abs(naive.loss - Math.log(1 + Math.exp(-1) + Math.exp(-2)) / 2) < 1e-12);
  tf.tidy(() => {
    const r = softmaxLossFromScores(tf.tensor2d(Float32Array.from(scores), [2, 3]), y);
    assert.ok(Math.abs(r.loss.dataSync()[0]! - naive.loss) < 1e-5);
  });
});

test("regularizers: exact formulas (no ½ in L2), bias row skipped, tensor = naive", () => {
  const W = new Float64Array([1, -2, 0, 3]); // [2, 2]
  const cases: [Regularizer, number, number[]][] = [
    // L2: 0.5·(1+4+0+9) = 7; grad 2λW
    [l2Regularizer(0.5), 7, [1, -2, 0, 3]],
    // L1: 0.5·(1+2+0+3) = 3; grad λ·sign(W), sign(0) = 0
    [l1Regularizer(0.5), 3, [0.5, -0.5, 0, 0.5]],
    // elastic β = 0.25: 0.5·Σ(0.25W² + |W|) = 0.5·(0.25·14 + 6) = 4.75; grad λ(2βW + sign W)
    [elasticNetRegularizer(0.5, 0.25), 4.75, [0.75, -1, 0, 1.25]],
  ];
  for (const [reg, penalty, grad] of cases) {
    const dW = new Float64Array(4);
    assert.ok(Math.abs(addRegularizerNaive(W, dW, 2, 2, reg) - penalty) < 1e-12, reg.kind);
    assertClose(dW, grad, 1e-12, `${reg.kind} grad`);
    const skipped = new Float64Array(4);
    const firstRowOnly = addRegularizerNaive(W, skipped, 2, 2, reg, true);
    assert.deepEqual(Array.from(skipped.subarray(2)), [0, 0]);
    tf.tidy(() => {
      const t = regularizerTerms(tf.tensor2d(Float32Array.from(W), [2, 2]), reg, true);
      assert.ok(Math.abs(t.penalty.dataSync()[0]! - firstRowOnly) < 1e-6);
      assertClose(read(t.grad), skipped, 1e-6, `${reg.kind} tensor grad`);
    });
  }
  assert.throws(() => l2Regularizer(-1), /≥ 0/);
});

test("bad input fails with a clear message", () => {
  const batch = randomBatch(3, 4, 3, 2);
  const weights = { W: new Float64Array(12), d: 4, c: 3 };
  assert.throws(() => svmLossNaive(weights, { ...batch, y: new Int32Array([0, 3, 1]) }), /labels\[1\] = 3 is not a class index in 0\.\.2/);
  assert.throws(() => svmLossNaive({ W: new Float64Array(15), d: 5, c: 3 }, batch), /bias trick/);
  assert.throws(() => softmaxLossNaive({ ...weights, b: new Float64Array(3) }, batch, { biasTrick: true }), /do not pass b/);
  tf.tidy(() => {
    const x = tf.zeros([3, 4]) as tf.Tensor2D;
    assert.throws(() => svmLossVectorized({ W: tf.zeros([5, 3]) as tf.Tensor2D }, x, batch.y), /4 features but W has 5 rows/);
    assert.throws(() => softmaxLossFromScores(tf.zeros([3, 3]) as tf.Tensor2D, new Int32Array([0, 1])), /2 labels for 3 score rows/);
    assert.throws(() => softmaxLossFromScores(tf.zeros([2, 3]) as tf.Tensor2D, new Int32Array([0, -1])), /labels\[1\] = -1/);
  });
});
