/**
 * A tiny scalar autograd for teaching the computational graph (after Karpathy's micrograd).
 * Each `Value` remembers the values it was computed from and how to pass a gradient back to them;
 * `backward()` visits the graph from the output in reverse topological order and applies the chain
 * rule one node at a time. `graphOf` lists the nodes and edges for `computationGraphPlot` (viz/).
 *
 *   const x = scalar(-2, "x"), y = scalar(5, "y"), z = scalar(-4, "z");
 *   const f = x.add(y).mul(z).named("f");   // f = (x + y)·z = -12
 *   f.backward();                            // x.grad = z = -4, y.grad = -4, z.grad = x + y = 3
 *
 * Gradients accumulate (+=): a value used twice receives both contributions, which is the
 * multivariate chain rule and the reason `backward()` starts by zeroing the whole graph.
 * Plain numbers, no tensors: this is for seeing backpropagation, `nn/layers.ts` is for training.
 */
import { checkFiniteNumber, InvalidInputError } from "../core/checks.js";

/** The operation that produced a value ("" for an input or a constant). */
export type ScalarOp = "" | "+" | "×" | "−" | "÷" | "^" | "exp" | "log" | "tanh" | "σ" | "ReLU";

export class Value {
  /** The forward value. */
  readonly data: number;
  /** ∂output/∂this after `backward()` on the output; 0 before. */
  grad = 0;
  /** Display name ("x", "w0·x0", ...); empty for unnamed intermediates. */
  label: string;
  /** The operation that produced this value. */
  readonly op: ScalarOp;
  /** The values this one was computed from. */
  readonly parents: readonly Value[];
  /** Adds this node's contribution to its parents' gradients, given this.grad. */
  private readonly propagate: () => void;

  constructor(data: number, label = "", op: ScalarOp = "", parents: readonly Value[] = [], propagate: () => void = () => {}) {
    if (!Number.isFinite(data)) {
      const from = parents.length ? ` (from ${op} of ${parents.map((p) => p.data).join(", ")})` : "";
      throw new InvalidInputError("value", `a scalar value must be a finite number, got ${data}${from}`);
    }
    this.data = data;
    this.label = label;
    this.op = op;
    this.parents = parents;
    this.propagate = propagate;
  }

  /** Gives this value a display name and returns it (for chaining). */
  named(label: string): this {
    this.label = label;
    return this;
  }

  add(other: Value | number): Value {
    const o = asValue(other);
    const out: Value = new Value(this.data + o.data, "", "+", [this, o], () => {
      this.grad += out.grad; // ∂(a+b)/∂a = 1: addition routes the gradient unchanged
      o.grad += out.grad;
    });
    return out;
  }

  mul(other: Value | number): Value {
    const o = asValue(other);
    const out: Value = new Value(this.data * o.data, "", "×", [this, o], () => {
      this.grad += o.data * out.grad; // multiplication swaps its inputs into the gradient
      o.grad += this.data * out.grad;
    });
    return out;
  }

  sub(other: Value | number): Value {
    const o = asValue(other);
    const out: Value = new Value(this.data - o.data, "", "−", [this, o], () => {
      this.grad += out.grad;
      o.grad -= out.grad;
    });
    return out;
  }

  div(other: Value | number): Value {
    const o = asValue(other);
    if (o.data === 0) throw new InvalidInputError("value", `division by zero (${this.label || this.data} ÷ ${o.label || 0})`);
    const out: Value = new Value(this.data / o.data, "", "÷", [this, o], () => {
      this.grad += out.grad / o.data;
      o.grad -= (this.data / (o.data * o.data)) * out.grad;
    });
    return out;
  }

  neg(): Value {
    return this.mul(-1);
  }

  /** this^exponent for a constant exponent. */
  pow(exponent: number): Value {
    checkFiniteNumber(exponent, "exponent");
    const out: Value = new Value(this.data ** exponent, "", "^", [this], () => {
      // d xⁿ/dx = n·xⁿ⁻¹; for n = 0, x⁰ = 1 is constant, so the derivative is 0 (even at x = 0,
      // where 0·0⁻¹ would give NaN).
      const local = exponent === 0 ? 0 : exponent * this.data ** (exponent - 1);
      this.grad += local * out.grad;
    });
    return out;
  }

