/**
 * WebAssembly backend loader: registers tfjs-backend-wasm and, in Node, makes its threaded
 * SIMD build work (about twice the matrix-product speed on 2 cores), falling back to the
 * single-threaded SIMD build with the reason reported.
 *
 * tfjs-backend-wasm 4.x ships a threaded build but never uses it in Node. Five things stand in
 * the way, each worked around here at run time without touching the package's files:
 *  1. The flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false in Node → set it to true.
 *  2. Emscripten starts each pthread with `new Worker(<blob: URL of the worker script>)`, which
 *     Node's worker_threads rejects (ERR_WORKER_PATH) → while the backend starts, the global
 *     `Worker` Emscripten uses is PthreadWorker, which starts a small bootstrap script instead
 *     and sends it the worker script's text, read from the blob.
 *  3. The worker script then loads the main script from another blob with importScripts (a file
 *     read) → the "load" message's blob is replaced by its text, and the bootstrap evaluates it
 *     after defining the few bundle-level names the factory's source refers to.
 *  4. The thread pool gets clamp(os.cpus().length / 2, 1, 4) threads (1 on a 2-core machine),
 *     whatever `setThreadsCount` says → while the backend starts, os.cpus() reports twice the
 *     requested count, and `setThreadsCount` asks for it.
 *  5. Pthread workers are ref'd while they run, so the process would never exit → workers are
 *     kept unref'd once loaded (the main thread never waits on a worker's message after init).
 *
 * CLASSIFIERS_WASM_THREADS=1 forces the single-threaded build; another number asks for that
 * many threads (default: one per core, at most {@link MAX_WASM_THREADS}). If the threaded build
 * fails to start, stalls for {@link THREADED_INIT_TIMEOUT_MS} waiting on its workers, or
 * computes a wrong product, the loader falls back to one thread and says why. (A start that
 * blocked the main thread itself could not be interrupted; messages to workers are therefore
 * posted synchronously whenever possible, see PthreadWorker.)
 */
import { Blob as NodeBlob, resolveObjectURL } from "node:buffer";
import { readFileSync } from "node:fs";
import os from "node:os";
import { Worker as NodeWorker, type TransferListItem, type WorkerOptions } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { requestedWasmThreads, WASM_THREADS_ENV_VAR } from "./env.js";

export { WASM_THREADS_ENV_VAR, requestedWasmThreads } from "./env.js";

/** How long the threaded build may take to start before we give up on it. */
export const THREADED_INIT_TIMEOUT_MS = 20_000;

/** Threads used at most (the size of Emscripten's pre-started worker pool in this build). */
export const MAX_WASM_THREADS = 8;

/** Marks a "load" message whose main script is passed inline (see obstacle 3 above). */
const INLINE_SCRIPT_MARK = "inline-script:";

/**
 * Runs in each pthread worker. Waits for the worker script's text, evaluates it, and teaches its
 * importScripts to evaluate an inline main script. The main script is `factory.toString()` cut out
 * of the CommonJS bundle, so the bundle-level names it uses are defined here first.
 */
const WORKER_BOOTSTRAP = `
"use strict";
const { parentPort } = require("node:worker_threads");
let booted = false;
parentPort.on("message", (message) => {
  if (booted || !message || typeof message.workerScript !== "string") return;
  booted = true;
  Object.assign(globalThis, {
    require,
    __filename: message.filename,
    __dirname: message.dirname,
    require$$0: require("fs"),
    require$$1: require("path"),
    require$$3: require("perf_hooks"),
    require$$4: require("os"),
    commonjsGlobal: globalThis,
    __values(o) {
      const it = typeof Symbol === "function" && o[Symbol.iterator];
      if (it) return it.call(o);
      let i = 0;
      return { next: () => ({ value: o && o[i++], done: !o || i > o.length }) };
    },
    __read(o, n) {
      const it = typeof Symbol === "function" && o[Symbol.iterator];
      if (!it) return o;
      const out = [];
      const iter = it.call(o);
      for (let r; (n === undefined || n-- > 0) && !(r = iter.next()).done; ) out.push(r.value);
      return out;
    },
    __spreadArray(to, from) {
      return to.concat(Array.prototype.slice.call(from));
    },
  });
  (0, eval)(message.workerScript);
  const importFile = globalThis.importScripts;
  globalThis.importScripts = (source) => {
    if (typeof source === "string" && source.startsWith(${JSON.stringify(INLINE_SCRIPT_MARK)})) {
      (0, eval)(source.slice(${INLINE_SCRIPT_MARK.length}));
    } else {
      importFile(source);
    }
  };
});
`;

/** Texts of blobs, read once: every worker gets the same worker script and main script. */
const blobTexts = new WeakMap<NodeBlob, Promise<string>>();
function blobText(blob: NodeBlob): Promise<string> {
  let text = blobTexts.get(blob);
  if (!text) {
    text = blob.text();
    blobTexts.set(blob, text);
  }
  return text;
}

/** Every pthread worker started, so a failed threaded start can stop them all. */
const startedWorkers = new Set<PthreadWorker>();
/** First error seen while starting or feeding a worker (reported as the fallback reason). */
let workerFailure: string | undefined;

/**
 * A worker_threads.Worker that accepts Emscripten's blob: URLs (see the header). Until the
 * bootstrap has its scripts, messages wait in order; after that they go out synchronously,
 * which matters: the main thread blocks in pthread_create until the worker runs its "run".
 */
