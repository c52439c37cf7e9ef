/** Public cases of the kNN exercises (in the release: `npm test` runs them against your code). */
import { cases, expect, expectClose, fail, knnAccuracy, numbers, randomMatrix, referenceDistances, type Case } from "../check-kit.js";

type Metric = "l1" | "l2";
interface Matrix { rows: number; cols: number; values: number[]; leaked: number }

/** A distance case: float64 reference, the solution's values, no leaked tensors. */
export function distanceCase(exercise: string, method: string, name: string, q: number[][], t: number[][], metric: Metric, tol = 1e-4): Case {
  return {
    exercise, name, probe: "distances", input: { method, q, t, metric },
    check(got: Matrix) {
      expect(got.rows === q.length && got.cols === t.length, `the matrix is ${got.rows}×${got.cols}, expected ${q.length}×${t.length}`);
      expectClose(got.values, referenceDistances(q, t, metric), tol, `${metric} distances`);
      expect(got.leaked === 0, `${got.leaked} tensors leaked (dispose them, or use tf.tidy)`);
    },
  };
}

/** Every fold of the split: disjoint, covering, sizes within one, ascending. */
export function checkSplit(split: unknown, n: number, folds: number, what: string): void {
  expect(Array.isArray(split) && split.length === folds, `${what}: expected ${folds} folds`);
  const seen = new Array<number>(n).fill(0);
  const sizes: number[] = [];
  (split as { train: unknown; validation: unknown }[]).forEach((fold, f) => {
    const train = numbers(fold.train, `${what}, fold ${f} train`);
    const validation = numbers(fold.validation, `${what}, fold ${f} validation`);
    sizes.push(validation.length);
    expect(train.length + validation.length === n, `${what}, fold ${f}: ${train.length} + ${validation.length} indices, expected ${n}`);
    const held = new Set(validation);
    for (const i of train) expect(!held.has(i), `${what}, fold ${f}: index ${i} is in both parts`);
    for (let k = 1; k < validation.length; k++) expect(validation[k - 1]! < validation[k]!, `${what}, fold ${f}: validation indices must ascend`);
    for (let k = 1; k < train.length; k++) expect(train[k - 1]! < train[k]!, `${what}, fold ${f}: train indices must ascend`);
    for (const i of validation) {
      expect(Number.isInteger(i) && i >= 0 && i < n, `${what}, fold ${f}: index ${i} is outside 0..${n - 1}`);
      seen[i]!++;
    }
  });
  expect(Math.max(...sizes) - Math.min(...sizes) <= 1, `${what}: fold sizes ${sizes.join(", ")} differ by more than one`);
  expect(seen.every((c) => c === 1), `${what}: every index must be held out exactly once`);
}

export function kfoldCase(name: string, n: number, folds: number, seed: number): Case {
  return {
    exercise: "kfold-split", name, probe: "kfold", input: { n, folds, seeds: [seed, seed, seed + 1] },
    check(got: unknown[]) {
      expect(Array.isArray(got) && got.length === 3, "expected three splits");
      got.forEach((split, i) => checkSplit(split, n, folds, `seed ${i < 2 ? seed : seed + 1}`));
      const held = (split: unknown): string => JSON.stringify((split as { validation: ArrayLike<number> }[]).map((f) => Array.from(f.validation)));
      expect(held(got[0]) === held(got[1]), "the same seed must give the same folds");
      if (n >= 10) expect(held(got[0]) !== held(got[2]), "another seed must give other folds");
      if (n >= 50) {
        // Without a shuffle the first fold would be 0, 1, 2, ...: with 50 or more examples a shuffle never gives that.
        const first = Array.from((got[0] as { validation: ArrayLike<number> }[])[0]!.validation);
        expect(first.some((v, i) => v !== i), "shuffle the indices before splitting");
      }
    },
  };
}

/** Three blobs in 4-D (classes 1 and 2 overlap), like the tests' threeBlobs. */
export function blobs(n: number, seed: number): { x: number[][]; y: number[] } {
  const noise = randomMatrix(n, 4, seed);
  const y = Array.from({ length: n }, (_, i) => i % 3);
  return { x: noise.map((row, i) => row.map((v) => Math.fround(v + [0, 2, 2.5][y[i]!]!))), y };
}

