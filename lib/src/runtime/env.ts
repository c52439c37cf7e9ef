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
