// The scalar autograd (nn/scalar.ts) against hand-computed gradients, numerical gradients and
// TensorFlow.js autodiff, and the picture of its graph (viz/graph.ts).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/index.js";
import { enableAutodiff, graphOf, scalar, topologicalOrder, Value } from "../lib/src/nn/index.js";
import { computationGraphPlot } from "../lib/src/viz/index.js";
import { InvalidInputError } from "../lib/src/core/index.js";

before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});

const close = (actual: number, expected: number, tol = 1e-9, what = ""): void =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

test("f(x, y, z) = (x + y)·z: the course's example, gradients by hand", () => {
  const x = scalar(-2, "x"), y = scalar(5, "y"), z = scalar(-4, "z");
  const q = x.add(y).named("q");
  const f = q.mul(z).named("f");
  assert.equal(f.data, -12);
  f.backward();
  assert.deepEqual([x.grad, y.grad, z.grad, q.grad, f.grad], [-4, -4, 3, -4, 1]);
});

test("sigmoid neuron σ(w0·x0 + w1·x1 + b): gradients by hand (σ' = σ(1 − σ))", () => {
  const w0 = scalar(2, "w0"), x0 = scalar(-1, "x0"), w1 = scalar(-3, "w1"), x1 = scalar(-2, "x1"), b = scalar(-3, "b");
  const f = w0.mul(x0).add(w1.mul(x1)).add(b).sigmoid();
  const s = 1 / (1 + Math.exp(-1)); // the pre-activation is −2 + 6 − 3 = 1
  close(f.data, s, 1e-12, "σ(1)");
  f.backward();
  const local = s * (1 - s); // ≈ 0.1966
  close(w0.grad, local * -1, 1e-12, "w0");
  close(x0.grad, local * 2, 1e-12, "x0");
  close(w1.grad, local * -2, 1e-12, "w1");
  close(x1.grad, local * -3, 1e-12, "x1");
  close(b.grad, local, 1e-12, "b");
});

/** A function of 3 leaves that uses every operation, and a value used in several places. */
function everything(a: Value, b: Value, c: Value): Value {
  const t = a.mul(b).add(c.tanh()).sub(a.div(c.pow(2).add(1)));
  const u = t.exp().add(b.relu()).mul(a.sigmoid()).add(c.neg());
  return u.add(u.mul(a)).add(b.mul(b).add(1).log());
}

test("every operation matches numerical gradients, including values used more than once", () => {
  for (const point of [[0.3, -1.2, 0.7], [-0.5, 0.4, -1.3], [1.1, 2.0, 0.2]]) {
    const leaves = point.map((v, i) => scalar(v, `v${i}`));
    const f = everything(leaves[0]!, leaves[1]!, leaves[2]!);
    f.backward();
    const h = 1e-6;
    for (let i = 0; i < 3; i++) {
      const plus = point.map((v, j) => scalar(j === i ? v + h : v));
      const minus = point.map((v, j) => scalar(j === i ? v - h : v));
      const numeric = (everything(plus[0]!, plus[1]!, plus[2]!).data - everything(minus[0]!, minus[1]!, minus[2]!).data) / (2 * h);
      close(leaves[i]!.grad, numeric, 1e-6, `∂f/∂v${i} at ${point.join(", ")}`);
    }
  }
});

test("a tanh neuron gives the gradients tf.grad computes", () => {
  const xs = [0.5, -1.5, 2.0], ws = [-0.3, 0.8, 0.1], bias = 0.2;
  const x = xs.map((v, i) => scalar(v, `x${i}`));
  const w = ws.map((v, i) => scalar(v, `w${i}`));
  let pre: Value = scalar(bias, "b");
  for (let i = 0; i < 3; i++) pre = pre.add(w[i]!.mul(x[i]!));
  const out = pre.tanh();
  out.backward();
  const [gw, gx] = tf.tidy(() => tf.grads((wt: tf.Tensor, xt: tf.Tensor) => tf.tanh(tf.add(tf.sum(tf.mul(wt, xt)), bias)))([tf.tensor1d(ws), tf.tensor1d(xs)]).map((g) => g.arraySync() as number[]));
  for (let i = 0; i < 3; i++) {
    close(w[i]!.grad, gw![i]!, 1e-5, `w${i}`);
    close(x[i]!.grad, gx![i]!, 1e-5, `x${i}`);
  }
});

test("backward twice gives the same gradients (it zeroes the graph first), and x·x counts x twice", () => {
  const x = scalar(3, "x");
  const f = x.mul(x).add(x); // f = x² + x, f' = 2x + 1 = 7
  f.backward();
  assert.equal(x.grad, 7);
  f.backward();
  assert.equal(x.grad, 7);
});

test("topological order puts every value after its parents, and a deep chain does not overflow the stack", () => {
  let v = scalar(0, "start");
  const start = v;
  for (let i = 0; i < 20000; i++) v = v.add(1);
  const order = topologicalOrder(v);
  assert.equal(order[order.length - 1], v);
  const position = new Map(order.map((node, i) => [node, i]));
  for (const node of order) for (const p of node.parents) assert.ok(position.get(p)! < position.get(node)!);
  v.backward();
  assert.equal(start.grad, 1);
});

test("graphOf lists nodes with depths and edges; the figure shows each value and gradient", () => {
  const x = scalar(-2, "x"), y = scalar(5, "y"), z = scalar(-4, "z");
  const f = x.add(y).named("q").mul(z).named("f");
  const before = computationGraphPlot(f);
  assert.ok(!JSON.stringify(before).includes("grad −"), "no gradients before backward()");
  f.backward();
  const graph = graphOf(f);
  assert.deepEqual(graph.nodes.map((n) => [n.label, n.op, n.depth]), [["x", "", 0], ["y", "", 0], ["q", "+", 1], ["z", "", 0], ["f", "×", 2]]);
  assert.deepEqual(graph.edges, [{ from: 0, to: 2 }, { from: 1, to: 2 }, { from: 2, to: 4 }, { from: 3, to: 4 }]);
  const fig = computationGraphPlot(graph, { title: "(x + y)·z" });
  const boxes = (fig.layout.annotations ?? []).filter((a) => a.showarrow === false);
  const arrows = (fig.layout.annotations ?? []).filter((a) => a.showarrow === true);
  assert.equal(boxes.length, 5);
  assert.equal(arrows.length, 4);
  const text = boxes.map((a) => a.text).join("\n");
  for (const fragment of ["<b>x</b>", "value −2.000", "grad −4.000", "<b>q</b> = <i>+</i>", "grad 3.000", "<b>f</b> = <i>×</i>", "value −12.000", "grad 1.000"]) {
    assert.ok(text.includes(fragment), `figure shows ${fragment}`);
  }
  // no two boxes of one column overlap
  const spots = boxes.map((a) => `${a.x},${a.y}`);
  assert.equal(new Set(spots).size, spots.length);
});

test("bad input is named: NaN leaves, log of a non-positive value, division by zero", () => {
  assert.throws(() => scalar(Number.NaN, "w"), (e: unknown) => e instanceof InvalidInputError && /w must be a finite number/.test((e as Error).message));
  assert.throws(() => scalar(0).log(), /log needs a positive value, got 0/);
  assert.throws(() => scalar(1, "a").div(scalar(0, "b")), /division by zero \(a ÷ b\)/);
  assert.throws(() => scalar(1000).exp().exp(), /finite number, got Infinity \(from exp of/);
});
