/**
 * Trials in parallel: worker processes that each rebuild the study's objective from its spec
 * (data loaded once per worker) and run one trial at a time. Each worker's backend is held to
 * one thread (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS for the native backend, which
 * libtensorflow reads when it starts; CLASSIFIERS_WASM_THREADS for WebAssembly), so N workers on
 * N cores do not fight over them. Processes rather than threads: each has its own TensorFlow.js
 * engine and memory, and a crash takes one trial with it, not the study.
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { checkKnownOptions, describeValue, InvalidInputError } from "../core/checks.js";
import type { Config } from "./space.js";
import type { StudySpec } from "./spec.js";
import type { TrialExecutor, TrialOutcome } from "./study.js";

/** Parent → worker. */
export type WorkerRequest = { type: "init"; spec: StudySpec; modules: string[] } | { type: "run"; config: Config };
/** Worker → parent. */
export type WorkerReply = { type: "ready"; backend: string } | { type: "outcome"; outcome: TrialOutcome } | { type: "error"; message: string };

/** Environment that holds every backend to one thread. */
export const ONE_THREAD_ENV: Readonly<Record<string, string>> = {
  CLASSIFIERS_WASM_THREADS: "1",
  TF_NUM_INTRAOP_THREADS: "1",
  TF_NUM_INTEROP_THREADS: "1",
  OMP_NUM_THREADS: "1",
};

export interface TrialWorkersOptions {
  /** Worker processes (default: the number of cores). */
  workers?: number;
  /** Modules each worker imports before building the objective (ones that call `registerObjective`). */
  modules?: string[];
  /** Extra environment for the workers. */
  env?: Record<string, string>;
}

/** A running set of trial workers; `close` ends them. */
export interface TrialWorkers extends TrialExecutor {
  /** The backend line each worker reported. */
  readonly backends: string[];
  /** The workers' process ids (for measuring them, e.g. CPU time in /proc). */
  readonly pids: number[];
  close(): Promise<void>;
}

/** The default number of workers: one per core. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/**
 * How many worker processes to start for a study of `trials` trials when `requested` are asked
 * for: at most one per core (each runs one backend thread and holds its own copy of the data, so
 * more only compete for the cores and memory) and one per trial. `note` says why fewer start.
 */
export function planWorkers(requested: number, trials: number, cores = defaultWorkerCount()): { workers: number; note?: string } {
  if (!Number.isInteger(requested) || requested < 0) throw new InvalidInputError("workers", `workers must be a whole number of processes (0 = in this process), got ${describeValue(requested)}`);
  if (requested <= Math.min(cores, trials) || requested === 0) return { workers: requested };
  const workers = Math.max(1, Math.min(cores, trials));
  const why = cores <= trials ? `this machine has ${cores} core${cores === 1 ? "" : "s"}, and each worker runs one backend thread` : `the study has only ${trials} trial${trials === 1 ? "" : "s"}`;
  return { workers, note: `${requested} workers asked for, but ${why}: starting ${workers}` };
}

interface Slot {
  child: ChildProcess;
  busy: boolean;
  alive: boolean;
  /** Settles the message being waited for (ready or outcome). */
  waiting?: { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void };
}

/** The worker script next to this module (TypeScript under tsx, JavaScript once built). */
function workerScript(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".ts")) return { path: self.replace(/pool\.ts$/, "worker.ts"), execArgv: ["--import", "tsx"] };
  return { path: self.replace(/pool\.js$/, "worker.js"), execArgv: [] };
}

/**
 * Starts `workers` processes for the study and waits until each has loaded its data and
 * backend. A worker that cannot build the objective fails this call with its message.
 */
export async function startTrialWorkers(spec: StudySpec, options: TrialWorkersOptions = {}): Promise<TrialWorkers> {
  checkKnownOptions(options, ["workers", "modules", "env"], "startTrialWorkers");
  const count = options.workers ?? defaultWorkerCount();
  if (!Number.isInteger(count) || count < 1) throw new InvalidInputError("workers", `workers must be a positive integer, got ${describeValue(count)}`);
  const script = workerScript();
  const slots: Slot[] = [];
  const queue: { config: Config; resolve: (o: TrialOutcome) => void; reject: (e: Error) => void }[] = [];

  const request = (slot: Slot, message: WorkerRequest): Promise<WorkerReply> =>
    new Promise((resolve, reject) => {
      if (!slot.alive) return reject(new Error(`worker ${slot.child.pid} is not running`));
      slot.waiting = { resolve, reject };
      slot.child.send(message);
    });

  const pump = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.alive || slot.busy) continue;
      const job = queue.shift()!;
      slot.busy = true;
      request(slot, { type: "run", config: job.config }).then(
        (reply) => {
          slot.busy = false;
          if (reply.type === "outcome") job.resolve(reply.outcome);
          else job.reject(new Error(reply.type === "error" ? reply.message : `unexpected reply ${reply.type}`));
          pump();
        },
        (err: Error) => {
          slot.busy = false;
          job.reject(err);
          pump();
        },
      );
    }
    if (queue.length > 0 && slots.every((s) => !s.alive)) {
      for (const job of queue.splice(0)) job.reject(new Error("every trial worker has exited"));
    }
  };

  for (let i = 0; i < count; i++) {
    const child = fork(script.path, [], {
      execArgv: script.execArgv,
      env: { ...process.env, ...ONE_THREAD_ENV, ...options.env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const slot: Slot = { child, busy: false, alive: true };
    child.on("message", (reply: WorkerReply) => {
      const waiting = slot.waiting;
      slot.waiting = undefined;
      waiting?.resolve(reply);
    });
    child.on("exit", (code, signal) => {
      slot.alive = false;
      const waiting = slot.waiting;
      slot.waiting = undefined;
      waiting?.reject(new Error(`trial worker ${child.pid} exited (${signal ?? `code ${code}`}) during a trial`));
      pump();
    });
    slots.push(slot);
  }
  const close = async (): Promise<void> => {
    await Promise.all(
      slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (!slot.alive) return resolve();
            const timer = setTimeout(() => slot.child.kill("SIGKILL"), 5000);
            slot.child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            slot.child.disconnect();
          }),
      ),
    );
  };
  const modules = options.modules ?? [];
  const replies = await Promise.allSettled(slots.map((slot) => request(slot, { type: "init", spec, modules })));
  const problem = replies.find((r) => r.status === "rejected" || r.value.type !== "ready");
  if (problem) {
    await close();
    const why = problem.status === "rejected" ? (problem.reason as Error).message : problem.value.type === "error" ? problem.value.message : problem.value.type;
    throw new Error(`a trial worker could not start: ${why}`);
  }
  const backends = replies.map((r) => ((r as PromiseFulfilledResult<WorkerReply>).value as { backend: string }).backend);
  return {
    size: count,
    backends,
    pids: slots.map((slot) => slot.child.pid!),
    run: (config) =>
      new Promise<TrialOutcome>((resolve, reject) => {
        queue.push({ config, resolve, reject });
        pump();
      }),
    close,
  };
}
