/** Hidden cases of the loss exercises: instructor-only. */
import { cases, expectNumber, randomLabels, randomMatrix } from "../check-kit.js";
import { naiveCase, randomProblem, scoresCase } from "../tests/losses.js";

// A zero margin: s_j − s_y + Δ = 0 exactly (scores 1, 0 with Δ = 1) contributes nothing, and no gradient.
const zeroMargin = { W: [1, 0, 0, 1], b: [0, 0], d: 2, c: 2, x: [1, 0, 0, 1], y: [0, 1] };
const large = randomMatrix(6, 4, 31, 300);
const largeY = randomLabels(6, 4, 32);

export default cases(
  naiveCase("svm", "zero margins contribute no loss and no gradient", zeroMargin, (got) => expectNumber(got.loss, 0, 1e-12, "loss")),
  naiveCase("svm", "Δ = 2 and a bias", { ...randomProblem(8, 3, 5, 33), b: [0.5, -0.25, 0, 1, -1], delta: 2 }),
  naiveCase("svm", "one example, gradient with L2", { ...randomProblem(1, 4, 3, 34), reg: 0.5, perturb: [0, 5, 11] }),
  naiveCase("softmax", "with a bias and L2", { ...randomProblem(8, 3, 5, 35), b: [0.5, -0.25, 0, 1, -1], reg: 0.2 }),
  naiveCase("softmax", "large negative scores stay finite", { W: [-800, 0, 0, -800], d: 2, c: 2, x: [1, 1], y: [0] }, (got) => expectNumber(got.loss, Math.log(2), 1e-9, "loss")),
  naiveCase("softmax", "one example, numerical gradient", { ...randomProblem(1, 4, 3, 36), perturb: [2, 7, 10] }),
  scoresCase("svm", "zero margins: equal scores with Δ = 1 count fully, exact margins do not", [[1, 0, 0], [2, 2, 1]], [0, 1]),
  scoresCase("svm", "every margin met: loss 0 and zero gradient", [[10, 0, 0], [0, 0, 10]], [0, 2], (got) => expectNumber(got.loss, 0, 1e-9, "loss")),
  scoresCase("svm", "large scores, Δ = 3", large, largeY, undefined, 3),
  scoresCase("svm", "a single row", [[0.5, -1, 2, 0]], [3]),
  scoresCase("softmax", "equal scores give ln C", [[3, 3, 3, 3]], [2], (got) => expectNumber(got.loss, Math.log(4), 1e-5, "loss")),
  scoresCase("softmax", "large scores (×300) stay finite", large, largeY),
  scoresCase("softmax", "large negative scores", [[-1000, -1001], [-2000, -1000]], [0, 1]),
);
