/**
 * Backend: picks the TensorFlow.js backend once per process, and says which.
 *
 * Preference order: tfjs-node's native `tensorflow` backend (when the optional
 * `@tensorflow/tfjs-node` package is installed and its native library loads), then
 * WebAssembly with SIMD (`wasm`), then plain JavaScript (`cpu`). The environment variable
 * `CLASSIFIERS_BACKEND=tensorflow|wasm|cpu` forces one; forcing a backend that cannot load
 * is an error rather than a silent fallback, so a benchmark never measures the wrong thing.
 *
 * The native backend either comes from tfjs-node's own install (a downloaded libtensorflow) or
 * from scripts/native-backend.sh, which builds tfjs-node's binding against the C library in
 * TensorFlow's Python wheel; the summary names TensorFlow's version and which route it was.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";
import { DEFAULT_SMALL_OP_ELEMENTS, requestedNativeMatMul, requestedSmallOpElements, requestedWasmThreads, SMALL_OP_ELEMENTS_ENV_VAR } from "./env.js";
import { expectedSignals, installNativeKernels, profilerInSight, requireTfjsNode, setAdamAsOneGroup } from "./native/index.js";
import { installConvKernels } from "./conv-kernels.js";
import { installWasmKernels } from "./wasm-kernels.js";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];
export const BACKEND_ENV_VAR = "CLASSIFIERS_BACKEND";

export interface BackendInfo {
  /** The active tfjs backend. */
  name: BackendName;
  /** Worker threads the backend computes with (1 unless wasm threads or native). */
  threads: number;
  /** True when chosen by CLASSIFIERS_BACKEND rather than by preference order. */
  forced: boolean;
  /** Why each preferred backend before the chosen one was skipped. */
  skipped: { name: BackendName; reason: string }[];
  /** One line for people: "backend: wasm (SIMD, 2 threads); skipped tensorflow: ...". */
  summary: string;
  /** The native backend only: TensorFlow's C library version and how it was installed. */
  native?: NativeInfo;
}

export interface NativeInfo {
  /** libtensorflow's own version (TF_Version()), e.g. "2.21.0". */
  tensorflowVersion: string;
  /** The @tensorflow/tfjs-node package version. */
  tfjsNodeVersion: string;
  /** "tfjs-node's own install", or "binding built against the tensorflow-cpu 2.21.0 wheel, shields products from signals, runs small ops on the calling thread (pooling on its threads), fuses bias and ReLU into products" (scripts/native-backend.sh). */
  route: string;
}

/** Loads and registers one backend; throws with a readable reason when it cannot. */
export type BackendLoader = () => Promise<{ threads: number; detail: string; native?: NativeInfo }>;

/** Read once by the binding scripts/native-backend.sh builds: "1" holds SIGPROF off during products. */
const HOLD_SIGNALS_ENV_VAR = "CLASSIFIERS_HOLD_SIGNALS";
/** In scripts/native-backend.sh's route note when its binding shields products from signals (scripts/patch-binding.py). */
export const SHIELDED_ROUTE = "shields products from signals";
/** In the route note when its binding runs small ops on the calling thread (CLASSIFIERS_SMALL_OP_ELEMENTS). */
export const SMALL_OPS_ROUTE = "runs small ops on the calling thread";
/** In the route note when its binding passes string-list attributes, which `_FusedMatMul` needs (runtime/native/fused-affine.ts). */
export const FUSED_ROUTE = "fuses bias and ReLU into products";

/** Where scripts/native-backend.sh notes its route, inside the tfjs-node package. */
const NATIVE_ROUTE_FILE = ".classifiers-native-route";

function nativeInfo(): NativeInfo {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve("@tensorflow/tfjs-node/package.json");
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version: string };
  let route = "tfjs-node's own install";
  try {
    route = readFileSync(path.join(path.dirname(packageJson), NATIVE_ROUTE_FILE), "utf8").trim();
  } catch {
    // no note: the package's install script provided libtensorflow
  }
  const backend = tf.findBackend("tensorflow") as { binding?: { TF_Version?: string } } | null;
  return { tensorflowVersion: backend?.binding?.TF_Version ?? "unknown", tfjsNodeVersion: version, route };
}

const defaultLoaders: Record<BackendName, BackendLoader> = {
  async tensorflow() {
    // The binding scripts/native-backend.sh builds holds a profiler's SIGPROF off during products
    // when asked before it loads (runtime/native/signals.ts says why); only worth its cost under a profiler.
    const profiler = profilerInSight();
    process.env[HOLD_SIGNALS_ENV_VAR] = profiler ? "1" : "0";
    // The binding scripts/native-backend.sh builds reads its small-op limit when it loads; the
    // default is defined once, in env.ts.
    const smallOps = requestedSmallOpElements();
    process.env[SMALL_OP_ELEMENTS_ENV_VAR] = String(smallOps);
    // Optional dependency: absent wherever neither its install script nor our build route worked.
    // Loaded without TensorFlow's two start-up lines unless TF_CPP_MIN_LOG_LEVEL is set.
    requireTfjsNode();
    const native = nativeInfo();
    const shielded = native.route.includes(SHIELDED_ROUTE);
    const notes = installNativeKernels(expectedSignals(), shielded);
    // Adam's per-parameter kernels only pay where small ops stay on the calling thread (fused-updates.ts).
    setAdamAsOneGroup(!(native.route.includes(SMALL_OPS_ROUTE) && smallOps > 0));
    if (shielded && profiler) notes.push(`SIGPROF held during products (${profiler})`);
    if (native.route.includes(SMALL_OPS_ROUTE) && smallOps !== DEFAULT_SMALL_OP_ELEMENTS) {
      notes.push(smallOps === 0 ? `every op split as TensorFlow decides (${SMALL_OP_ELEMENTS_ENV_VAR}=0)` : `small ops: under ${smallOps} input elements (${SMALL_OP_ELEMENTS_ENV_VAR})`);
    }
    // libtensorflow sizes its thread pools from TF_NUM_INTRAOP_THREADS when set (tune's workers set 1).
    const intraOp = Number(process.env.TF_NUM_INTRAOP_THREADS);
    return { threads: Number.isInteger(intraOp) && intraOp > 0 ? intraOp : 0, detail: [`TensorFlow ${native.tensorflowVersion}, tfjs-node ${native.tfjsNodeVersion}, ${native.route}`, ...notes].join(", "), native };
  },
  async wasm() {
    const { loadWasmBackend } = await import("./wasm.js");
    return keepProcessErrorHandling(loadWasmBackend);
  },
  async cpu() {
    await import("@tensorflow/tfjs-backend-cpu");
    return { threads: 1, detail: "plain JavaScript" };
  },
};