  exp(): Value {
    const out: Value = new Value(Math.exp(this.data), "", "exp", [this], () => {
      this.grad += out.data * out.grad; // d eˣ/dx = eˣ: reuse the forward value
    });
    return out;
  }

  log(): Value {
    if (this.data <= 0) throw new InvalidInputError("value", `log needs a positive value, got ${this.data}`);
    const out: Value = new Value(Math.log(this.data), "", "log", [this], () => {
      this.grad += out.grad / this.data;
    });
    return out;
  }

  tanh(): Value {
    const t = Math.tanh(this.data);
    const out: Value = new Value(t, "", "tanh", [this], () => {
      this.grad += (1 - t * t) * out.grad;
    });
    return out;
  }

  sigmoid(): Value {
    const s = 1 / (1 + Math.exp(-this.data));
    const out: Value = new Value(s, "", "σ", [this], () => {
      this.grad += s * (1 - s) * out.grad; // σ' = σ(1 − σ)
    });
    return out;
  }

  relu(): Value {
    const out: Value = new Value(Math.max(0, this.data), "", "ReLU", [this], () => {
      this.grad += (this.data > 0 ? 1 : 0) * out.grad; // a gate: open for positive inputs
    });
    return out;
  }

  /**
   * Backpropagation from this value: zero every gradient in the graph, set ∂this/∂this = 1, then
   * apply each node's local rule in reverse topological order (a node only after everything that
   * uses it), so each gradient is complete before it is passed on.
   */
  backward(): void {
    const order = topologicalOrder(this);
    for (const v of order) v.grad = 0;
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) order[i]!.propagate();
  }

  toString(): string {
    return `Value(${this.label ? this.label + " = " : ""}${this.data}, grad ${this.grad})`;
  }
}

/** A leaf of the graph: an input or a parameter. */
export function scalar(data: number, label = ""): Value {
  checkFiniteNumber(data, label || "value");
  return new Value(data, label);
}

function asValue(v: Value | number): Value {
  if (v instanceof Value) return v;
  checkFiniteNumber(v, "operand");
  return new Value(v, String(v));
}

/** Every value the output depends on, each after its parents (inputs first, the output last). */
export function topologicalOrder(output: Value): Value[] {
  const order: Value[] = [];
  const seen = new Set<Value>();
  // iterative depth-first search: deep chains (a long sum) must not overflow the call stack
  const stack: [Value, boolean][] = [[output, false]];
  while (stack.length) {
    const [v, expanded] = stack.pop()!;
    if (expanded) {
      order.push(v);
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push([v, true]);
    for (let i = v.parents.length - 1; i >= 0; i--) if (!seen.has(v.parents[i]!)) stack.push([v.parents[i]!, false]);
  }
  return order;
}

/** One node of a drawn graph. `depth` 0 for inputs, growing towards the output. */
export interface GraphNode {
  id: number;
  label: string;
  op: ScalarOp;
  data: number;
  grad: number;
  depth: number;
}

/** The graph behind an output: nodes (inputs first) and edges from parent to child by node id. */
export interface ComputationGraph {
  nodes: GraphNode[];
  edges: { from: number; to: number }[];
}

/** The nodes and edges of the graph that computed `output`, for drawing (see `computationGraphPlot`). */
export function graphOf(output: Value): ComputationGraph {
  const order = topologicalOrder(output);
  const ids = new Map<Value, number>();
  const nodes: GraphNode[] = [];
  const edges: { from: number; to: number }[] = [];
  for (const v of order) {
    const id = nodes.length;
    ids.set(v, id);
    let depth = 0;
    for (const p of v.parents) depth = Math.max(depth, nodes[ids.get(p)!]!.depth + 1);
    nodes.push({ id, label: v.label, op: v.op, data: v.data, grad: v.grad, depth });
    // a value used twice by one operation (x·x) is one edge drawn once
    for (const p of new Set(v.parents)) edges.push({ from: ids.get(p)!, to: id });
  }
  return { nodes, edges };
}
