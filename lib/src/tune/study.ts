/**
 * A hyperparameter study: run an objective (train one configuration, measure it on the
 * validation set) for each configuration, record every trial in a store as it finishes, skip
 * trials a store already holds (a killed study resumes), and pick the best trial by validation
 * accuracy. The test set never appears here: evaluate the best configuration on it once, after.
 */
import { checkKnownOptions, InvalidInputError } from "../core/checks.js";
import type { Config } from "./space.js";
import { isFinished, isStudyStore, localStudyStore, memoryStore, type StudyStore, type TrialRecord, type TrialStore } from "./store.js";

/** What an objective reports for one configuration. */
export interface TrialOutcome {
  status: TrialRecord["status"];
  validationAccuracy: number | null;
  finalLoss: number | null;
  lossCurve: number[];
  error?: string;
}

export type Objective = (config: Config) => Promise<TrialOutcome>;

/**
 * Runs trials somewhere else than in this process's own objective: `size` trials at a time,
 * e.g. in worker processes (see pool.ts). `run` rejects only when the worker itself failed.
 */
export interface TrialExecutor {
  readonly size: number;
  run(config: Config): Promise<TrialOutcome>;
}

export interface StudyOptions {
  /** The trials, in order. May be omitted when `store` is a StudyStore that already holds them (joining a study). */
  configs?: Config[];
  /** Runs one trial in this process (one at a time). Give this or `executor`. */
  objective?: Objective;
  /** Runs trials elsewhere, `executor.size` at a time (worker processes). */
  executor?: TrialExecutor;
  /** Where trials come from and go (default: memory only). A StudyStore may be shared with other processes. */
  store?: TrialStore | StudyStore;
  /** Called after each trial (including ones found in the store), e.g. to update a live figure. */
  onTrial?: (record: TrialRecord, done: number, total: number) => void;
  /** Progress lines (default console.log; `() => {}` for none). */
  log?: (line: string) => void;
}

export interface StudyResult {
  /** The latest outcome of every trial run so far, in configuration order (failed ones too). */
  trials: TrialRecord[];
  /** The trials whose last run failed (an error, not a divergence), in order; they run again the next time the study runs. */
  failed: TrialRecord[];
  /** The trial with the highest validation accuracy (ties: the earlier one). */
  best: TrialRecord | undefined;
  /** Finished trials (ok or diverged) taken from the store instead of being run again. */
  resumed: number;
  /** Trials this call ran. */
  ran: number;
}

