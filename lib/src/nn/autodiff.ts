/**
 * TensorFlow.js autodiff (`tf.grad`) as a second opinion on the handwritten backward passes.
 *
 * `tf.grad` needs each op's gradient function registered, and `@tensorflow/tfjs-core`'s main
 * module registers none. tfjs-core ships them all in `dist/register_all_gradients.js` (what the
 * full `@tensorflow/tfjs` bundle loads), but as ES modules whose imports have no file extensions,
 * which Node cannot load as they are. `enableAutodiff()` bundles that one file with esbuild (the
 * bundler tsx already brings) into a CommonJS module, caches it under node_modules/.cache, and
 * loads it. The gradient functions register themselves in tfjs-core's global registry, the one
 * `tf.grad` reads, whichever copy of tfjs-core's code registers them.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";

const require = createRequire(import.meta.url);

/** Registers TensorFlow.js's gradient functions if they are not yet (idempotent). Call before `tf.grad`. */
export function enableAutodiff(): void {
  if (tf.getGradient("BatchMatMul") && tf.getGradient("Relu")) return;
  let entry: string;
  try {
    entry = require.resolve("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  } catch (error) {
    throw new Error(`tf.grad needs @tensorflow/tfjs-core's dist/register_all_gradients.js, which was not found (${(error as Error).message}); run npm ci`);
  }
  const core = dirname(dirname(entry));
  const version = (JSON.parse(readFileSync(join(core, "package.json"), "utf8")) as { version: string }).version;
  const cached = join(core, "..", "..", ".cache", "classifiers", `tfjs-core-${version}-gradients.cjs`);
  try {
    require(cached);
  } catch {
    const code = bundleGradients(entry);
    try {
      // Written under a temporary name and renamed, so a process never reads half a file.
      mkdirSync(dirname(cached), { recursive: true });
      const partial = `${cached}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, cached);
      require(cached);
    } catch {
      // A read-only node_modules: run the bundle from memory.
      new Function("module", "exports", "require", code)({ exports: {} }, {}, createRequire(entry));
    }
  }
  if (!tf.getGradient("BatchMatMul")) throw new Error(`${entry} loaded but registered no gradient functions`);
}

/** register_all_gradients.js and what it imports, as one CommonJS module's source. */
function bundleGradients(entry: string): string {
  let esbuild: typeof import("esbuild");
  try {
    esbuild = require("esbuild") as typeof import("esbuild");
  } catch (error) {
    throw new Error(`tf.grad needs esbuild (installed with tsx by npm ci) to load tfjs-core's gradient functions: ${(error as Error).message}`);
  }
  const result = esbuild.buildSync({ entryPoints: [entry], bundle: true, format: "cjs", platform: "node", write: false, logLevel: "silent" });
  return result.outputFiles[0]!.text;
}
