/**
 * Public cases of the loss exercises. The two-example case worked by hand (D = 2, C = 3, b = 0):
 *   W = [[1, 0, −1], [0, 1, 2]];  x₁ = (1, 2), y₁ = 0 -> s₁ = (1, 2, 3);  x₂ = (−1, 1), y₂ = 2 -> s₂ = (−1, 1, 3)
 * SVM (Δ = 1): L₁ = 2 + 3 = 5, L₂ = 0, L = 2.5; dW = [[−1, 0.5, 0.5], [−2, 1, 1]], db = [−1, 0.5, 0.5]
 * Softmax: L = (log(1 + e + e²) + log(1 + e⁻² + e⁻⁴))/2 = 1.2752688.
 */
import { cases, expect, expectClose, expectNumber, expectTensor, flat, numbers, randomLabels, randomMatrix, type Case, type TensorValue } from "../check-kit.js";

type Kind = "svm" | "softmax";
interface Naive { loss: number; dW: number[]; db?: number[]; perturbed: { k: number; plus: number; minus: number }[] }
interface FromScores { loss: number; dScores: TensorValue; leaked: number }

const exerciseOf = (kind: Kind, vectorized: boolean): string => `${kind}-loss-${vectorized ? "vectorized" : "naive"}`;

export const hand = {
  input: { W: [1, 0, -1, 0, 1, 2], b: [0, 0, 0], d: 2, c: 3, x: [1, 2, -1, 1], y: [0, 2] },
  scores: [[1, 2, 3], [-1, 1, 3]],
  svm: { loss: 2.5, dW: [-1, 0.5, 0.5, -2, 1, 1], db: [-1, 0.5, 0.5], dScores: [-1, 0.5, 0.5, 0, 0, 0] },
  softmax: { loss: 1.2752688, dW: [-0.4629228, 0.063709, 0.3992138, -0.9020313, 0.3033837, 0.5986476], db: [-0.4470466, 0.1810194, 0.2660271] },
};

/** A naive-loss case compared with the solution (loss, dW, db) and, if perturbed, with its own numerical gradient. */
export function naiveCase(kind: Kind, name: string, input: Record<string, unknown>, extra?: (got: Naive) => void, tol = 1e-6): Case {
  return {
    exercise: exerciseOf(kind, false), name, probe: "linear-loss-naive", input: { kind, ...input },
    check(got: Naive, want: Naive) {
      extra?.(got);
      expectNumber(got.loss, want.loss, tol, "loss");
      expectClose(got.dW, numbers(want.dW, "reference dW"), tol, "dW");
      if (want.db) expectClose(got.db, numbers(want.db, "reference db"), tol, "db");
      const dW = numbers(got.dW, "dW");
      for (const p of got.perturbed ?? []) {
        const numeric = (p.plus - p.minus) / (2 * 1e-6);
        expect(Math.abs(numeric - dW[p.k]!) < 1e-4 * Math.max(1, Math.abs(numeric)), `dW[${p.k}] is ${dW[p.k]}, but your loss changes at the rate ${numeric.toPrecision(6)} there`);
      }
    },
  };
}

/** A from-scores case compared with the solution; no tensors leak. */
export function scoresCase(kind: Kind, name: string, scores: number[][], y: number[], extra?: (got: FromScores) => void, delta?: number): Case {
  return {
    exercise: exerciseOf(kind, true), name, probe: "scores-loss", input: { kind, scores, y, ...(delta === undefined ? {} : { delta }) },
    check(got: FromScores, want: FromScores) {
      extra?.(got);
      expectNumber(got.loss, want.loss, 1e-5, "loss");
      expectTensor(got.dScores, want.dScores, 1e-5, "dScores");
      expect(got.leaked === 0, `${got.leaked} tensors leaked (use tf.tidy)`);
    },
  };
}

/** A random batch and weights for the gradient checks: n examples, d features, c classes. */
export function randomProblem(n: number, d: number, c: number, seed: number, scale = 0.5): Record<string, unknown> {
  return { W: flat(randomMatrix(d, c, seed, scale)), d, c, x: flat(randomMatrix(n, d, seed + 1)), y: randomLabels(n, c, seed + 2) };
}

const zeroWeights = { ...randomProblem(7, 12, 10, 1), W: new Array<number>(120).fill(0) };
const random = randomMatrix(9, 5, 21, 2);
const randomY = randomLabels(9, 5, 22);

export default cases(
  naiveCase("svm", "loss and gradients on the two-example case worked by hand", hand.input, (got) => {
    expectNumber(got.loss, hand.svm.loss, 1e-9, "loss");
    expectClose(got.dW, hand.svm.dW, 1e-9, "dW");
    expectClose(got.db, hand.svm.db, 1e-9, "db");
  }),
  naiveCase("svm", "W = 0 gives (C − 1)·Δ = 9", zeroWeights, (got) => expectNumber(got.loss, 9, 1e-12, "loss")),
  naiveCase("svm", "dW matches numerical gradients (with L2)", { ...randomProblem(6, 5, 4, 3), reg: 0.1, perturb: [0, 3, 7, 12, 19] }),
  naiveCase("softmax", "loss and gradients on the two-example case worked by hand", hand.input, (got) => {
    expectNumber(got.loss, hand.softmax.loss, 1e-6, "loss");
    expectClose(got.dW, hand.softmax.dW, 1e-6, "dW");
    expectClose(got.db, hand.softmax.db, 1e-6, "db");
  }),
  naiveCase("softmax", "W = 0 gives ln C", zeroWeights, (got) => expectNumber(got.loss, Math.log(10), 1e-12, "loss")),
  naiveCase("softmax", "dW matches numerical gradients (with L2)", { ...randomProblem(6, 5, 4, 4), reg: 0.1, perturb: [1, 4, 9, 15, 18] }),
  naiveCase("softmax", "huge scores stay finite (subtract the row max before exp)", { W: [1000, 0, 0, 1000], d: 2, c: 2, x: [1, 0], y: [1] }, (got) => expectNumber(got.loss, 1000, 1e-9, "loss")),
  scoresCase("svm", "loss and dScores of random scores match the loop version", random, randomY),
  scoresCase("svm", "the case worked by hand: loss 2.5", hand.scores, [0, 2], (got) => {
    expectNumber(got.loss, hand.svm.loss, 1e-6, "loss");
    expectClose(got.dScores?.values, hand.svm.dScores, 1e-6, "dScores");
  }),
  scoresCase("softmax", "loss and dScores of random scores match the loop version", random, randomY),
  scoresCase("softmax", "huge scores stay finite: loss 500", [[1000, 0], [0, 1000]], [1, 1], (got) => expectNumber(got.loss, 500, 1e-6, "loss")),
);
