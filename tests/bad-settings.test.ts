/**
 * Settings checked where they are given (issue 24's second pass): optimisers, schedules, toy data,
 * dataset options, image shifts and float64 files. Each row is a case that used to be accepted
 * and end silently wrong (NaN weights, a divergence blamed on the learning rate, an empty
 * training set, Infinity read as data) or crash (out of memory, a RangeError).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { adagradOptimizer, adamOptimizer, momentumOptimizer, nesterovOptimizer, rmspropOptimizer, sgdOptimizer } from "../lib/src/optim/optimizers.js";
import { stepDecaySchedule } from "../lib/src/optim/schedules.js";
import { toyBlobs, toyCircles, toyMoons, toySpiral } from "../lib/src/data/toydata.js";
import { loadDataset } from "../lib/src/data/datasets.js";
import { shiftImages } from "../lib/src/data/preprocess.js";
import { decodeNpy, NpyFormatError } from "../lib/src/data/npy.js";
import { scalar } from "../lib/src/nn/scalar.js";
import { createLinearClassifier } from "../lib/src/linear/linear.js";
import { binarySvmTrain, createBinaryLinearModel, logisticRegressionTrain, perceptronTrain } from "../lib/src/linear/binary-models.js";
import { createNetwork } from "../lib/src/nn/network.js";
import { ConvNet } from "../lib/src/nn/cnn.js";
import { trainModel } from "../lib/src/training/index.js";
import { initBackend } from "../lib/src/runtime/backend.js";
import { badInputTests, type BadInputCase } from "./helpers.js";

before(async () => {
  await initBackend({ log: false });
});

/** A version 1.0 `.npy` file of float64 values (what numpy.save writes for a float64 vector). */
function float64Npy(values: number[]): Buffer {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${values.length},), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const prefix = Buffer.alloc(10);
  Buffer.from("\x93NUMPY", "latin1").copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => data.writeDoubleLE(v, 8 * i));
  return Buffer.concat([prefix, Buffer.from(header, "latin1"), data]);
}

const blobs = toyBlobs({ n: 40, seed: 1 });
const linear = () => createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "svm", seed: 1 });
const binary = { x: new Float64Array([0, 0, 1, 1, 2, 2, 3, 3]), y: new Int32Array([0, 0, 1, 1]), n: 4, d: 2 };
const images = { x: new Float32Array(2 * 16), y: new Int32Array([0, 1]), n: 2, d: 16 };

