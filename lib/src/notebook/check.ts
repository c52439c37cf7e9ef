/**
 * `check(name, value, expected?)`: the self-check of a notebook test cell, which the autograder also
 * reads (docs/instructors.md, "Autograded notebook cells"). In a notebook it prints "✓ name" or
 * throws "✗ name: got …, expected …" when `expected` is given and the value differs (numbers within
 * a relative 1e-6). When the grader runs the notebook (`CLASSIFIERS_GRADING=1`) it only prints the
 * value, on one line, for the grader to compare with the solution's: it never decides a grade.
 */
export const GRADING_ENV_VAR = "CLASSIFIERS_GRADING";

function close(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const x = ArrayBuffer.isView(a) ? Array.from(a as unknown as ArrayLike<number>) : a;
  const y = ArrayBuffer.isView(b) ? Array.from(b as unknown as ArrayLike<number>) : b;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  return kx.length === ky.length && kx.every((k) => close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)) ?? "null");
}

function short(value: unknown): string {
  const text = JSON.stringify(plain(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function check(name: string, value: unknown, expected?: unknown): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  if (env[GRADING_ENV_VAR] === "1") {
    console.log(`::check:: ${JSON.stringify({ name, value: plain(value) })}`);
    return;
  }
  if (expected !== undefined && !close(plain(value), plain(expected))) throw new Error(`✗ ${name}: got ${short(value)}, expected ${short(expected)}`);
  console.log(`✓ ${name}${expected === undefined ? `: ${short(value)}` : ""}`);
}
