/**
 * The environment variables that configure the runtime, parsed strictly: a value that cannot be
 * used is an error naming the variable, checked when the backend starts (whichever backend wins),
 * never a silent fallback to something slower.
 */
import os from "node:os";
import { InvalidInputError } from "../core/checks.js";

/** Threads for the WebAssembly backend (default: one per core). */
export const WASM_THREADS_ENV_VAR = "CLASSIFIERS_WASM_THREADS";

/** Threads requested by CLASSIFIERS_WASM_THREADS (default: one per core). */
export function requestedWasmThreads(value = process.env[WASM_THREADS_ENV_VAR]): number {
  if (value === undefined || value.trim() === "") return Math.max(1, os.availableParallelism());
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidInputError(WASM_THREADS_ENV_VAR, `${WASM_THREADS_ENV_VAR}=${value} is not a thread count; use a positive integer (1 = single thread), or unset it.`);
  }
  return n;
}

/** "0": keep tfjs-node's matrix product on the native backend; "1": TensorFlow's `MatMul` even where signals are expected and the binding cannot hold them (runtime/native/signals.ts). */
export const NATIVE_MATMUL_ENV_VAR = "CLASSIFIERS_NATIVE_MATMUL";

/** What CLASSIFIERS_NATIVE_MATMUL asks for: true, false, or undefined when unset (decide by itself). */
export function requestedNativeMatMul(value = process.env[NATIVE_MATMUL_ENV_VAR]): boolean | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (value.trim() === "1") return true;
  if (value.trim() === "0") return false;
  throw new InvalidInputError(NATIVE_MATMUL_ENV_VAR, `${NATIVE_MATMUL_ENV_VAR}=${value} is not 0 or 1; use 0 (tfjs-node's product), 1 (TensorFlow's MatMul, even under a profiler), or unset it.`);
}

/**
 * Read by the binding scripts/native-backend.sh builds (scripts/patch-binding.py): an op whose
 * inputs hold fewer elements than this runs on the calling thread alone instead of being split over
 * TensorFlow's thread pool (default 524288; 0 splits as TensorFlow decides).
 */
export const SMALL_OP_ELEMENTS_ENV_VAR = "CLASSIFIERS_SMALL_OP_ELEMENTS";
/** The binding's own default for CLASSIFIERS_SMALL_OP_ELEMENTS (the measurements are in docs/backends.md, "Threads"). */
export const DEFAULT_SMALL_OP_ELEMENTS = 524288;

/** The small-op limit CLASSIFIERS_SMALL_OP_ELEMENTS asks for (default 524288; 0 = off). */
export function requestedSmallOpElements(value = process.env[SMALL_OP_ELEMENTS_ENV_VAR]): number {
  if (value === undefined || value.trim() === "") return DEFAULT_SMALL_OP_ELEMENTS;
  // The binding parses it with strtoll: plain decimal digits only, so both sides read the same number.
  const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new InvalidInputError(SMALL_OP_ELEMENTS_ENV_VAR, `${SMALL_OP_ELEMENTS_ENV_VAR}=${value} is not an element count; use a whole number such as ${DEFAULT_SMALL_OP_ELEMENTS} (0 = let TensorFlow split every op), or unset it.`);
  }
  return n;
}
