/** Probes of the kNN exercises: distance matrices, distance chunks, k-fold splits, cross-validation. */
import type * as Distances from "../../lib/src/knn/distances.js";
import type * as Crossval from "../../lib/src/knn/crossval.js";
import { tensorData, type Probe } from "../probe-kit.js";

type Metric = "l1" | "l2";

export const probes: Record<string, Probe> = {
  /** { method: "two-loops" | "one-loop" | "no-loops", q: number[][], t: number[][], metric } -> the matrix and the tensors it leaked. */
  async distances(input: { method: string; q: number[][]; t: number[][]; metric: Metric }, { tf, load, numTensors }) {
    const d = await load<typeof Distances>("knn/distances");
    const q = tf.tensor2d(input.q);
    const t = tf.tensor2d(input.t);
    const before = numTensors();
    const fn = input.method === "two-loops" ? d.distancesTwoLoops : input.method === "one-loop" ? d.distancesOneLoop : d.distancesNoLoops;
    const got = fn(q, t, input.metric);
    const leaked = numTensors() - before;
    tf.dispose([q, t]);
    return { rows: got.rows, cols: got.cols, values: got.values, leaked };
  },

  /** { q, t, metric, maxElements } -> every chunk forEachDistanceChunk hands over: first row, shape, values. */
  async "distance-chunks"(input: { q: number[][]; t: number[][]; metric: Metric; maxElements?: number }, { tf, load, numTensors }) {
    const d = await load<typeof Distances>("knn/distances");
    const q = tf.tensor2d(input.q);
    const t = tf.tensor2d(input.t);
    const before = numTensors();
    const chunks: { first: number; shape: number[]; values: Float32Array | Int32Array | Uint8Array }[] = [];
    d.forEachDistanceChunk(q, t, input.metric, (first, block) => {
      chunks.push({ first, ...tensorData(block, "chunk") });
    }, input.maxElements === undefined ? {} : { maxElements: input.maxElements });
    const leaked = numTensors() - before;
    tf.dispose([q, t]);
    return { chunks, leaked };
  },

  /** { n, folds, seeds: number[] } -> the split for each seed. */
  async kfold(input: { n: number; folds: number; seeds: number[] }, { load }) {
    const { kFoldSplit } = await load<typeof Crossval>("knn/crossval");
    return input.seeds.map((seed) => kFoldSplit(input.n, input.folds, seed).map((f) => ({ train: f.train, validation: f.validation })));
  },

  /** { x, y, ks, metrics, folds, seed, numClasses } -> the scores, and the folds kFoldSplit gives for that seed. */
  async "cross-validate"(input: { x: number[][]; y: number[]; ks: number[]; metrics: Metric[]; folds: number; seed: number; numClasses: number }, { load }) {
    const { crossValidateKnn, kFoldSplit } = await load<typeof Crossval>("knn/crossval");
    const n = input.x.length;
    const d = input.x[0]!.length;
    const examples = { x: Float32Array.from(input.x.flat()), y: Int32Array.from(input.y), n, d };
    const cv = await crossValidateKnn(examples, { ks: input.ks, metrics: input.metrics, folds: input.folds, seed: input.seed, numClasses: input.numClasses, showProgress: false });
    let folds: { train: Int32Array; validation: Int32Array }[] | string;
    try {
      folds = kFoldSplit(n, input.folds, input.seed).map((f) => ({ train: f.train, validation: f.validation }));
    } catch (err) {
      folds = `kFoldSplit failed: ${(err as Error).message}`;
    }
    return { scores: cv.scores.map((s) => ({ metric: s.metric, k: s.k, foldAccuracies: s.foldAccuracies, mean: s.mean })), folds };
  },
};
