import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveStrategy } from "../lib/src/knn/index.js";

test('"auto" follows the backend\'s product speed: dense where products are fast (native TensorFlow), pruned for large searches elsewhere', () => {
  // Fashion-MNIST's shape: 10,000 queries against 60,000 rows of 784 pixels.
  assert.equal(resolveStrategy("auto", true, 10_000, 60_000, 784), "dense");
  assert.equal(resolveStrategy("auto", false, 10_000, 60_000, 784), "pruned");
  // too small to repay the subspace: mnist-10k's 2,000 × 8,000
  assert.equal(resolveStrategy("auto", false, 2_000, 8_000, 784), "dense");
  // too few features for a 64-dimensional bound to help
  assert.equal(resolveStrategy("auto", false, 10_000, 60_000, 100), "dense");
});

test("an explicit strategy wins on every backend, and only L2 can prune", () => {
  for (const backend of [true, false]) {
    assert.equal(resolveStrategy("pruned", backend, 10, 10, 4), "pruned");
    assert.equal(resolveStrategy("dense", backend, 10_000, 60_000, 784), "dense");
    assert.equal(resolveStrategy("auto", backend, 10_000, 60_000, 784, "l1"), "dense");
  }
});
