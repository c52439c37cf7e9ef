/** Public cases of the layer and network exercises. */
import { cases, expect, expectClose, expectNumber, expectTensor, randomLabels, randomMatrix, type Case, type TensorValue } from "../check-kit.js";

interface Gradients { dx: TensorValue | null; dW: TensorValue; db: TensorValue }
interface NetworkOut { loss: number; grads: Record<string, TensorValue> }

export function affineForwardCase(name: string, x: number[][], W: number[][], b: number[], hand?: number[]): Case {
  return {
    exercise: "affine-forward", name, probe: "affine-forward", input: { x, W, b },
    check(got: { out: TensorValue; cacheKeepsInputs: boolean }, want: { out: TensorValue }) {
      if (hand) expectClose(got.out?.values, hand, 1e-6, "out");
      expectTensor(got.out, want.out, 1e-5, "out");
      expect(got.cacheKeepsInputs === true, "the cache must hold the input x and the weights W themselves");
    },
  };
}

export function affineBackwardCase(name: string, dout: number[][], x: number[][], W: number[][], needInput?: boolean): Case {
  return {
    exercise: "affine-backward", name, probe: "affine-backward", input: { dout, x, W, ...(needInput === undefined ? {} : { needInput }) },
    check(got: Gradients, want: Gradients) {
      if (want.dx === null) expect(got.dx === null, "needInput = false: return no dx");
      else expectTensor(got.dx, want.dx, 1e-4, "dx");
      expectTensor(got.dW, want.dW, 1e-4, "dW");
      expectTensor(got.db, want.db, 1e-4, "db");
    },
  };
}

export function reluForwardCase(name: string, z: unknown, hand?: number[]): Case {
  return {
    exercise: "relu-forward", name, probe: "relu-forward", input: { z },
    check(got: { out: TensorValue; cacheZ: TensorValue }, want: { out: TensorValue; cacheZ: TensorValue }) {
      if (hand) expectClose(got.out?.values, hand, 1e-7, "out");
      expectTensor(got.out, want.out, 1e-7, "out");
      expectTensor(got.cacheZ, want.cacheZ, 0, "cache.z");
    },
  };
}

export function reluBackwardCase(name: string, z: unknown, dout: unknown, hand?: number[]): Case {
  return {
    exercise: "relu-backward", name, probe: "relu-backward", input: { z, dout },
    check(got: { dz: TensorValue }, want: { dz: TensorValue }) {
      if (hand) expectClose(got.dz?.values, hand, 1e-7, "dz");
      expectTensor(got.dz, want.dz, 1e-7, "dz");
    },
  };
}

export function networkCase(name: string, sizes: number[], n: number, seed: number, config: Record<string, unknown>, init = 0.5): Case {
  const classes = sizes[sizes.length - 1]!;
  return {
    exercise: "network-loss-and-grads", name, probe: "network-loss-and-grads",
    input: { sizes, init, seed, x: randomMatrix(n, sizes[0]!, seed + 1), y: randomLabels(n, classes, seed + 2), config },
    check(got: NetworkOut, want: NetworkOut) {
      expectNumber(got.loss, want.loss, 1e-5, "loss");
      const names = Object.keys(want.grads).sort();
      expect(got.grads !== null && typeof got.grads === "object", "no gradients returned");
      expect(Object.keys(got.grads).sort().join(",") === names.join(","), `gradients for ${Object.keys(got.grads).sort().join(", ") || "nothing"}, expected one per parameter: ${names.join(", ")}`);
      for (const p of names) expectTensor(got.grads[p], want.grads[p]!, 1e-3, `the gradient of ${p}`);
    },
  };
}

const zHand = [[-2, 0, 3], [1.5, -0.1, 0.2]];

export default cases(
  // x·W = [[1, 2, 0], [3, 4, 2]]; + b = [[1.5, 2, 1], [3.5, 4, 3]]
  affineForwardCase("out = x·W + b worked by hand, with the cache the backward pass needs", [[1, 2], [3, 4]], [[1, 0, 2], [0, 1, -1]], [0.5, 0, 1], [1.5, 2, 1, 3.5, 4, 3]),
  affineBackwardCase("dx, dW, db of a random layer", randomMatrix(5, 4, 6), randomMatrix(5, 3, 3), randomMatrix(3, 4, 4)),
  affineBackwardCase("no dx for a first layer (needInput = false)", randomMatrix(5, 4, 6), randomMatrix(5, 3, 3), randomMatrix(3, 4, 4), false),
  reluForwardCase("max(0, z) element-wise, caching z", zHand, [0, 0, 3, 1.5, 0, 0.2]),
  reluBackwardCase("passes the upstream gradient where z > 0 and 0 elsewhere (0 at the kink)", zHand, [[10, 20, 30], [40, 50, 60]], [0, 0, 30, 40, 0, 60]),
  networkCase("2-layer ReLU net, softmax loss with L2: loss and every gradient", [4, 5, 3], 6, 31, { loss: "softmax", reg: 0.05 }),
  networkCase("2-layer ReLU net, SVM loss without L2", [4, 5, 3], 6, 32, { loss: "svm", reg: 0 }),
);
