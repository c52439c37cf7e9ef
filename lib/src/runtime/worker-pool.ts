/**
 * A small pool of worker threads running self-contained functions sent as source text:
 * used by the exact neighbour scans. Workers are unref'd while idle, so they never keep a process alive.
 */
import { availableParallelism } from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
/**
 * Starts worker threads that define `functions` from their source and call `entry(job)` for each
 * message, answering "done". The functions must be self-contained (no closures, no imports).
 * Workers start unref'd, so idle ones never keep the process alive.
 */
export function startWorkers(functions: Record<string, (...args: never[]) => unknown>, entry: string): NodeWorker[] {
  const count = Math.min(4, availableParallelism());
  const definitions = Object.entries(functions)
    .map(([name, f]) => `const ${name} = ${f.toString()};`)
    .join("\n");
  // esbuild (tsx) may wrap named functions in __name(); define it so the source runs anywhere.
  const source = `const { parentPort } = require("node:worker_threads");
var __name = (f) => f;
${definitions}
parentPort.on("message", (job) => { ${entry}(job); parentPort.postMessage("done"); });`;
  return Array.from({ length: count }, () => {
    const worker = new NodeWorker(source, { eval: true, execArgv: [] });
    worker.unref();
    return worker;
  });
}

/** Sends one job to a worker and waits for its "done"; the worker is ref'd only while it works. */
export function runOnWorker(worker: NodeWorker, job: unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    worker.ref();
    const done = (): void => {
      worker.off("error", failed);
      worker.unref();
      resolve();
    };
    const failed = (err: Error): void => {
      worker.off("message", done);
      worker.unref();
      reject(err);
    };
    worker.once("message", done);
    worker.once("error", failed);
    worker.postMessage(job);
  });
}

