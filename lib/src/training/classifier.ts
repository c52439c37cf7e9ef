/**
 * The one contract of every classifier trained by gradient descent (`GradientClassifier`), so that
 * linear models, binary logistic regression / SVM and networks are used the same way as kNN.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Classifier, TrainableModel } from "../core/model.js";
import { modelPredict } from "../core/model.js";
import { modelAccuracy } from "../eval/metrics.js";
import type { Examples } from "../core/types.js";
import { InvalidInputError } from "../core/checks.js";
import type { TrainHistory, TrainOptions } from "./options.js";
import { trainModel } from "./train.js";

/** Options for `fit`: the training loop's, all optional (the model's defaults fill the rest). */
export type FitOptions = Partial<TrainOptions>;

/** Rows of `x` ([M, D] row-major) as examples with placeholder labels, for prediction. */
function asExamples(x: Examples | Float32Array, d: number): Examples {
  if (!(x instanceof Float32Array)) return x;
  if (x.length % d !== 0) throw new InvalidInputError("x", `x has ${x.length} numbers, not a multiple of the ${d} features per example`);
  return { x, y: new Int32Array(x.length / d), n: x.length / d, d };
}

/**
 * A classifier trained by gradient descent. A subclass says what the model is (its parameters, the
 * loss and gradients of a batch, the scores); this class gives it the contract every classifier
 * shares: `fit` runs the training loop with the model's defaults (overridable per call) and keeps
 * the history on `model.history`, `predict` and `score` evaluate in memory-bounded chunks, `dispose`
 * frees the parameters. Linear classifiers, binary logistic regression and SVM, fully connected and
 * convolutional networks all extend it.
 */
export abstract class GradientClassifier implements TrainableModel, Classifier<FitOptions> {
  abstract readonly numClasses: number;
  abstract readonly numFeatures: number;
  abstract readonly params: Record<string, tf.Variable>;
  abstract lossAndGrads(x: tf.Tensor2D, y: tf.Tensor1D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> };
  abstract scores(x: tf.Tensor2D): tf.Tensor2D;

  /** The history of the last `fit` (loss per iteration, accuracies per epoch); undefined before the first. */
  history?: TrainHistory;

  /** `trainingDefaults`: what `fit` trains with unless a call says otherwise. */
  constructor(private readonly trainingDefaults: TrainOptions) {}

  /** Trains on `train` with `trainModel`; resolves to the model, its history on `model.history`. */
  async fit(train: Examples, options: FitOptions = {}): Promise<this & { history: TrainHistory }> {
    this.history = await trainModel(this, train, { ...this.trainingDefaults, ...options });
    return this as this & { history: TrainHistory };
  }

  /** Predicted class of each row of x [M, D] (or of `examples.x`), [M]. */
  async predict(x: Examples | Float32Array): Promise<Int32Array> {
    return modelPredict(this, asExamples(x, this.numFeatures));
  }

  /** Fraction of `examples` classified correctly. */
  async score(examples: Examples): Promise<number> {
    return modelAccuracy(this, examples);
  }

  /** Frees the parameters; the model cannot be used afterwards. */
  dispose(): void {
    for (const v of Object.values(this.params)) v.dispose();
  }
}
