/** Hidden cases of the random-search exercise: instructor-only. */
import { cases, expect } from "../check-kit.js";
import { randomSearchCase } from "../tests/tune.js";

export default cases(
  randomSearchCase("zero configurations", { lr: ["logUniform", 1e-3, 1] }, 0, 3),
  randomSearchCase("a one-value integer range and a one-value choice", { n: ["int", 5, 5], act: ["choice", "relu"], lr: ["uniform", 0.1, 0.2] }, 50, 4),
  randomSearchCase("a log-uniform range over six decades", { lr: ["logUniform", 1e-6, 1] }, 3000, 5, "lr"),
  {
    ...randomSearchCase("", { w: ["logUniform", 1e-2, 1e2] }, 200, 6),
    name: "log-uniform draws are log-symmetric: about half below the geometric mean",
    check(got: Record<string, number>[][]) {
      const below = got[0]!.filter((c) => c.w! < 1).length;
      expect(below > 70 && below < 130, `${below} of 200 draws below 1 (the geometric mean of 1e-2..1e2)`);
    },
  },
);