/** "learningRate=0.0316, reg=1e-05, loss=svm": numbers to 3 significant digits. */
export function describeConfig(config: Config): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(3)) : v}`)
    .join(", ");
}

/** At most `points` evenly spaced values of a curve, ends included (keeps stored curves small). */
export function thinCurve(values: readonly number[], points = 200): number[] {
  if (values.length <= points) return [...values];
  return Array.from({ length: points }, (_, i) => values[Math.round((i * (values.length - 1)) / (points - 1))]!);
}

/** A trial's outcome for its progress line: "validation 0.8412", "diverged: the loss became NaN …", "failed: …". */
export function describeOutcome(record: TrialRecord): string {
  if (record.status === "ok") return record.validationAccuracy === null ? "ok" : `validation ${record.validationAccuracy.toFixed(4)}`;
  const reason = (record.error ?? "").split("\n")[0]!.trim();
  return reason ? `${record.status}: ${reason.length > 300 ? `${reason.slice(0, 300)}…` : reason}` : record.status;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs every unfinished trial of a study and returns the outcome of every trial with the best.
 * Trials are claimed from the store one at a time per runner (one runner, or `executor.size`), so
 * a store shared with other processes hands each trial to one of them; leases are renewed while a
 * trial runs. A runner with nothing to claim waits while other workers hold trials, because a
 * holder that dies gives its trial back when its lease runs out. A trial whose objective throws
 * is recorded as "failed" with the error's message, and is not run again in this call; a store
 * that keeps it runs it again the next time the study runs.
 */
export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  checkKnownOptions(options, ["configs", "objective", "executor", "store", "onTrial", "log"], "runStudy");
  const { objective, executor } = options;
  if (options.configs !== undefined && (!Array.isArray(options.configs) || options.configs.length === 0)) {
    throw new InvalidInputError("configs", "a study needs at least one configuration");
  }
  if (!objective && !executor) throw new InvalidInputError("objective", "give an objective (runs trials here) or an executor (runs them in workers)");
  const given = options.store ?? memoryStore();
  if (!options.configs && !isStudyStore(given)) throw new InvalidInputError("configs", "a study needs at least one configuration");
  // A TrialStore is wrapped here, so it is released (its lock) here.
  const store = isStudyStore(given) ? given : localStudyStore(given);
  try {
    return await runClaims(options, store);
  } finally {
    if (store !== given) await store.close();
  }
}

async function runClaims(options: StudyOptions, store: StudyStore): Promise<StudyResult> {
  const { objective, executor } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  if (options.configs) await store.prepare(options.configs);
  const configs = options.configs ?? (await store.configs());
  if (configs.length === 0) throw new InvalidInputError("configs", `${store.location} holds no study configurations`);
  const total = configs.length;
  const previous = (await store.finished()).filter(isFinished);
  let done = 0;
  for (const record of previous) options.onTrial?.(record, ++done, total);
  const run = executor ? (config: Config) => executor.run(config) : objective!;
  const leaseMs = store.leaseSeconds === undefined ? undefined : store.leaseSeconds * 1000;
  const pollMs = leaseMs === undefined ? 0 : Math.min(5000, Math.max(100, leaseMs / 4));
  let ran = 0;

  const runner = async (): Promise<void> => {
    for (;;) {
      const claim = await store.claim();
      if (!claim) {
        if (pollMs > 0 && (await store.heldElsewhere()) > 0) {
          await sleep(pollMs);
          continue;
        }
        return;
      }
      let renewing: ReturnType<typeof setInterval> | undefined;
      if (leaseMs !== undefined) {
        renewing = setInterval(() => {
          store.renew(claim).then(
            (kept) => kept || log(`trial ${claim.id + 1}: its lease ran out and another worker took it; this run's result will be dropped`),
            (err: unknown) => log(`trial ${claim.id + 1}: could not renew its lease: ${err instanceof Error ? err.message : String(err)}`),
          );
        }, leaseMs / 3);
      }
      const start = performance.now();
      let outcome: TrialOutcome;
      try {
        outcome = await run(claim.config);
      } catch (err) {
        outcome = { status: "failed", validationAccuracy: null, finalLoss: null, lossCurve: [], error: err instanceof Error ? err.message : String(err) };
      } finally {
        clearInterval(renewing);
      }
      const record: TrialRecord = { id: claim.id, config: claim.config, ...outcome, lossCurve: thinCurve(outcome.lossCurve), seconds: (performance.now() - start) / 1000 };
      if (!(await store.finish(record))) {
        log(`trial ${claim.id + 1}/${total}: finished after its lease was lost; another worker's result counts`);
        continue;
      }
      ran++;
      log(`trial ${claim.id + 1}/${total} ${describeConfig(claim.config)}: ${describeOutcome(record)} (${record.seconds.toFixed(1)} s)`);
      options.onTrial?.(record, isFinished(record) ? ++done : done, total);
    }
  };
  await Promise.all(Array.from({ length: executor?.size ?? 1 }, runner));
  const trials = await store.finished();
  if (previous.length > 0) log(`${previous.length} of ${total} trials were already finished in ${store.location}; not run again`);
  return { trials, failed: trials.filter((t) => !isFinished(t)), best: bestTrial(trials), resumed: previous.length, ran };
}

/** The trial with the highest validation accuracy; failed and diverged trials never win. */
export function bestTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.status === "ok" && t.validationAccuracy !== null && (!best || t.validationAccuracy > best.validationAccuracy!)) best = t;
  }
  return best;
}
