/** Probes of the training exercises: one training step, SGD with momentum. */
import type * as Step from "../../lib/src/training/step.js";
import type * as Optimizers from "../../lib/src/optim/optimizers.js";
import type { TrainableModel } from "../../lib/src/core/model.js";
import type * as tfTypes from "@tensorflow/tfjs-core";
import type { Probe, ProbeContext } from "../probe-kit.js";

let variables = 0;

/** loss(w) = ½ Σ a_k w_k² on one parameter w (x and y unused): gradient a ⊙ w; or a fixed loss. */
function quadraticModel(tf: typeof tfTypes, w0: number[], a: number[], fixedLoss?: number | null): TrainableModel {
  const w = tf.tidy(() => tf.variable(tf.tensor1d(w0), true, `probe-w${++variables}`));
  const aT = tf.tensor1d(a);
  const model = {
    numClasses: 2,
    numFeatures: 1,
    params: { w },
    lossAndGrads: () => tf.tidy(() => ({
      loss: fixedLoss === undefined ? tf.mul(0.5, tf.sum(tf.mul(aT, tf.square(w)))) as tfTypes.Scalar : tf.scalar(fixedLoss ?? Number.NaN),
      grads: { w: tf.mul(aT, w) },
    })),
    scores: (x: tfTypes.Tensor2D) => tf.zeros([x.shape[0], 2]) as tfTypes.Tensor2D,
  };
  return model as unknown as TrainableModel;
}

/** Steps of `optimizer` on ½ Σ a_k w_k² from w0 with the given rates; the final w. */
function runQuadratic({ tf, numTensors }: ProbeContext, optimizer: Optimizers.Optimizer, w0: number[], a: number[], rates: number[]): { w: number[]; leaked: number } {
  const w = tf.tidy(() => tf.variable(tf.tensor1d(w0), true, `probe-w${++variables}`));
  const aT = tf.tensor1d(a);
  const before = numTensors();
  for (const lr of rates) {
    const g = tf.mul(aT, w);
    optimizer.step({ w }, { w: g }, lr);
    g.dispose();
  }
  optimizer.dispose();
  const leaked = numTensors() - before;
  const out = Array.from(w.dataSync());
  tf.dispose([w, aT]);
  return { w: out, leaked };
}

export const probes: Record<string, Probe> = {
  /** { w0, a, fixedLoss?, rates } -> the loss each trainingStep returned, w after each, tensors leaked (SGD). */
  async "training-step"(input: { w0: number[]; a: number[]; fixedLoss?: number | null; rates: number[] }, ctx) {
    const { tf, load, numTensors } = ctx;
    const { trainingStep } = await load<typeof Step>("training/step");
    const { sgdOptimizer } = await load<typeof Optimizers>("optim/optimizers");
    const model = quadraticModel(tf, input.w0, input.a, input.fixedLoss);
    const x = tf.zeros([1, 1]) as tfTypes.Tensor2D;
    const y = tf.zeros([1], "int32") as tfTypes.Tensor1D;
    const optimizer = sgdOptimizer();
    const before = numTensors();
    const losses: unknown[] = [];
    const ws: number[][] = [];
    for (const lr of input.rates) {
      losses.push(trainingStep(model, x, y, optimizer, lr));
      ws.push(Array.from(model.params.w!.dataSync()));
    }
    const leaked = numTensors() - before;
    return { losses, ws, leaked };
  },

  /** { options, w0, a, rates } -> { w, leaked } after momentum steps with those learning rates. */
  async momentum(input: { options: Optimizers.MomentumOptions; w0: number[]; a: number[]; rates: number[] }, ctx) {
    const { momentumOptimizer } = await ctx.load<typeof Optimizers>("optim/optimizers");
    return runQuadratic(ctx, momentumOptimizer(input.options), input.w0, input.a, input.rates);
  },
};
