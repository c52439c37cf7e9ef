/** Hidden cases of the layer and network exercises: instructor-only. */
import { cases, randomMatrix } from "../check-kit.js";
import { affineBackwardCase, affineForwardCase, networkCase, reluBackwardCase, reluForwardCase } from "../tests/nn.js";

export default cases(
  affineForwardCase("random layer, one example", randomMatrix(1, 6, 41), randomMatrix(6, 2, 42), [1, -1]),
  affineForwardCase("large values", randomMatrix(4, 3, 43, 100), randomMatrix(3, 5, 44, 100), [1000, 0, -1000, 0.5, 2]),
  affineBackwardCase("one example", randomMatrix(1, 2, 45), randomMatrix(1, 6, 46), randomMatrix(6, 2, 47)),
  affineBackwardCase("a wide layer", randomMatrix(3, 9, 48), randomMatrix(3, 7, 49), randomMatrix(7, 9, 50)),
  reluForwardCase("a rank-3 tensor", [[[-1, 2], [0, -3]], [[4, -5], [6, 0]]], [0, 2, 0, 0, 4, 0, 6, 0]),
  reluForwardCase("all negative and large", [[-1e6, -1e-6, -3]], [0, 0, 0]),
  reluBackwardCase("a rank-3 tensor", [[[-1, 2], [0, -3]], [[4, -5], [6, 1e-7]]], [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], [0, 2, 0, 0, 5, 0, 7, 8]),
  reluBackwardCase("zeros everywhere give zero gradient", [[0, 0, 0]], [[1, 2, 3]], [0, 0, 0]),
  networkCase("3-layer net, softmax with L2", [4, 6, 5, 3], 7, 51, { loss: "softmax", reg: 0.1 }),
  networkCase("2-layer net, SVM with L2 and Δ = 2", [3, 4, 4], 5, 52, { loss: "svm", reg: 0.02, delta: 2 }),
  networkCase("one example", [5, 3, 2], 1, 53, { loss: "softmax", reg: 0 }),
);