const PROCESS_ERROR_EVENTS = ["uncaughtException", "unhandledRejection"] as const;

/**
 * Runs `load` and then removes any process-wide error handlers it installed. The Emscripten
 * runtime inside tfjs-backend-wasm adds `uncaughtException` / `unhandledRejection` handlers that
 * rethrow, so a single forgotten `await` anywhere would end the process (in a notebook: kill the
 * kernel) and print the runtime's minified source. Without them, Node (or the kernel) reports the
 * error its usual way.
 */
export async function keepProcessErrorHandling<T>(load: () => Promise<T>): Promise<T> {
  const listeners = (event: string): Function[] => (process as unknown as NodeJS.EventEmitter).listeners(event);
  const before = new Map(PROCESS_ERROR_EVENTS.map((event) => [event, new Set(listeners(event))]));
  try {
    return await load();
  } finally {
    for (const event of PROCESS_ERROR_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) (process as unknown as NodeJS.EventEmitter).removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

let active: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

export interface InitBackendOptions {
  /** Force this backend (overrides the environment variable). */
  backend?: BackendName;
  /** Print the one-line summary (default true; printed when the backend changes). */
  log?: boolean;
}

function parseForced(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === "") return undefined;
  const name = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new InvalidInputError(BACKEND_ENV_VAR, `${BACKEND_ENV_VAR}=${value} is not a backend; use one of ${BACKEND_NAMES.join(", ")} or unset it.`);
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!.slice(0, 200);
}

/**
 * Tries backends in preference order (or only `forced`) and activates the first that loads.
 * Exposed with injectable loaders so the fallback itself can be tested.
 */
export async function chooseBackend(
  forced: BackendName | undefined,
  loaders: Record<BackendName, BackendLoader> = defaultLoaders,
): Promise<BackendInfo> {
  const order = forced ? [forced] : BACKEND_NAMES;
  const skipped: BackendInfo["skipped"] = [];
  for (const name of order) {
    try {
      const { threads, detail, native } = await loaders[name]();
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error(`tf.setBackend("${name}") returned false`);
      await tf.ready();
      installConvKernels(name); // convolution and pooling gradients every backend runs (runtime/conv-kernels.ts)
      if (name === "wasm") installWasmKernels(); // wasm kernels replaced: wrong values, slow paths
      const t = threads > 0 ? `${threads} thread${threads === 1 ? "" : "s"}` : "native threads";
      const why = skipped.map((s) => `; skipped ${s.name}: ${s.reason}`).join("");
      const summary = `backend: ${name} (${detail}, ${t})${forced ? ` forced by ${BACKEND_ENV_VAR}` : ""}${why}`;
      return { name, threads, forced: forced !== undefined, skipped, summary, ...(native ? { native } : {}) };
    } catch (err) {
      if (err instanceof InvalidInputError) throw err; // a setting to fix, not a backend to skip
      if (forced) {
        throw new Error(`${BACKEND_ENV_VAR}=${forced}, but that backend cannot load: ${reasonOf(err)}`);
      }
      skipped.push({ name, reason: reasonOf(err) });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could load: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`,
  );
}

/**
 * Chooses, registers and activates the backend, printing one line that says which.
 * Safe to call many times: the first call decides; later calls return the same info
 * unless they force a different backend.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const forced = options.backend ?? parseForced(process.env[BACKEND_ENV_VAR]);
  // a bad CLASSIFIERS_WASM_THREADS, CLASSIFIERS_NATIVE_MATMUL or CLASSIFIERS_SMALL_OP_ELEMENTS is an
  // error on every backend, not a silent fallback
  requestedWasmThreads();
  requestedNativeMatMul();
  requestedSmallOpElements();
  if (active && (!forced || forced === active.name)) return active;
  if (!pending) pending = chooseBackend(forced);
  try {
    const info = await pending;
    if ((options.log ?? true) && active?.name !== info.name) console.log(info.summary);
    active = info;
    return info;
  } finally {
    pending = undefined;
  }
}

/** The active backend, or throws if `initBackend()` has not run. */
/**
 * Whether the active backend's matrix products are fast enough (native TensorFlow: ~170 GFLOPS on
 * 2 cores, against ~34 for threaded wasm) that one dense product beats a search that skips most of
 * it (knn/strategy.ts measures both).
 */
export function fastMatrixProducts(): boolean {
  return tf.getBackend() === "tensorflow";
}

export function backendInfo(): BackendInfo {
  if (!active) throw new Error("No backend yet: call `await initBackend()` first.");
  return active;
}

export { tf };