class PthreadWorker extends NodeWorker {
  private pending = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(url: string | URL, options?: WorkerOptions) {
    const href = String(url);
    super(WORKER_BOOTSTRAP, { ...options, eval: true, execArgv: [] });
    startedWorkers.add(this);
    this.on("exit", () => startedWorkers.delete(this));
    const scriptBlob = href.startsWith("blob:") ? resolveObjectURL(href) : undefined;
    this.enqueue(async () => {
      const workerScript = scriptBlob
        ? await blobText(scriptBlob)
        : readFileSync(href.startsWith("file:") ? new URL(href) : href, "utf8");
      return { workerScript, filename: href, dirname: process.cwd() };
    });
  }

  override postMessage(message: unknown, transferList?: readonly TransferListItem[]): void {
    const load = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
    if (load && load.cmd === "load" && load.urlOrBlob instanceof NodeBlob) {
      const blob = load.urlOrBlob;
      this.enqueue(async () => ({ ...load, urlOrBlob: INLINE_SCRIPT_MARK + (await blobText(blob)) }), transferList);
    } else if (this.pending > 0) {
      this.enqueue(async () => message, transferList);
    } else {
      NodeWorker.prototype.postMessage.call(this, message, transferList);
    }
  }

  /** Posts `make()`'s message after everything queued before it. */
  private enqueue(make: () => Promise<unknown>, transferList?: readonly TransferListItem[]): void {
    this.pending++;
    const ready = make();
    this.queue = this.queue
      .then(() => ready)
      .then((message) => NodeWorker.prototype.postMessage.call(this, message, transferList))
      .catch((err: unknown) => {
        workerFailure ??= `could not feed a pthread worker: ${err instanceof Error ? err.message : String(err)}`;
      })
      .finally(() => {
        this.pending--;
      });
  }

  /** Emscripten refs a worker while its pthread runs; a pool thread runs forever (obstacle 5). */
  override ref(): void {}
}

/**
 * Runs `work` while the global `Worker` (which Emscripten assigns, then uses to start pthreads)
 * resolves to PthreadWorker; the previous global is restored afterwards. The pool of pthread
 * workers is created during initialisation, so nothing starts workers later.
 */
async function withPthreadWorkers<T>(work: () => Promise<T>): Promise<T> {
  const previous = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => PthreadWorker,
    // Emscripten's Node glue assigns worker_threads.Worker here; keep ours.
    set: () => {},
  });
  try {
    return await work();
  } finally {
    if (previous) Object.defineProperty(globalThis, "Worker", previous);
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `work` while os.cpus() reports `count` entries. The wasm build sizes its thread pool as
 * clamp(cores / 2, 1, 4) when it starts (obstacle 4), reading os.cpus().length; restored after.
 */
async function withCoreCount<T>(count: number, work: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  const real = realCpus();
  os.cpus = () => Array.from({ length: Math.max(count, real.length) }, (_, i) => real[i % real.length]!);
  try {
    return await work();
  } finally {
    os.cpus = realCpus;
  }
}

/** A small product whose exact answer is known, to check the threaded build before trusting it. */
function productIsRight(): boolean {
  return tf.tidy(() => {
    const a = tf.mod(tf.reshape(tf.range(0, 64 * 96), [64, 96]), 7) as tf.Tensor2D;
    const b = tf.mod(tf.reshape(tf.range(0, 96 * 80), [96, 80]), 5) as tf.Tensor2D;
    const got = tf.matMul(a, b).dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 80; j++) {
        let s = 0;
        for (let t = 0; t < 96; t++) s += av[i * 96 + t]! * bv[t * 80 + j]!;
        if (got[i * 80 + j] !== s) return false;
      }
    }
    return true;
  });
}

let loaded: { threads: number; detail: string } | undefined;

/**
 * Registers and initialises the wasm backend (threaded when possible) and makes it active.
 * @returns threads computing and a one-line description, e.g. "WebAssembly SIMD, threaded".
 */
export async function loadWasmBackend(): Promise<{ threads: number; detail: string }> {
  if (loaded) return loaded;
  const requested = requestedWasmThreads();
  // Emscripten pre-starts PTHREAD_POOL_SIZE = 8 workers; more threads would need workers later.
  const threads = Math.min(requested, MAX_WASM_THREADS);
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const factory = tf.findBackendFactory("wasm");
  if (!factory) throw new Error("tfjs-backend-wasm did not register a backend");
  let fallbackReason = requested === 1 ? `${WASM_THREADS_ENV_VAR}=1` : "";
  if (requested > 1 && !simd) fallbackReason = "no WebAssembly SIMD, so no threaded build";
  if (requested > 1 && simd) {
    try {
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
      wasm.setThreadsCount(threads);
      const ok = await withPthreadWorkers(() =>
        withCoreCount(2 * threads, () =>
          withTimeout(tf.setBackend("wasm"), THREADED_INIT_TIMEOUT_MS, "starting the threaded wasm build"),
        ),
      );
      if (!ok) throw new Error(workerFailure ?? "tf.setBackend('wasm') returned false");
      if (!productIsRight()) throw new Error("the threaded build computed a wrong matrix product");
      loaded = { threads: wasm.getThreadsCount(), detail: "WebAssembly SIMD, threaded" };
      return loaded;
    } catch (err) {
      fallbackReason = `threads unavailable: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`;
      for (const worker of startedWorkers) void worker.terminate();
      // Forget the half-started threaded backend and register the same factory afresh.
      if (tf.findBackendFactory("wasm")) tf.removeBackend("wasm");
      tf.registerBackend("wasm", factory.bind(null), 2);
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    }
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  wasm.setThreadsCount(1);
  const ok = await tf.setBackend("wasm");
  if (!ok) throw new Error("tf.setBackend('wasm') returned false");
  loaded = {
    threads: 1,
    detail: `WebAssembly ${simd ? "SIMD" : "without SIMD"}${fallbackReason ? `; ${fallbackReason}` : ""}`,
  };
  return loaded;
}
