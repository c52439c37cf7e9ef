/**
 * The trial worker process started by pool.ts: builds the study's objective from its spec once,
 * then runs one configuration per request. It leaves when its parent disconnects or dies.
 */
import { pathToFileURL } from "node:url";
import { initBackend } from "../runtime/backend.js";
import { objectiveFromSpec } from "./spec.js";
import type { Objective } from "./study.js";
import type { WorkerReply, WorkerRequest } from "./pool.js";

let objective: Objective | undefined;
const reply = (message: WorkerReply): void => void process.send!(message);
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

process.on("disconnect", () => process.exit(0));
process.on("message", (request: WorkerRequest) => {
  void (async () => {
    if (request.type === "init") {
      try {
        for (const module of request.modules) await import(module.startsWith("file:") ? module : pathToFileURL(module).href);
        const backend = await initBackend({ log: false });
        objective = await objectiveFromSpec(request.spec);
        reply({ type: "ready", backend: backend.summary });
      } catch (err) {
        reply({ type: "error", message: messageOf(err) });
      }
      return;
    }
    if (!objective) return reply({ type: "error", message: "the worker has no study yet" });
    try {
      reply({ type: "outcome", outcome: await objective(request.config) });
    } catch (err) {
      reply({ type: "error", message: messageOf(err) });
    }
  })();
});