export function crossValidationCase(name: string, data: { x: number[][]; y: number[] }, ks: number[], metrics: Metric[], folds: number, seed: number, numClasses: number): Case {
  return {
    exercise: "knn-cross-validation", name, probe: "cross-validate", input: { ...data, ks, metrics, folds, seed, numClasses },
    check(got: { scores: { metric: Metric; k: number; foldAccuracies: unknown; mean: number }[]; folds: unknown }) {
      if (typeof got.folds === "string") fail(`this exercise uses your kFoldSplit, which failed: ${got.folds}`);
      checkSplit(got.folds, data.x.length, folds, "kFoldSplit");
      const split = got.folds as { train: ArrayLike<number>; validation: ArrayLike<number> }[];
      const pairs = new Set(ks).size * metrics.length;
      expect(Array.isArray(got.scores) && got.scores.length === pairs, `expected ${pairs} scores, one per (metric, k)`);
      for (const score of got.scores) {
        const accuracies = numbers(score.foldAccuracies, `${score.metric}, k=${score.k}: foldAccuracies`);
        expect(accuracies.length === folds, `${score.metric}, k=${score.k}: ${accuracies.length} fold accuracies, expected ${folds}`);
        for (let f = 0; f < folds; f++) {
          const want = knnAccuracy(data.x, data.y, Array.from(split[f]!.train), Array.from(split[f]!.validation), score.k, score.metric, numClasses);
          expect(Math.abs(accuracies[f]! - want) < 1e-9, `${score.metric}, k=${score.k}, fold ${f}: accuracy ${accuracies[f]}, expected ${want} (k-NN fitted on the other folds)`);
        }
      }
    },
  };
}

const M = randomMatrix(5, 6, 1);
const T = randomMatrix(7, 6, 2);
const handQ = [[1, 1]];
const handT = [[4, 5], [1, 1]];

const distanceCases = (exercise: string, method: string): Case[] => [
  distanceCase(exercise, method, "L2 distances of random rows match a float64 reference", M, T, "l2"),
  distanceCase(exercise, method, "L1 distances of random rows match a float64 reference", M, T, "l1"),
  distanceCase(exercise, method, "the case worked by hand, L2: (1, 1) is 5 from (4, 5) and 0 from itself", handQ, handT, "l2", 1e-6),
  { ...distanceCase(exercise, method, "", handQ, handT, "l1", 1e-6), name: "the case worked by hand, L1: 7 and 0" },
];

export default cases(
  ...distanceCases("knn-distances-two-loops", "two-loops"),
  ...distanceCases("knn-distances-one-loop", "one-loop"),
  ...distanceCases("knn-distances-no-loops", "no-loops"),
  {
    exercise: "knn-distances-no-loops", name: "chunks of 2 queries cover every row once, with the same values", probe: "distance-chunks",
    input: { q: M, t: T, metric: "l2", maxElements: 2 * 7 },
    check(got: { chunks: { first: number; shape: number[]; values: number[] }[]; leaked: number }) {
      expect(Array.isArray(got.chunks), "no chunks were reported");
      expect(got.chunks.map((c) => c.first).join(",") === "0,2,4", `chunks start at rows ${got.chunks.map((c) => c.first).join(", ")}, expected 0, 2, 4 (maxElements allows 2 queries × 7 rows)`);
      const want = referenceDistances(M, T, "l2");
      for (const c of got.chunks) {
        expect(numbers(c.shape, "chunk shape")[1] === 7, `a chunk has shape [${c.shape}], expected [rows, 7]`);
        expectClose(c.values, want.slice(c.first * 7, (c.first + c.shape[0]!) * 7), 1e-4, `chunk at row ${c.first}`);
      }
      expect(got.leaked === 0, `${got.leaked} tensors leaked`);
    },
  },
  kfoldCase("folds of 10 into 3 are disjoint, cover every index, differ in size by at most one, and are seeded", 10, 3, 42),
  kfoldCase("23 into 5 folds", 23, 5, 7),
  kfoldCase("50 into 5 folds: the indices are shuffled before splitting", 50, 5, 1),
  crossValidationCase("every (metric, k) fold accuracy matches k-NN fitted on the other folds", blobs(60, 5), [1, 3, 5], ["l2", "l1"], 3, 11, 3),
);

