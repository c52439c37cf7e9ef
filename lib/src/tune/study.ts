/**
 * A hyperparameter study: run an objective (train one configuration, measure it on the
 * validation set) for each configuration, record every trial in a store as it finishes, skip
 * trials a store already holds (a killed study resumes), and pick the best trial by validation
 * accuracy. The test set never appears here: evaluate the best configuration on it once, after.
 */
import { InvalidInputError } from "../core/checks.js";
import type { Config } from "./space.js";
import { memoryStore, type TrialRecord, type TrialStore } from "./store.js";

/** What an objective reports for one configuration. */
export interface TrialOutcome {
  status: TrialRecord["status"];
  validationAccuracy: number | null;
  finalLoss: number | null;
  lossCurve: number[];
  error?: string;
}

export type Objective = (config: Config) => Promise<TrialOutcome>;

export interface StudyOptions {
  configs: Config[];
  objective: Objective;
  /** Where finished trials go (default: memory only). */
  store?: TrialStore;
  /** Called after each trial (including ones found in the store), e.g. to update a live figure. */
  onTrial?: (record: TrialRecord, done: number, total: number) => void;
  /** Progress lines (default console.log; `() => {}` for none). */
  log?: (line: string) => void;
}

export interface StudyResult {
  /** Every trial, in configuration order. */
  trials: TrialRecord[];
  /** The trial with the highest validation accuracy (ties: the earlier one). */
  best: TrialRecord | undefined;
  /** Trials taken from the store instead of being run again. */
  resumed: number;
}

/** "learningRate=0.0316, reg=1e-05, loss=svm": numbers to 3 significant digits. */
export function describeConfig(config: Config): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(3)) : v}`)
    .join(", ");
}

const sameConfig = (a: Config, b: Config): boolean => JSON.stringify(a) === JSON.stringify(b);

/** At most `points` evenly spaced values of a curve, ends included (keeps stored curves small). */
export function thinCurve(values: readonly number[], points = 200): number[] {
  if (values.length <= points) return [...values];
  return Array.from({ length: points }, (_, i) => values[Math.round((i * (values.length - 1)) / (points - 1))]!);
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const { configs, objective } = options;
  if (!Array.isArray(configs) || configs.length === 0) throw new InvalidInputError("configs", "a study needs at least one configuration");
  const store = options.store ?? memoryStore();
  const log = options.log ?? ((line: string) => console.log(line));
  const previous = new Map(store.finished().map((r) => [r.id, r]));
  for (const [id, record] of previous) {
    if (id < configs.length && !sameConfig(record.config, configs[id]!)) {
      throw new InvalidInputError(
        "store",
        `${store.location} holds trial ${id} with another configuration (${JSON.stringify(record.config)} vs ${JSON.stringify(configs[id])}): a different study; use a new folder`,
      );
    }
  }
  const trials: TrialRecord[] = [];
  let resumed = 0;
  for (let id = 0; id < configs.length; id++) {
    let record = previous.get(id);
    if (record) {
      resumed++;
    } else {
      const config = configs[id]!;
      const start = performance.now();
      let outcome: TrialOutcome;
      try {
        outcome = await objective(config);
      } catch (err) {
        outcome = { status: "failed", validationAccuracy: null, finalLoss: null, lossCurve: [], error: err instanceof Error ? err.message : String(err) };
      }
      record = { id, config, ...outcome, lossCurve: thinCurve(outcome.lossCurve), seconds: (performance.now() - start) / 1000 };
      store.append(record);
      const accuracy = record.validationAccuracy === null ? record.status : `validation ${record.validationAccuracy.toFixed(4)}`;
      log(`trial ${id + 1}/${configs.length} ${describeConfig(config)}: ${accuracy} (${record.seconds.toFixed(1)} s)`);
    }
    trials.push(record);
    options.onTrial?.(record, id + 1, configs.length);
  }
  if (resumed > 0) log(`${resumed} of ${configs.length} trials were already finished in ${store.location}; not run again`);
  return { trials, best: bestTrial(trials), resumed };
}

/** The trial with the highest validation accuracy; failed and diverged trials never win. */
export function bestTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.status === "ok" && t.validationAccuracy !== null && (!best || t.validationAccuracy > best.validationAccuracy!)) best = t;
  }
  return best;
}
