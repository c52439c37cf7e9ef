/**
 * One training step: loss and gradients on a batch, then the optimiser's update of every
 * parameter. A non-finite loss skips the update, so diverged weights are not made worse
 * before the loop reports it. All intermediate tensors are freed.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TrainableModel } from "../core/model.js";
import type { Optimizer } from "../optim/optimizers.js";

/**
 * @param x [B, D] @param y [B] int32
 * @returns the batch loss before the update
 */
export function trainingStep(model: TrainableModel, x: tf.Tensor2D, y: tf.Tensor1D, optimizer: Optimizer, learningRate: number): number {
  // BEGIN SOLUTION training-step (2 pts)
  return tf.tidy(() => {
    const { loss, grads } = model.lossAndGrads(x, y);
    const value = loss.dataSync()[0]!;
    if (Number.isFinite(value)) optimizer.step(model.params, grads, learningRate);
    return value;
  });
  // END SOLUTION
}
