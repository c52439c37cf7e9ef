/**
 * Bad input against every public entry point, as a table: each case names the call, the error
 * it must raise (type and the words that name the mistake), and never a raw TypeError or a
 * silent result. Found by a sweep of ~210 bad inputs (issue 13); each row holds one fix in place.
 */
import { before } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { modelPredict } from "../lib/src/core/model.js";
import type { Examples } from "../lib/src/core/types.js";
import { KnnClassifier } from "../lib/src/knn/knn.js";
import { nearestNeighbors } from "../lib/src/knn/neighbors.js";
import { distanceMatrix } from "../lib/src/knn/distances.js";
import { crossValidateKnn } from "../lib/src/knn/crossval.js";
import { createLinearClassifier } from "../lib/src/linear/linear.js";
import { createBinaryLinearModel, perceptronTrain } from "../lib/src/linear/binary-models.js";
import { linearLossNaive } from "../lib/src/losses/losses.js";
import { trainModel, TrainingDivergedError } from "../lib/src/training/index.js";
import { asSchedule, cosineSchedule } from "../lib/src/optim/schedules.js";
import { accuracy, confusionMatrix } from "../lib/src/eval/metrics.js";
import { classCounts, toTensors } from "../lib/src/data/preprocess.js";
import { loadDataset } from "../lib/src/data/datasets.js";
import { toyBlobs, toyXor } from "../lib/src/data/toydata.js";
import { badInputTests, type BadInputCase } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

const blobs = toyBlobs({ n: 40, seed: 1 });
const withNaN: Examples = { ...blobs, x: Float32Array.from(blobs.x, (v, i) => (i === 7 ? NaN : v)) };
const linear = () => createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "svm", seed: 1 });
const quiet = { printEvery: 0 };

