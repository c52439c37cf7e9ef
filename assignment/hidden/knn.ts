/** Hidden cases of the kNN exercises: instructor-only (never released, never in the sandbox). */
import { cases, expect, expectClose, randomMatrix, referenceDistances, type Case } from "../check-kit.js";
import { blobs, crossValidationCase, distanceCase, kfoldCase } from "../tests/knn.js";

const same = randomMatrix(4, 3, 21);
const big = randomMatrix(3, 5, 22, 1000);
const bigT = randomMatrix(6, 5, 23, 1000);
const one = randomMatrix(1, 1, 24);
const oneT = randomMatrix(9, 1, 25);

const hiddenDistances = (exercise: string, method: string): Case[] => [
  distanceCase(exercise, method, "identical rows are at distance exactly 0 (no NaN from rounding)", same, same, "l2", 1e-3),
  distanceCase(exercise, method, "large values (×1000): L2 stays accurate", big, bigT, "l2", 1e-3),
  distanceCase(exercise, method, "large values (×1000): L1", big, bigT, "l1", 1e-4),
  distanceCase(exercise, method, "one feature, one query", one, oneT, "l2"),
];

export default cases(
  ...hiddenDistances("knn-distances-two-loops", "two-loops"),
  ...hiddenDistances("knn-distances-one-loop", "one-loop"),
  ...hiddenDistances("knn-distances-no-loops", "no-loops"),
  {
    exercise: "knn-distances-no-loops", name: "L1 chunks smaller than one query split the training rows", probe: "distance-chunks",
    input: { q: randomMatrix(3, 4, 26), t: randomMatrix(5, 4, 27), metric: "l1", maxElements: 8 },
    check(got: { chunks: { first: number; shape: number[]; values: number[] }[]; leaked: number }) {
      const q = randomMatrix(3, 4, 26);
      const t = randomMatrix(5, 4, 27);
      const want = referenceDistances(q, t, "l1");
      expect(got.chunks.map((c) => c.first).join(",") === "0,1,2", "one query per chunk");
      for (const c of got.chunks) expectClose(c.values, want.slice(c.first * 5, (c.first + 1) * 5), 1e-4, `chunk at row ${c.first}`);
      expect(got.leaked === 0, "tensors leaked");
    },
  },
  kfoldCase("as many folds as examples: one index per fold", 7, 7, 3),
  kfoldCase("1000 examples into 7 folds", 1000, 7, 9),
  crossValidationCase("k up to 9, L1 only, 4 folds", blobs(48, 8), [2, 4, 9], ["l1"], 4, 5, 3),
  crossValidationCase("L2 then L1, 5 folds, unsorted ks with a repeat", blobs(40, 9), [3, 1, 3], ["l2", "l1"], 5, 2, 3),
);
