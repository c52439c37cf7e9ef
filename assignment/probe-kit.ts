/**
 * What a probe is (docs/instructors.md, "Adding an exercise"). A probe runs next to the student's
 * code (inside the sandbox when grading; in-process under `npm test`): it builds the arguments from
 * a case's plain `input`, calls the student's function and returns plain values for the grader to
 * judge. It reports values, never verdicts: a probe never decides whether a case passed.
 *
 * Library modules are loaded through `ctx.load("nn/layers")` (a path under lib/src, without the
 * extension), when the probe runs: a student file that fails to load then fails only the cases
 * that need it. Only type imports of the library are allowed at the top of a probe file.
 */
import type * as tfTypes from "@tensorflow/tfjs-core";

export interface ProbeContext {
  tf: typeof tfTypes;
  /** A library module (lib/src/<path>), the student's version in their copy. */
  load<T = any>(path: string): Promise<T>;
  /** Live tensors now (taken before student code loaded, for leak counts). */
  numTensors(): number;
}

export type Probe = (input: any, ctx: ProbeContext) => unknown;

export interface TensorData {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** A tensor's shape and values, or a clear error when `t` is not a tensor. */
export function tensorData(t: unknown, what: string): TensorData {
  const tensor = t as { shape?: unknown; dataSync?: unknown };
  if (t === null || typeof t !== "object" || !Array.isArray(tensor.shape) || typeof tensor.dataSync !== "function") {
    throw new Error(`${what}: expected a tensor, got ${t === null ? "null" : typeof t}`);
  }
  return { shape: [...(tensor.shape as number[])], values: (t as tfTypes.Tensor).dataSync() as Float32Array | Int32Array | Uint8Array };
}

/** Nested number arrays -> a float32 tensor of the given rank. */
export function tensorOf(tf: typeof tfTypes, data: unknown, shape?: number[]): tfTypes.Tensor {
  return shape ? tf.tensor(data as number[], shape) : tf.tensor(data as number[]);
}

/** `tf.tidy` for a probe's plain result: every tensor made inside is freed; the values stay. */
export function tidy<T>(tf: typeof tfTypes, fn: () => T): T {
  return tf.tidy(fn as unknown as () => tfTypes.TensorContainer) as unknown as T;
}