const cases: BadInputCase[] = [
  // training options: a typo must not train the defaults
  { name: "training option 'epoch'", run: () => trainModel(linear(), blobs, { learningRate: 0.1, epoch: 1 } as never), message: /^training options: unknown option 'epoch'; did you mean 'epochs'\?$/ },
  { name: "training option 'lr'", run: () => trainModel(linear(), blobs, { learningRate: 0.1, lr: 1 } as never), message: /unknown option 'lr'; did you mean 'learningRate'\?/ },
  { name: "training option 'batch_size'", run: () => trainModel(linear(), blobs, { learningRate: 0.1, batch_size: 5 } as never), message: /unknown option 'batch_size'; did you mean 'batchSize'\?/ },
  { name: "onDiverge 'ignore'", run: () => trainModel(linear(), blobs, { learningRate: 0.1, onDiverge: "ignore" } as never), message: /^onDiverge must be one of "throw", "stop"; got "ignore"$/ },
  { name: "an optimiser that is a name", run: () => trainModel(linear(), blobs, { learningRate: 0.1, optimizer: "adam" } as never), message: /^optimizer must be an optimiser such as adamOptimizer\(\), got "adam"$/ },
  { name: "onEpoch that is not a function", run: () => trainModel(linear(), blobs, { learningRate: 0.1, onEpoch: true } as never), message: /^onEpoch must be a function, got true$/ },
  // optimisers: each setting in its range, named with the optimiser
  { name: "momentum NaN", run: () => momentumOptimizer({ momentum: NaN }), message: /^momentum: momentum must be a number in \[0, 1\), got NaN$/ },
  { name: "momentum 1.5", run: () => momentumOptimizer({ momentum: 1.5 }), message: /momentum must be a number in \[0, 1\), got 1.5/ },
  { name: "momentum −1", run: () => momentumOptimizer({ momentum: -1 }), message: /momentum must be a number in \[0, 1\), got -1/ },
  { name: "momentum form misspelt", run: () => momentumOptimizer({ form: "velocty" as "velocity" }), message: /form must be one of "velocity", "lr-in-velocity"; got "velocty"/ },
  { name: "nesterov momentum as a string", run: () => nesterovOptimizer({ momentum: "a" as unknown as number }), message: /^nesterov: momentum must be a number in \[0, 1\), got "a"$/ },
  { name: "adam ε −1", run: () => adamOptimizer({ epsilon: -1 }), message: /^adam: epsilon must be a number > 0, got -1$/ },
  { name: "adam ε 0", run: () => adamOptimizer({ epsilon: 0 }), message: /epsilon must be a number > 0, got 0/ },
  { name: "adam β₁ = 1", run: () => adamOptimizer({ beta1: 1 }), message: /^adam: beta1 must be a number in \[0, 1\), got 1$/ },
  { name: "adam β₁ = −0.5", run: () => adamOptimizer({ beta1: -0.5 }), message: /beta1 must be a number in \[0, 1\), got -0.5/ },
  { name: "adam β₂ = 1", run: () => adamOptimizer({ beta2: 1 }), message: /^adam: beta2 must be a number in \[0, 1\), got 1$/ },
  { name: "adam given a learning rate", run: () => adamOptimizer({ lr: 0.01 } as never), message: /^adam settings: unknown option 'lr'; known options: 'beta1', 'beta2', 'epsilon', 'fused'$/ },
  { name: "rmsprop decay rate 2", run: () => rmspropOptimizer({ decayRate: 2 }), message: /^rmsprop: decayRate must be a number in \[0, 1\), got 2$/ },
  { name: "adagrad ε NaN", run: () => adagradOptimizer({ epsilon: NaN }), message: /^adagrad: epsilon must be a number > 0, got NaN$/ },
  { name: "sgd given a learning rate", run: () => sgdOptimizer({ learningRate: 0.1 } as never), message: /^sgd settings: unknown option 'learningRate'/ },
  // schedules
  { name: "step decay at NaN and −5", run: () => stepDecaySchedule(0.1, [NaN, -5]), message: /^boundaries\[0\] must be a non-negative integer, got NaN$/ },
  { name: "step decay factor 0", run: () => stepDecaySchedule(0.1, [10], 0), message: /^decay factor must be a positive number, got 0$/ },
  // toy data
  { name: "moons with NaN noise", run: () => toyMoons({ noise: NaN }), message: /^toyMoons: noise must be a finite number ≥ 0, got NaN$/ },
  { name: "a billion blobs", run: () => toyBlobs({ n: 1e9 }), message: /^n must be an integer from 2 to 10,000,000, got 1000000000$/ },
  { name: "blobs with a misspelt option", run: () => toyBlobs({ seperation: 2 } as never), message: /^toyBlobs options: unknown option 'seperation'; did you mean 'separation'\?$/ },
  { name: "circles with factor 2", run: () => toyCircles({ factor: 2 }), message: /factor \(inner radius \/ outer\) must be a number in \(0, 1\), got 2/ },
  { name: "a spiral too big to hold", run: () => toySpiral({ nPerClass: 5_000_000, classes: 3 }), message: /nPerClass × classes = 15000000 points, more than the 10,000,000 allowed/ },
  // datasets
  { name: "mnist-10k with nTest 20000", run: () => loadDataset("mnist-10k", { nTest: 20000 }), message: /^mnist-10k has 10000 examples in all; nTest=20000 leaves none for training \(at most 9999\)$/ },
  { name: "loadDataset option misspelt", run: () => loadDataset("mnist-10k", { nTrian: 100 } as never), message: /^loadDataset options: unknown option 'nTrian'; did you mean 'nTrain'\?$/ },
  // shifting images
  { name: "a shift wider than the image", run: () => shiftImages(images, [4, 4], 100), message: /a shift of dx=100, dy=0 moves every pixel out of a 4×4 image/ },
  { name: "an image shape that does not match D", run: () => shiftImages(images, [28, 28], 1), message: /image shape 28×28 does not match D = 16/ },
  // float64 files
  { name: "a float64 value float32 cannot hold", run: () => decodeNpy(float64Npy([1, 1e300]), "big.npy"), type: NpyFormatError, message: /big\.npy: value 1e\+300 at index 1 is too large for float32/ },
  { name: "a float64 value that would become 0", run: () => decodeNpy(float64Npy([0, -1e-320]), "tiny.npy"), type: NpyFormatError, message: /tiny\.npy: value -1e-320 at index 1 is too close to 0 for float32 and would become 0/ },
  // models: each setting checked where it is given
  { name: "perceptron for −1 epochs", run: () => perceptronTrain(binary, { maxEpochs: -1 }), message: /^maxEpochs must be a positive integer, got -1$/ },
  { name: "perceptron at a NaN rate", run: () => perceptronTrain(binary, { learningRate: NaN }), message: /^learningRate must be a positive number, got NaN$/ },
  { name: "perceptron option misspelt", run: () => perceptronTrain(binary, { epochs: 3 } as never), message: /^perceptron options: unknown option 'epochs'; known options: 'learningRate', 'maxEpochs', 'seed', 'shuffle'$/ },
  { name: "a perceptron asked of the gradient-descent models", run: () => createBinaryLinearModel("perceptron" as "svm", 2, 0), message: /^kind must be one of "logistic", "svm"; got "perceptron"$/ },
  { name: "binary SVM with λ NaN", run: () => createBinaryLinearModel("svm", 2, NaN), message: /^reg \(the L2 strength λ\) must be a finite number ≥ 0, got NaN$/ },
  { name: "logistic regression with λ −1", run: () => logisticRegressionTrain(binary, { reg: -1 }), message: /^reg \(the L2 strength λ\) must be a finite number ≥ 0, got -1$/ },
  { name: "binary SVM option misspelt", run: () => binarySvmTrain(binary, { lr: 0.1 } as never), message: /^binary SVM options: unknown option 'lr'; / },
  { name: "linear classifier weightScale NaN", run: () => createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "svm", weightScale: NaN }), message: /^weightScale must be a finite number, got NaN$/ },
  { name: "a network too big to hold", run: () => createNetwork({ layerSizes: [784, 1e7, 10] }), message: /layerSizes \[784,10000000,10\] give 7\.95e\+9 weights and biases, more than the 3e\+8 this library allows/ },
  { name: "network λ −1", run: () => createNetwork({ layerSizes: [2, 2], reg: -1 }), message: /^reg \(the L2 strength λ\) must be a finite number ≥ 0, got -1$/ },
  { name: "CNN λ NaN", run: () => new ConvNet({ reg: NaN }), message: /^reg \(the L2 strength λ\) must be a finite number ≥ 0, got NaN$/ },
];

