/**
 * What a graded test case is, and the helpers its check uses (docs/instructors.md, "Adding an
 * exercise"). A case is data plus a check:
 *
 *   - `probe` and `input` say what to run: the probe (assignment/probes/*.ts) runs inside the
 *     sandbox next to the student's code, calls the student's function on `input` and returns
 *     plain values (numbers, arrays, typed arrays, plain objects);
 *   - `check(got, want, input)` runs in the grader, which never loads student code: it judges
 *     the student's values `got`, with `want` the values the instructor's solution returned for
 *     the same input. It throws (usually through the helpers below) to fail the case, with a
 *     message the student sees for a public case (a hidden case only shows pass or fail).
 *
 * Public cases live in assignment/tests/ (in the release: students run them with `npm test`);
 * hidden cases in assignment/hidden/ (instructor-only: never released, never inside the sandbox).
 * A case's share of its exercise's points is its weight (default 1) over the exercise's total.
 *
 * Checks work on plain data: nothing here loads TensorFlow.js or code a student writes.
 */
import { createRng } from "../lib/src/core/random.js";

export interface Case<Input = unknown, Output = any> {
  /** The exercise's name in assignment/exercises.json. */
  exercise: string;
  /** Unique within the exercise; shown in feedback (for a hidden case too). */
  name: string;
  /** Share of the exercise's points (default 1). */
  weight?: number;
  /** A probe exported by one of assignment/probes/*.ts. */
  probe: string;
  /** JSON-like data handed to the probe (the student's code sees it). */
  input: Input;
  /** Throws to fail. `want` is the solution's output on the same input. */
  check(got: Output, want: Output, input: Input): void;
}

/** Groups cases so a file can `export default cases(...)`, typed. */
export function cases(...list: Case<any, any>[]): Case[] {
  return list;
}

/** A failed check: its message is what a student reads for a public case. */
export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailure";
  }
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${Object.prototype.toString.call(value).slice(8, -1)} of ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/** The value as numbers: an array or typed array of numbers, else a failure naming `what`. */
export function numbers(value: unknown, what: string): number[] {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) fail(`${what}: expected numbers, got ${describe(value)}`);
  const list = Array.from(value as ArrayLike<unknown>);
  list.forEach((v, i) => {
    if (typeof v !== "number") fail(`${what}[${i}]: expected a number, got ${describe(v)}`);
  });
  return list as number[];
}

/** Nested number arrays, flattened row by row. */
export function flat(rows: readonly (readonly number[])[]): number[] {
  return rows.flatMap((row) => [...row]);
}

function format(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(7);
}

/** Element-wise |a − e| ≤ tol·max(1, |e|), same length, NaN only where expected. */
export function expectClose(actual: unknown, expected: ArrayLike<number>, tol: number, what: string): void {
  const a = numbers(actual, what);
  expect(a.length === expected.length, `${what}: ${a.length} values, expected ${expected.length}`);
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k]!;
    const v = a[k]!;
    if (Number.isNaN(e)) {
      expect(Number.isNaN(v), `${what}[${k}] is ${format(v)}, expected NaN`);
      continue;
    }
    if (!Number.isFinite(e)) {
      expect(v === e, `${what}[${k}] is ${format(v)}, expected ${e}`);
      continue;
    }
    expect(Number.isFinite(v) && Math.abs(v - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${k}] is ${format(v)}, expected ${format(e)}`);
  }
}

/** One number within tol·max(1, |expected|). */
export function expectNumber(actual: unknown, expected: number, tol: number, what: string): void {
  expect(typeof actual === "number", `${what}: expected a number, got ${describe(actual)}`);
  if (Number.isNaN(expected)) {
    expect(Number.isNaN(actual), `${what} is ${format(actual)}, expected NaN`);
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual === expected, `${what} is ${format(actual)}, expected ${expected}`);
    return;
  }
  expect(Number.isFinite(actual) && Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what} is ${format(actual)}, expected ${format(expected)}`);
}

/** What probes return for a tensor. */
export interface TensorValue {
  shape: number[];
  values: ArrayLike<number>;
}

function tensorValue(value: unknown, what: string): TensorValue {
  expect(value !== null && typeof value === "object", `${what}: expected a tensor, got ${describe(value)}`);
  const t = value as Partial<TensorValue>;
  return { shape: numbers(t.shape, `${what}'s shape`), values: numbers(t.values, what) };
}

/** Same shape, values close (see expectClose). */
export function expectTensor(actual: unknown, expected: TensorValue | { shape: number[]; values: ArrayLike<number> }, tol: number, what: string): void {
  const a = tensorValue(actual, what);
  expect(a.shape.join(",") === expected.shape.join(","), `${what} has shape [${a.shape.join(", ")}], expected [${expected.shape.join(", ")}]`);
  expectClose(a.values, expected.values, tol, what);
}

/** Exact equality of JSON-like data (numbers compared with ===, NaN equal to NaN). */
export function sameData(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const listA = Array.isArray(a) || ArrayBuffer.isView(a);
  const listB = Array.isArray(b) || ArrayBuffer.isView(b);
  if (listA !== listB) return false;
  if (listA) {
    const x = Array.from(a as ArrayLike<unknown>);
    const y = Array.from(b as ArrayLike<unknown>);
    return x.length === y.length && x.every((v, i) => sameData(v, y[i]));
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function expectSame(actual: unknown, expected: unknown, what: string): void {
  expect(sameData(actual, expected), `${what} differs from the expected value`);
}

// -------------------------------------------------------------------------------------------------
// Seeded data for inputs (the library's generator, which imports nothing): cases are plain data, reproducible by seed.

/** rows × cols normal draws (times `scale`), rounded to float32 so every backend sees the same numbers. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  const r = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.fround(scale * r.normal())));
}

export function randomLabels(n: number, classes: number, seed: number): number[] {
  const r = createRng(seed);
  return Array.from({ length: n }, () => r.int(classes));
}

// -------------------------------------------------------------------------------------------------
// Independent references, in float64 plain JavaScript

export function referenceDistances(q: readonly number[][], t: readonly number[][], metric: "l1" | "l2"): number[] {
  const out: number[] = [];
  for (const a of q) {
    for (const b of t) {
      let s = 0;
      for (let f = 0; f < a.length; f++) s += metric === "l1" ? Math.abs(a[f]! - b[f]!) : (a[f]! - b[f]!) ** 2;
      out.push(metric === "l1" ? s : Math.sqrt(s));
    }
  }
  return out;
}

/**
 * Accuracy of k-NN on `validation` fitted on `train` (indices into x/y): the k nearest by the metric
 * (ties in distance to the lower index), majority vote, a tied vote to the class with the nearer
 * neighbour, then the smaller label (the library's rule).
 */
export function knnAccuracy(x: readonly number[][], y: readonly number[], train: readonly number[], validation: readonly number[], k: number, metric: "l1" | "l2", numClasses: number): number {
  let correct = 0;
  for (const i of validation) {
    const near = train
      .map((j) => ({ j, d: referenceDistances([x[i]!], [x[j]!], metric)[0]! }))
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .slice(0, k);
    const counts = new Array<number>(numClasses).fill(0);
    const nearest = new Array<number>(numClasses).fill(Infinity);
    for (const { j, d } of near) {
      counts[y[j]!]!++;
      nearest[y[j]!] = Math.min(nearest[y[j]!]!, d);
    }
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (counts[c]! > counts[best]! || (counts[c] === counts[best] && nearest[c]! < nearest[best]!)) best = c;
    if (best === y[i]) correct++;
  }
  return correct / validation.length;
}
