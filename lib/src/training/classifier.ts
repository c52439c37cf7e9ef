/**
 * Any `TrainableModel` as a `Classifier`: `fit` runs the training loop with the model's default
 * options (overridable per call), `predict` and `score` evaluate in memory-bounded chunks. Linear
 * classifiers, binary logistic regression / SVM and networks all get their fit/predict/score here,
 * so every classifier is used the same way.
 */
import type { Classifier, TrainableModel } from "../core/model.js";
import { modelAccuracy, modelPredict } from "../core/model.js";
import type { Examples } from "../core/types.js";
import { InvalidInputError } from "../core/checks.js";
import type { TrainHistory, TrainOptions } from "./options.js";
import { trainModel } from "./train.js";

/** Options for `fit`: the training loop's, all optional (the model's defaults fill the rest). */
export type FitOptions = Partial<TrainOptions>;

export type TrainableClassifier = Classifier<FitOptions, TrainHistory>;

/** Rows of `x` ([M, D] row-major) as examples with placeholder labels, for prediction. */
function asExamples(x: Examples | Float32Array, d: number): Examples {
  if (!(x instanceof Float32Array)) return x;
  if (x.length % d !== 0) throw new InvalidInputError("x", `x has ${x.length} numbers, not a multiple of the ${d} features per example`);
  return { x, y: new Int32Array(x.length / d), n: x.length / d, d };
}

/** fit / predict / score for `model`, training with `defaults` unless a call overrides them. */
export function classifierMethods(model: TrainableModel, defaults: TrainOptions): TrainableClassifier {
  return {
    fit: (train, options = {}) => trainModel(model, train, { ...defaults, ...options }),
    predict: async (x) => modelPredict(model, asExamples(x, model.numFeatures)),
    score: async (examples) => modelAccuracy(model, examples),
  };
}
