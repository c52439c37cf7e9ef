/**
 * A study from its spec, run here or in worker processes: what `npm run tune` and notebooks
 * share. `workers: 0` runs trials in this process (the backend keeps all its threads); N ≥ 1
 * starts N worker processes with one backend thread each (default: one per core; never more than
 * the cores or the trials, see `planWorkers`).
 */
import { checkKnownOptions } from "../core/checks.js";
import { initBackend } from "../runtime/backend.js";
import { defaultWorkerCount, planWorkers, startTrialWorkers } from "./pool.js";
import { objectiveFromSpec, studyConfigs, type StudySpec } from "./spec.js";
import type { StudyStore, TrialRecord, TrialStore } from "./store.js";
import { runStudy, type StudyResult } from "./study.js";

export interface SpecStudyOptions {
  /** Worker processes (default: the number of cores); 0 runs trials in this process. */
  workers?: number;
  /** Where trials live (default: memory). */
  store?: TrialStore | StudyStore;
  /** Join the study already in `store` instead of registering the spec's configurations. */
  join?: boolean;
  /** Modules the workers import first (ones that register objectives). */
  modules?: string[];
  onTrial?: (record: TrialRecord, done: number, total: number) => void;
  log?: (line: string) => void;
}

/** Runs (or resumes, or joins) the study the spec describes. */
export async function runSpecStudy(spec: StudySpec, options: SpecStudyOptions = {}): Promise<StudyResult> {
  checkKnownOptions(options, ["workers", "store", "join", "modules", "onTrial", "log"], "runSpecStudy");
  const configs = options.join ? undefined : studyConfigs(spec);
  const plan = planWorkers(options.workers ?? defaultWorkerCount(), configs?.length ?? Infinity);
  const workers = plan.workers;
  if (plan.note) (options.log ?? console.log)(plan.note);
  const common = {
    ...(configs ? { configs } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.onTrial ? { onTrial: options.onTrial } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  if (workers === 0) {
    await initBackend({ log: false });
    return runStudy({ ...common, objective: await objectiveFromSpec(spec) });
  }
  const executor = await startTrialWorkers(spec, { workers, ...(options.modules ? { modules: options.modules } : {}) });
  try {
    return await runStudy({ ...common, executor });
  } finally {
    await executor.close();
  }
}