badInputTests("bad settings", cases);

test("good settings still work: defaults, edges of each range, float64 files within float32", () => {
  for (const make of [() => momentumOptimizer({ momentum: 0 }), () => adamOptimizer({ beta1: 0, beta2: 0.999999, epsilon: 1e-12 }), () => rmspropOptimizer({ decayRate: 0 }), () => sgdOptimizer()]) {
    const optimizer = make();
    assert.equal(typeof optimizer.step, "function");
    optimizer.dispose();
  }
  assert.equal(stepDecaySchedule(0.1, [0, 10])(0), 0.1 * 0.1);
  assert.deepEqual(Array.from(decodeNpy(float64Npy([0.5, -2, 3e38, Infinity])).data), [0.5, -2, Math.fround(3e38), Infinity]);
  assert.equal(toyMoons({ noise: 0, n: 10 }).n, 10);
});

test("scalar autograd: the derivative of x⁰ is 0, also at x = 0 (not NaN)", () => {
  for (const x0 of [0, 2]) {
    const x = scalar(x0);
    const y = x.pow(0);
    y.backward();
    assert.equal(y.data, 1);
    assert.equal(x.grad, 0);
  }
  const x = scalar(3);
  x.pow(2).backward();
  assert.equal(x.grad, 6, "the ordinary rule still holds");
});
