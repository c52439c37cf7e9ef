/** Public cases of the convolutional-network exercises. */
import { cases, expect, expectClose, expectTensor, flat, randomMatrix, type Case, type TensorValue } from "../check-kit.js";

type Shape4 = [number, number, number, number];
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
/** `n` seeded values in [-1, 1), from the kit's random matrices. */
const values = (n: number, seed: number): number[] => flat(randomMatrix(1, n, seed));

export function convCase(name: string, xShape: Shape4, wShape: Shape4, stride: number, pad: number, seed: number, hand?: { x: number[]; w: number[]; b: number[]; out: number[] }): Case {
  const x = hand?.x ?? values(size(xShape), seed);
  const w = hand?.w ?? values(size(wShape), seed + 1);
  const b = hand?.b ?? values(wShape[3], seed + 2);
  return {
    exercise: "conv-forward-naive", name, probe: "conv-forward", input: { x, xShape, w, wShape, b, stride, pad },
    check(got: { out: TensorValue }, want: { out: TensorValue }) {
      if (hand) expectClose(got.out?.values, hand.out, 1e-5, "out");
      expectTensor(got.out, want.out, 1e-4, "out");
    },
  };
}

export function maxPoolCase(name: string, xShape: Shape4, poolSize: number, stride: number, seed: number, hand?: { x: number[]; dout: number[]; dx: number[] }): Case {
  const outSize = size([xShape[0], (xShape[1] - poolSize) / stride + 1, (xShape[2] - poolSize) / stride + 1, xShape[3]]);
  const x = hand?.x ?? values(size(xShape), seed);
  const dout = hand?.dout ?? values(outSize, seed + 1);
  return {
    exercise: "maxpool-backward", name, probe: "maxpool-backward", input: { x, xShape, dout, size: poolSize, stride },
    check(got: { dx: TensorValue }, want: { dx: TensorValue }) {
      if (hand) expectClose(got.dx?.values, hand.dx, 1e-6, "dx");
      expectTensor(got.dx, want.dx, 1e-6, "dx");
    },
  };
}

export function batchNormCase(name: string, n: number, d: number, mode: "train" | "test", seed: number, extra: { runningMean?: number[]; runningVar?: number[] } = {}): Case {
  return {
    exercise: "batchnorm-backward", name, probe: "batchnorm-backward",
    input: { x: randomMatrix(n, d, seed, 3), gamma: values(d, seed + 1), beta: values(d, seed + 2), dout: randomMatrix(n, d, seed + 3), mode, ...extra },
    check(got: { dx: TensorValue; dgamma: TensorValue; dbeta: TensorValue }, want: { dx: TensorValue; dgamma: TensorValue; dbeta: TensorValue }) {
      expectTensor(got.dbeta, want.dbeta, 1e-4, "dbeta");
      expectTensor(got.dgamma, want.dgamma, 1e-4, "dgamma");
      expectTensor(got.dx, want.dx, 1e-4, "dx");
    },
  };
}

export function dropoutCase(name: string, shape: number[], p: number, mode: "train" | "test", seed: number): Case {
  return {
    exercise: "dropout-forward", name, probe: "dropout-forward", input: { shape, p, mode, seed },
    check(got: { out: TensorValue; again: TensorValue; masked: TensorValue }) {
      const out = Array.from(got.out?.values ?? []);
      expect(out.length === size(shape), `out has ${out.length} values, expected ${size(shape)}`);
      if (mode === "test" || p === 0) {
        expect(out.every((v) => v === 1), "in test mode (or with p = 0) dropout must return its input unchanged");
        return;
      }
      const kept = 1 / (1 - p);
      expect(out.every((v) => v === 0 || Math.abs(v - kept) < 1e-5), `every unit must be 0 (dropped) or x / (1 − p) = ${kept.toFixed(4)} (kept)`);
      const dropped = out.filter((v) => v === 0).length / out.length;
      expect(Math.abs(dropped - p) < 0.05, `${(100 * dropped).toFixed(1)}% of the units were dropped; about ${100 * p}% should be`);
      expectClose(got.again?.values, out, 0, "a second call with the same seed (the mask must come from the seed)");
      expectClose(got.masked?.values, out, 1e-6, "dropoutBackward(ones, cache) (the cache must hold the mask, scaled by 1/(1 − p))");
    },
  };
}

export default cases(
  // 1·1 + 2·2 + 4·3 + 5·4 + 1 = 38, 2·1 + 3·2 + 5·3 + 6·4 + 1 = 48, ...
  convCase("a 3×3 image and one 2×2 filter, by hand", [1, 3, 3, 1], [2, 2, 1, 1], 1, 0, 0, { x: [1, 2, 3, 4, 5, 6, 7, 8, 9], w: [1, 2, 3, 4], b: [1], out: [38, 48, 68, 78] }),
  convCase("2 images, 3 channels, 4 filters of 3×3, padding 1", [2, 5, 5, 3], [3, 3, 3, 4], 1, 1, 61),
  convCase("stride 2 and padding 1", [1, 7, 7, 2], [3, 3, 2, 2], 2, 1, 62),
  // windows [[1, 3], [2, 0]] -> 3, [[5, 4], [-1, -2]] -> 5, [[-3, -4], [-6, -5]] -> -3, [[8, 6], [7, 9]] -> 9
  maxPoolCase("one 4×4 channel by hand (one window all negative)", [1, 4, 4, 1], 2, 2, 0, { x: [1, 3, 5, 4, 2, 0, -1, -2, -3, -4, 8, 6, -6, -5, 7, 9], dout: [10, 20, 30, 40], dx: [0, 10, 20, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 40] }),
  maxPoolCase("2 images, 3 channels, 2×2 windows", [2, 6, 6, 3], 2, 2, 63),
  batchNormCase("train mode, 6 examples of 4 features", 6, 4, "train", 64),
  batchNormCase("test mode (the running statistics are constants)", 5, 3, "test", 65, { runningMean: [0.5, -1, 2], runningVar: [4, 0.25, 1] }),
  dropoutCase("train mode, p = 0.25", [40, 50], 0.25, "train", 66),
  dropoutCase("train mode, p = 0.5, on [10, 20, 10] units", [10, 20, 10], 0.5, "train", 67),
);
