/**
 * The model contract: what every classifier in the library offers, and what the training loop needs
 * from a model that learns by gradient descent. Kept apart from the training loop so a model can
 * predict without importing the code that trains it.
 *
 * - `TrainableModel`: named `tf.Variable` parameters, a loss-and-gradients function on a batch and a
 *   scores function. `trainModel` (training/) drives any of them: linear classifiers, networks.
 * - `Classifier`: the one way to use any classifier, whatever it is inside: `fit` on examples (it
 *   resolves to the model), `predict` labels, `score` accuracy, `dispose`. The first three are async
 *   because some models (kNN) search on worker threads; a model that computes synchronously just
 *   returns resolved promises.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Examples } from "./types.js";
import { checkExamples, checkPositiveInteger, InvalidInputError } from "./checks.js";

/** Throws when a model's parameters were disposed (a common slip after `model.dispose()` in a notebook). */
export function checkUsable(model: TrainableModel): void {
  for (const [name, v] of Object.entries(model.params)) {
    if (v.isDisposed) {
      throw new InvalidInputError("model", `the model's parameter ${name} was disposed (model.dispose() was called); create a new model`);
    }
  }
}

/** What `trainModel` needs from a model. */
export interface TrainableModel {
  /** Classes C: scores are [N, C] and labels 0..C−1. */
  readonly numClasses: number;
  /** Features D each example must have. */
  readonly numFeatures: number;
  /** Named trainable parameters; optimisers update them in place with `assign`. */
  readonly params: Record<string, tf.Variable>;
  /**
   * Mean loss on a batch x [B, D], y [B] (int32), including any penalty, and its gradient for each
   * parameter name. The loop disposes the returned tensors.
   */
  lossAndGrads(x: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> };
  /** Class scores [N, C] for x [N, D]; the prediction is the argmax of each row. */
  scores(x: tf.Tensor2D): tf.Tensor2D;
}

/**
 * Predicted classes [N] for examples or a tensor [N, D], computed in chunks to bound memory. Chunks
 * of 1000 rows (3 MB of 784 features) reuse the memory of the one before; fresh memory is slow to
 * touch the first time on small VMs: Fashion-MNIST's first 10,000-image prediction with a 784-100-10
 * network took 180-190 ms in chunks of 5000 and ~100 ms in chunks of 1000 on the native backend
 * (111 and 81 ms on wasm). Later calls took ~20 ms either way on native; on wasm 32 ms in chunks of
 * 5000 and 36-47 ms in chunks of 1000 (measured on a 2-core VM).
 */
export function modelPredict(model: TrainableModel, x: Examples | tf.Tensor2D, chunkSize = 1000): Int32Array {
  checkPositiveInteger(chunkSize, "chunkSize");
  checkUsable(model);
  if (x instanceof tf.Tensor) {
    const total = tf.tidy(() => tf.sum(x).dataSync()[0]!);
    if (!Number.isFinite(total)) throw new InvalidInputError("x", "x contains NaN or infinite values; predictions on them would be meaningless");
  } else {
    checkExamples(x, "examples", { numFeatures: model.numFeatures });
  }
  const n = x instanceof tf.Tensor ? x.shape[0] : x.n;
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += chunkSize) {
    const size = Math.min(chunkSize, n - start);
    const labels = tf.tidy(() => {
      const chunk =
        x instanceof tf.Tensor
          ? (tf.slice(x, [start, 0], [size, x.shape[1]]) as tf.Tensor2D)
          : tf.tensor2d(x.x.subarray(start * x.d, (start + size) * x.d), [size, x.d]);
      return tf.argMax(model.scores(chunk), 1);
    });
    out.set(labels.dataSync() as Int32Array, start);
    labels.dispose();
  }
  return out;
}

/**
 * The common surface of every classifier: kNN, linear, perceptron, logistic regression, binary SVM,
 * fully connected and convolutional networks. `fit` resolves to the model itself (so
 * `await new X().fit(train)` is a trained model); what training recorded is on the model
 * (`history` for the models trained by gradient descent and the perceptron).
 */
export interface Classifier<FitOptions = unknown> {
  /** Learns from (or, for kNN, memorises) labelled examples x [N, D], y [N]. */
  fit(train: Examples, options?: FitOptions): Promise<this>;
  /** Predicted class for each row of x [M, D] (or of `examples.x`), [M]. */
  predict(x: Examples | Float32Array): Promise<Int32Array>;
  /** Fraction of `examples` classified correctly, in [0, 1]. */
  score(examples: Examples): Promise<number>;
  /** Frees what the model holds (tensors, worker threads); the model cannot be used afterwards. */
  dispose(): void;
}
