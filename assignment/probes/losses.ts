/** Probes of the loss exercises: naive linear losses (plain arrays) and losses from scores (tensors). */
import type * as Losses from "../../lib/src/losses/losses.js";
import type * as Regularizers from "../../lib/src/losses/regularizers.js";
import { tensorData, type Probe } from "../probe-kit.js";

interface NaiveInput {
  kind: "svm" | "softmax";
  /** Row-major [d, c]. */
  W: number[];
  b?: number[];
  d: number;
  c: number;
  /** Row-major [n, d]. */
  x: number[];
  y: number[];
  /** L2 strength (none when absent). */
  reg?: number;
  delta?: number;
  /** Entries of W to perturb by ±h for a numerical gradient. */
  perturb?: number[];
  h?: number;
}

export const probes: Record<string, Probe> = {
  /** -> { loss, dW, db, perturbed: [{ k, plus, minus }] } of svmLossNaive / softmaxLossNaive. */
  async "linear-loss-naive"(input: NaiveInput, { load }) {
    const losses = await load<typeof Losses>("losses/losses");
    const { l2Regularizer } = await load<typeof Regularizers>("losses/regularizers");
    const fn = input.kind === "svm" ? losses.svmLossNaive : losses.softmaxLossNaive;
    const batch = { x: Float64Array.from(input.x), y: Int32Array.from(input.y), n: input.y.length, d: input.d };
    const options = { ...(input.reg === undefined ? {} : { reg: l2Regularizer(input.reg) }), ...(input.delta === undefined ? {} : { delta: input.delta }) };
    const weights = (W: Float64Array) => ({ W, d: input.d, c: input.c, ...(input.b ? { b: Float64Array.from(input.b) } : {}) });
    const r = fn(weights(Float64Array.from(input.W)), batch, options);
    const h = input.h ?? 1e-6;
    const perturbed = (input.perturb ?? []).map((k) => {
      const plus = Float64Array.from(input.W);
      const minus = Float64Array.from(input.W);
      plus[k]! += h;
      minus[k]! -= h;
      return { k, plus: fn(weights(plus), batch, options).loss, minus: fn(weights(minus), batch, options).loss };
    });
    return { loss: r.loss, dW: r.dW, db: r.db, perturbed };
  },

  /** { kind, scores: number[][], y, delta? } -> { loss, dScores, leaked } of svmLossFromScores / softmaxLossFromScores. */
  async "scores-loss"(input: { kind: "svm" | "softmax"; scores: number[][]; y: number[]; delta?: number }, { tf, load, numTensors }) {
    const losses = await load<typeof Losses>("losses/losses");
    const scores = tf.tensor2d(input.scores);
    const y = Int32Array.from(input.y);
    const before = numTensors();
    const r = input.kind === "svm" ? losses.svmLossFromScores(scores, y, input.delta ?? 1) : losses.softmaxLossFromScores(scores, y);
    const out = { loss: tensorData(r.loss, "loss").values[0], dScores: tensorData(r.dScores, "dScores") };
    tf.dispose([r.loss, r.dScores]);
    const leaked = numTensors() - before;
    scores.dispose();
    return { ...out, leaked };
  },
};
