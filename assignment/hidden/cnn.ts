/** Hidden cases of the convolutional-network exercises: instructor-only. */
import { cases } from "../check-kit.js";
import { batchNormCase, convCase, dropoutCase, maxPoolCase } from "../tests/cnn.js";

export default cases(
  convCase("a 5×5 filter on a 6×6 image with padding 2", [2, 6, 6, 1], [5, 5, 1, 3], 1, 2, 71),
  convCase("stride 3, no padding, rectangular image", [1, 7, 10, 2], [1, 1, 2, 2], 3, 0, 72),
  maxPoolCase("3×3 windows, stride 3", [1, 6, 6, 2], 3, 3, 73),
  maxPoolCase("overlapping windows (2×2, stride 1)", [1, 4, 4, 1], 2, 1, 74),
  batchNormCase("train mode, 2 examples", 2, 5, "train", 75),
  batchNormCase("train mode, large values", 8, 3, "train", 76),
  dropoutCase("train mode, p = 0.6", [30, 40], 0.6, "train", 77),
);