const cases: BadInputCase[] = [
  // linear models and losses
  { name: "unknown linear loss", run: () => createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "hinge" as "svm" }), message: /^loss must be one of "svm", "softmax"; got "hinge"$/ },
  { name: "unknown loss in the naive loss", run: () => linearLossNaive("hinge" as "svm", { W: new Float64Array(4), d: 2, c: 2 }, blobs), message: /loss must be one of "svm", "softmax"; got "hinge"/ },
  // the training loop
  { name: "learning rate as a string", run: () => trainModel(linear(), blobs, { learningRate: "0.1" as unknown as number, ...quiet }), message: /^learningRate must be a positive number or a schedule \(iteration → rate\), got "0.1"$/ },
  { name: "schedule returning a negative rate", run: () => trainModel(linear(), blobs, { learningRate: () => -0.1, ...quiet }), message: /schedule returned -0.1 at iteration 0; a learning rate must be a positive finite number/ },
  { name: "schedule returning undefined", run: () => trainModel(linear(), blobs, { learningRate: (() => undefined) as unknown as () => number, ...quiet }), message: /schedule returned undefined at iteration 0/ },
  { name: "schedule reaching zero later", run: () => trainModel(linear(), blobs, { learningRate: (t) => 0.1 - 0.05 * t, iterations: 5, batchSize: 0, ...quiet }), message: /schedule returned 0 at iteration 2/ },
  { name: "exploding (finite) loss", run: () => trainModel(linear(), toyXor({ n: 40, seed: 1 }), { learningRate: 1e30, epochs: 3, batchSize: 10, ...quiet }), type: TrainingDivergedError, message: /the loss exploded from \S+ to \S+ at iteration 2 .*learning rate 1\.00e\+30/ },
  { name: "NaN in the training data", run: () => trainModel(linear(), withNaN, { learningRate: 0.1, ...quiet }), message: /^training set: x has a non-finite value NaN at row 3, column 1$/ },
  { name: "label outside the model's classes", run: () => trainModel(linear(), { ...blobs, y: blobs.y.map((v, i) => (i === 5 ? 2 : v)) }, { learningRate: 0.1, ...quiet }), message: /^training set labels\[5\] = 2 is not a class index in 0\.\.1$/ },
  { name: "wrong feature count for the model", run: () => trainModel(createLinearClassifier({ inputDim: 3, numClasses: 2, loss: "svm" }), blobs, { learningRate: 0.1, ...quiet }), message: /training set: examples have 2 features but 3 are expected/ },
  { name: "x given as a plain array of strings", run: () => trainModel(linear(), { ...blobs, x: Array.from(blobs.x, String) as unknown as Float32Array }, { learningRate: 0.1, ...quiet }), message: /training set: x must hold numbers; element 0 is "/ },
  { name: "not a model", run: () => trainModel({} as never, blobs, { learningRate: 0.1 }), message: /trainModel needs a TrainableModel \(params, lossAndGrads, scores\), got a Object/ },
  { name: "negative epochs", run: () => trainModel(linear(), blobs, { learningRate: 0.1, epochs: -1, ...quiet }), message: /^epochs must be a positive integer, got -1$/ },
  { name: "fractional batch size", run: () => trainModel(linear(), blobs, { learningRate: 0.1, batchSize: 2.5, ...quiet }), message: /batchSize must be a positive integer \(or 0 for full batch\), got 2.5/ },
  {
    name: "training a disposed model",
    run: () => {
      const model = linear();
      model.dispose();
      return trainModel(model, blobs, { learningRate: 0.1, ...quiet });
    },
    message: /the model's parameter W was disposed \(model\.dispose\(\) was called\); create a new model/,
  },
  // prediction
  { name: "chunk size 0 (used to loop forever)", run: () => modelPredict(linear(), blobs, 0), message: /^chunkSize must be a positive integer, got 0$/ },
  { name: "negative chunk size", run: () => modelPredict(linear(), blobs, -5), message: /^chunkSize must be a positive integer, got -5$/ },
  { name: "fractional chunk size", run: () => modelPredict(linear(), blobs, 2.5), message: /^chunkSize must be a positive integer, got 2.5$/ },
  { name: "NaN features at prediction (examples)", run: () => modelPredict(linear(), withNaN), message: /examples: x has a non-finite value NaN at row 3, column 1/ },
  { name: "NaN features at prediction (tensor)", run: () => tf.tidy(() => modelPredict(linear(), tf.tensor2d([[NaN, 1]]))), message: /x contains NaN or infinite values/ },
  { name: "linear predict on rows of the wrong width", run: () => linear().predict(new Float32Array(3)), message: /x has 3 numbers, not a multiple of the 2 features per example/ },
  // kNN
  { name: "kNN query as a plain array of the wrong width", run: async () => (await new KnnClassifier().fit(blobs)).predict([1, 2, 3]), message: /queries have 3 numbers, not a multiple of D=2/ },
  { name: "kNN query with NaN", run: async () => (await new KnnClassifier().fit(blobs)).predict([NaN, 2]), message: /queries: x has a non-finite value NaN at row 0, column 0/ },
  { name: "kNN query of the wrong type", run: async () => (await new KnnClassifier().fit(blobs)).predict("abc" as unknown as number[]), message: /queries must be a Float32Array, Float64Array or number\[\] \(row-major\), got "abc"/ },
  { name: "kNN k = 0", run: () => new KnnClassifier({ k: 0 }), message: /^k must be a positive integer, got 0$/ },
  { name: "kNN k larger than the training set", run: () => new KnnClassifier({ k: 50 }).fit(blobs), message: /^k=50 is larger than the 40 training examples$/ },
  { name: "kNN unknown metric", run: () => new KnnClassifier({ metric: "cosine" as "l2" }), message: /^metric must be one of "l2", "l1"; got "cosine"$/ },
  { name: "kNN training on nothing", run: () => new KnnClassifier().fit(undefined as unknown as Examples), message: /training set must be examples \{ x, y, n, d \}, got undefined/ },
  {
    name: "kNN with one stray label 10 among digits 0..9 (used to make an 11-class model)",
    run: async () => {
      const ds = await loadDataset("mnist-10k", { nTrain: 1000, nTest: 10 });
      const y = Int32Array.from(ds.train.y);
      y[3] = 10;
      return new KnnClassifier().fit({ ...ds.train, y });
    },
    message: /training set labels: class 10 appears only once among 1000 examples \(about 91 per class otherwise\): a stray label\? Pass numClasses/,
  },
  { name: "kNN numClasses smaller than a label", run: () => new KnnClassifier().fit(blobs, { numClasses: 1 }), message: /training set labels\[\d+\] = 1 is not a class index in 0\.\.0/ },
  {
    name: "neighbour search with a bad chunk size",
    run: async () => {
      const [train, queries] = [tf.ones([3, 2]) as tf.Tensor2D, tf.ones([1, 2]) as tf.Tensor2D];
      try {
        return await nearestNeighbors(train, queries, 1, { chunkSize: -5 });
      } finally {
        tf.dispose([train, queries]);
      }
    },
    message: /^chunkSize must be a positive integer, got -5$/,
  },
  { name: "distance matrix with an unknown metric", run: () => tf.tidy(() => void distanceMatrix(tf.ones([1, 2]), tf.ones([1, 2]), "l3" as "l2")), message: /metric must be one of "l2", "l1"; got "l3"/ },
  { name: "cross-validation with NaN data", run: () => crossValidateKnn(withNaN, { ks: [1] }), message: /crossValidateKnn: x has a non-finite value NaN at row 3, column 1/ },
  // binary models
  { name: "perceptron with labels other than 0/1", run: () => perceptronTrain({ ...blobs, y: blobs.y.map((v, i) => (i === 2 ? 2 : v)) }), message: /binary labels must be 0 or 1; y\[2\] = 2/ },
  { name: "binary model fit on NaN", run: () => createBinaryLinearModel("logistic", 2, 0).fit(withNaN), message: /training set: x has a non-finite value NaN at row 3, column 1/ },
  // metrics and data
  { name: "accuracy of different lengths", run: () => accuracy([0, 1], [0]), type: Error, message: /true and predicted labels differ in length: 2 vs 1/ },
  { name: "confusion matrix with a label outside the classes", run: () => confusionMatrix([0, 1], [0, 2], 2), message: /^predicted labels\[1\] = 2 is not a class index in 0\.\.1$/ },
  { name: "class counts with numClasses 0", run: () => classCounts(blobs, 0), message: /^numClasses must be a positive integer, got 0$/ },
  { name: "tensors from examples with NaN", run: () => toTensors(withNaN), message: /toTensors: x has a non-finite value NaN at row 3, column 1/ },
  { name: "unknown dataset", run: () => loadDataset("cifar" as "mnist"), type: Error, message: /unknown dataset "cifar"; choose one of mnist-10k, fashion-mnist, mnist/ },
  { name: "dataset subset of -1", run: () => loadDataset("mnist-10k", { nTrain: -1 }), message: /^nTrain must be a non-negative integer, got -1$/ },
  { name: "cosine schedule over 0 iterations", run: () => cosineSchedule(0.1, 0), message: /^total iterations must be a positive integer, got 0$/ },
  { name: "schedule from an object", run: () => asSchedule({} as unknown as number), message: /learningRate must be a positive number or a schedule .* got a Object/ },
];

badInputTests("bad input", cases);
