/**
 * Mini-batches for the training loop: a seeded shuffle of the training set each epoch, cut into
 * batches of `batchSize` rows (the last one of an epoch may be smaller).
 *
 * Rows are gathered on the JavaScript side into reused buffers and uploaded as a new tensor:
 * on the wasm backend that costs ~1 ms for 500×784, where tf.gather or tf.slice from a resident
 * [N, D] tensor took 25–95 ms (measured on 2 wasm threads). Full-batch training uploads the data once.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRng, permutation } from "../core/random.js";
import type { Examples } from "../core/types.js";

/** One batch: x [B, D] float32, y [B] int32. Owned by the sampler in full-batch mode; else by the caller. */
export interface Batch {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
  /** True when this batch completes an epoch. */
  endsEpoch: boolean;
}

export interface BatchSampler {
  /** Rows per batch (N in full-batch mode). */
  readonly batchSize: number;
  /** Batches per epoch, ⌈N / batchSize⌉. */
  readonly perEpoch: number;
  /** Whether every batch is the whole training set (then `next` returns the same tensors each time). */
  readonly fullBatch: boolean;
  /** The next batch. Dispose it with `release` (a no-op for the resident full batch). */
  next(): Batch;
  release(batch: Batch): void;
  /** Frees the resident full-batch tensors. */
  dispose(): void;
}

/**
 * @param batchSize rows per batch; 0 or ≥ N means full batch
 * @param seed seeds the shuffle of every epoch
 */
export function createBatchSampler(train: Examples, batchSize: number, seed: number): BatchSampler {
  const { n, d } = train;
  const size = !batchSize || batchSize >= n ? n : batchSize;
  const fullBatch = size >= n;
  const seeds = createRng(seed);
  if (fullBatch) {
    const x = tf.tensor2d(train.x, [n, d]);
    const y = tf.tensor1d(train.y, "int32");
    return {
      batchSize: n,
      perEpoch: 1,
      fullBatch,
      next: () => ({ x, y, endsEpoch: true }),
      release: () => {},
      dispose: () => {
        x.dispose();
        y.dispose();
      },
    };
  }
  const xBuffer = new Float32Array(size * d);
  const yBuffer = new Int32Array(size);
  let order = permutation(n, seeds.seed());
  let cursor = 0;
  return {
    batchSize: size,
    perEpoch: Math.ceil(n / size),
    fullBatch,
    next() {
      const end = Math.min(cursor + size, n);
      const rows = end - cursor;
      for (let r = 0; r < rows; r++) {
        const row = order[cursor + r]!;
        xBuffer.set(train.x.subarray(row * d, (row + 1) * d), r * d);
        yBuffer[r] = train.y[row]!;
      }
      cursor = end;
      const endsEpoch = cursor >= n;
      if (endsEpoch) {
        order = permutation(n, seeds.seed());
        cursor = 0;
      }
      return {
        x: tf.tensor2d(xBuffer.subarray(0, rows * d), [rows, d]),
        y: tf.tensor1d(yBuffer.subarray(0, rows), "int32"),
        endsEpoch,
      };
    },
    release(batch) {
      batch.x.dispose();
      batch.y.dispose();
    },
    dispose: () => {},
  };
}
