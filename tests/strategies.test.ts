import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { gradientDescentSearch, linearSearchProblem, randomLocalSearch, randomSearch } from "../lib/src/linear/search-strategies.js";
import { toySpiral } from "../lib/src/data/toydata.js";

before(async () => {
  await initBackend({ log: false });
});

test("random search < random local search < gradient descent on the same softmax loss and budget", () => {
  const data = toySpiral({ nPerClass: 60, classes: 3, seed: 1 });
  const problem = linearSearchProblem("softmax", data);
  assert.deepEqual([problem.rows, problem.cols], [3, 3]);
  const before = tf.memory().numTensors;
  const budget = 150;
  const random = randomSearch(problem, { iterations: budget, scale: 1, seed: 1 });
  const local = randomLocalSearch(problem, { iterations: budget, stepSize: 0.1, seed: 1 });
  const gd = gradientDescentSearch(problem, { iterations: budget, learningRate: 1, seed: 1 });
  assert.equal(tf.memory().numTensors, before);
  for (const r of [random, local, gd]) {
    assert.equal(r.lossTrace.length, budget);
    // best-so-far and accepted-only traces never go up
    if (r !== gd) for (let i = 1; i < budget; i++) assert.ok(r.lossTrace[i]! <= r.lossTrace[i - 1]!);
    assert.equal(r.W.length, 9);
  }
  assert.ok(gd.lossTrace.at(-1)! < local.lossTrace.at(-1)!, `gd ${gd.lossTrace.at(-1)} vs local ${local.lossTrace.at(-1)}`);
  assert.ok(gd.lossTrace.at(-1)! < random.lossTrace.at(-1)!, `gd ${gd.lossTrace.at(-1)} vs random ${random.lossTrace.at(-1)}`);
  assert.ok(gd.lossTrace.at(-1)! < Math.log(3) - 0.1);
  assert.ok(gd.accuracy > 0.4);
  // the reported accuracy is that of the returned weights
  const W = tf.tensor2d(gd.W, [3, 3]);
  assert.ok(Math.abs(problem.accuracy(W) - gd.accuracy) < 1e-9);
  W.dispose();
  problem.dispose();
});
