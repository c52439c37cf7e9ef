/**
 * Where a study keeps its trials. Two interfaces: `TrialStore`, a log of trial outcomes (the
 * JSON Lines folder and memory), and `StudyStore`, which also hands out trials to run (claims),
 * so that many processes can share a study; `localStudyStore` turns a TrialStore into one for a
 * single process, and postgres.ts implements it on a database for many machines.
 *
 * The embedded default is a folder holding `trials.jsonl`, one JSON line per
 * trial outcome, appended and flushed to disk as each trial ends. A study that is killed keeps
 * every finished trial and, run again, skips them; a failed trial (an error, not a divergence)
 * is kept with its reason and runs again the next time. Every line is checked when the folder is
 * opened, before any trial runs: a partial last line (the process died while writing it) is
 * reported and ignored; any other line that is not a valid trial record is an error naming the
 * file and line, because silently dropping or trusting it would be worse.
 *
 * One process at a time runs a study in a folder: while a study runs, the folder holds a `lock`
 * file with the runner's process id. A second process stops with a message naming the holder; a
 * lock left by a process that no longer runs (killed) is taken over. Studies that several
 * processes share belong in PostgreSQL (postgres.ts), which hands each trial to one of them.
 */
import { appendFileSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { closestName, describeValue, InvalidInputError } from "../core/checks.js";
import type { Config } from "./space.js";

/** One trial's outcome. */
export interface TrialRecord {
  /** Position of the configuration in the study (0-based). */
  id: number;
  config: Config;
  /** "ok", or "diverged" (the loss became NaN or exploded), or "failed" (an error, in `error`). */
  status: "ok" | "diverged" | "failed";
  /** Accuracy on the validation set (null unless ok). */
  validationAccuracy: number | null;
  /** Mean loss of the last epoch (null when there was none). */
  finalLoss: number | null;
  seconds: number;
  /** The batch losses, thinned to at most 200 points (for loss-curve plots). */
  lossCurve: number[];
  error?: string;
  /** Which worker ran it (stores shared by several workers record it). */
  worker?: string;
}

/** The small interface every study store offers. */
export interface TrialStore {
  /**
   * The latest outcome of every trial recorded so far (in any earlier run too), in id order:
   * a finished one (ok or diverged) if there is one, else the last failure.
   */
  finished(): TrialRecord[];
  /** Records one more trial outcome, durably. */
  append(record: TrialRecord): void;
  /** Where it lives, for messages. */
  readonly location: string;
  /**
   * Takes the store for this store object while a study runs (again from the same object: a
   * no-op), reloading what other runs recorded meanwhile; returns the release. Throws when
   * another process or store object holds it. Stores only one process can see have none.
   */
  lock?(): () => void;
}

/** A trial handed to one worker to run. */
export interface TrialClaim {
  id: number;
  config: Config;
}

/**
 * A study's trials shared by whoever runs them. `claim` hands out each unfinished trial to one
 * worker at a time; a store with leases (`leaseSeconds`) takes a trial back from a worker that
 * stopped renewing it, so another one can run it.
 */
export interface StudyStore {
  /** Where it lives, for messages (never with a password). */
  readonly location: string;
  /** Seconds a claim lasts unless renewed; undefined: claims never expire (one process). */
  readonly leaseSeconds?: number;
  /** Registers the study's configurations, or checks that they match the ones already stored; trials that failed in an earlier run become claimable again. */
  prepare(configs: readonly Config[]): Promise<void>;
  /** The configurations registered by `prepare` (possibly by another process). */
  configs(): Promise<Config[]>;
  /** The next trial nobody has finished or holds, now claimed by this worker; undefined when none. */
  claim(): Promise<TrialClaim | undefined>;
  /** Trials others hold right now (a worker with nothing to claim waits while this is above 0). */
  heldElsewhere(): Promise<number>;
  /** Extends the lease of a claimed trial; false when the claim was lost (it expired and was taken). */
  renew(claim: TrialClaim): Promise<boolean>;
  /** Records a claimed trial as finished; false when the claim had been lost (the record is dropped). */
  finish(record: TrialRecord): Promise<boolean>;
  /** Every finished trial, in id order. */
  finished(): Promise<TrialRecord[]>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Is this a StudyStore (claims) rather than a TrialStore (a log)? */
export function isStudyStore(store: TrialStore | StudyStore): store is StudyStore {
  return typeof (store as Partial<StudyStore>).claim === "function";
}

/** Did this trial end (ok or diverged), so that it is not run again? A failed trial runs again next time. */
export const isFinished = (record: TrialRecord): boolean => record.status !== "failed";

/** Where a loaded record came from ("DIR/trials.jsonl line 3"), for messages. */
const origins = new WeakMap<TrialRecord, string>();
const originOf = (record: TrialRecord, location: string): string => origins.get(record) ?? `${location}: trial ${record.id}`;

/**
 * Adds an outcome to the latest outcome per trial: a finished record stays (a second finished
 * record of the same trial is a duplicate, returned so the caller can say so); a failure replaces
 * an earlier failure.
 */
function mergeOutcome(latest: Map<number, TrialRecord>, record: TrialRecord): TrialRecord | undefined {
  const earlier = latest.get(record.id);
  if (earlier && isFinished(earlier)) return isFinished(record) ? earlier : undefined;
  latest.set(record.id, record);
  return undefined;
}

const byId = (records: Iterable<TrialRecord>): TrialRecord[] => [...records].sort((a, b) => a.id - b.id);

/**
 * A StudyStore for one process over a TrialStore: claims live in memory, outcomes go to the log,
 * and the log's lock (if it has one) is held from `prepare` until `close`. Refuses stored trials
 * that do not belong to the configurations (another study). A trial that fails here is not
 * handed out again in this run; failures found in the log are.
 */
export function localStudyStore(log: TrialStore): StudyStore {
  let configs: Config[] | undefined;
  let release: (() => void) | undefined;
  const claimed = new Set<number>();
  const failedHere = new Set<number>();
  let done = new Map<number, TrialRecord>();
  return {
    location: log.location,
    async prepare(list) {
      release ??= log.lock?.();
      const records = log.finished();
      for (const record of records) {
        if (record.id >= list.length) {
          throw new InvalidInputError(
            "store",
            `${originOf(record, log.location)} holds trial ${record.id}, but this study has ${list.length} configurations (ids 0..${list.length - 1}): a different study; use a new folder`,
          );
        }
        if (JSON.stringify(record.config) !== JSON.stringify(list[record.id])) {
          throw new InvalidInputError(
            "store",
            `${originOf(record, log.location)} holds trial ${record.id} with another configuration (${JSON.stringify(record.config)} vs ${JSON.stringify(list[record.id])}): a different study; use a new folder`,
          );
        }
      }
      done = new Map(records.filter(isFinished).map((r) => [r.id, r]));
      configs = [...list];
    },
    async configs() {
      if (!configs) throw new Error(`${log.location}: no configurations yet (prepare first)`);
      return [...configs];
    },
    async claim() {
      if (!configs) throw new Error(`${log.location}: no configurations yet (prepare first)`);
      for (let id = 0; id < configs.length; id++) {
        if (!done.has(id) && !claimed.has(id) && !failedHere.has(id)) {
          claimed.add(id);
          return { id, config: configs[id]! };
        }
      }
      return undefined;
    },
    heldElsewhere: async () => 0,
    renew: async (claim) => claimed.has(claim.id),
    async finish(record) {
      if (!claimed.delete(record.id)) return false;
      log.append(record);
      if (isFinished(record)) done.set(record.id, record);
      else failedHere.add(record.id);
      return true;
    },
    finished: async () => log.finished(),
    async close() {
      release?.();
      release = undefined;
    },
  };
}

const STATUSES: readonly string[] = ["ok", "diverged", "failed"];
const RECORD_FIELDS = ["id", "config", "status", "validationAccuracy", "finalLoss", "seconds", "lossCurve", "error", "worker"];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What is wrong with a stored trial record, or undefined when it is a valid one. */
export function trialRecordProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected a trial record (a JSON object with ${RECORD_FIELDS.slice(0, 7).join(", ")}), got ${value === null ? "null" : Array.isArray(value) ? "an array" : describeValue(value)}`;
  for (const key of Object.keys(value)) {
    if (!RECORD_FIELDS.includes(key)) {
      const suggestion = closestName(key, RECORD_FIELDS);
      return `unknown field '${key}'${suggestion ? `; did you mean '${suggestion}'?` : ""}`;
    }
  }
  for (const key of RECORD_FIELDS.slice(0, 7)) if (!(key in value)) return `missing field '${key}'`;
  const { id, config, status, validationAccuracy, finalLoss, seconds, lossCurve, error, worker } = value;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0) return `id must be a non-negative integer, got ${describeValue(id)}`;
  if (!isObject(config)) return `config must be an object of hyperparameter values, got ${describeValue(config)}`;
  for (const [name, v] of Object.entries(config)) {
    if (!["number", "string", "boolean"].includes(typeof v)) return `config.${name} must be a number, string or boolean, got ${describeValue(v)}`;
  }
  if (typeof status !== "string" || !STATUSES.includes(status)) return `status must be one of "ok", "diverged", "failed"; got ${describeValue(status)}`;
  if (validationAccuracy !== null && (typeof validationAccuracy !== "number" || !(validationAccuracy >= 0 && validationAccuracy <= 1))) {
    return `validationAccuracy must be a number in 0..1 or null, got ${describeValue(validationAccuracy)}`;
  }
  if (status !== "ok" && validationAccuracy !== null) return `validationAccuracy must be null for a ${status} trial, got ${describeValue(validationAccuracy)}`;
  if (finalLoss !== null && (typeof finalLoss !== "number" || !Number.isFinite(finalLoss))) return `finalLoss must be a finite number or null, got ${describeValue(finalLoss)}`;
  if (typeof seconds !== "number" || !(seconds >= 0) || !Number.isFinite(seconds)) return `seconds must be a non-negative number, got ${describeValue(seconds)}`;
  if (!Array.isArray(lossCurve)) return `lossCurve must be an array of numbers, got ${describeValue(lossCurve)}`;
  // A curve that ran into NaN or Infinity is stored with nulls there (JSON has no NaN).
  const bad = lossCurve.findIndex((v) => v !== null && typeof v !== "number");
  if (bad >= 0) return `lossCurve[${bad}] must be a number, got ${describeValue(lossCurve[bad])}`;
  if (error !== undefined && typeof error !== "string") return `error must be a string, got ${describeValue(error)}`;
  if (worker !== undefined && typeof worker !== "string") return `worker must be a string, got ${describeValue(worker)}`;
  return undefined;
}

/** The study folder's lock file: who runs the study there. */
interface LockNote {
  pid: number;
  host: string;
  /** The process's start time (Linux /proc), so a recycled process id is not mistaken for the holder. */
  start?: string;
  since: string;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined off Linux / for no such process. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Does the process that wrote this lock (on this machine) still run? */
function holderRuns(note: LockNote): boolean {
  try {
    process.kill(note.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const start = processStart(note.pid);
  return note.start === undefined || start === undefined || start === note.start;
}

/** Lock files this process holds, by path (released at exit if still held). */
const heldLocks = new Map<string, object>();
process.on("exit", () => {
  for (const path of heldLocks.keys()) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
});

/**
 * Takes `dir`'s lock for `owner`, or throws naming who holds it. The note is written to a
 * temporary file and hard-linked into place, which fails atomically when a lock exists.
 */
function takeLock(dir: string, owner: object, log: (line: string) => void): () => void {
  const path = join(dir, "lock");
  const note: LockNote = { pid: process.pid, host: hostname(), ...(processStart(process.pid) ? { start: processStart(process.pid)! } : {}), since: new Date().toISOString() };
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(temporary, JSON.stringify(note) + "\n");
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temporary, path);
        heldLocks.set(path, owner);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      }
      let holder: LockNote | undefined;
      try {
        const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
        if (isObject(parsed) && typeof parsed.pid === "number" && typeof parsed.host === "string") holder = parsed as unknown as LockNote;
      } catch {
        // unreadable: treated as held (it may be in the middle of being replaced)
      }
      const ours = holder?.host === note.host && holder.pid === process.pid && heldLocks.has(path);
      const stale = holder !== undefined && holder.host === note.host && !ours && !holderRuns(holder);
      if (!stale) {
        const who = ours
          ? "another study run in this same process"
          : holder
            ? `another process (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
            : "another process";
        throw new InvalidInputError(
          "store",
          `${dir} is in use: ${who} is running a study there. Wait for it to finish, or share the study between processes through PostgreSQL (--store postgres://…), which hands each trial to one of them. If no such process runs, delete ${path}.`,
        );
      }
      log(`${dir}: taking over the lock of process ${holder!.pid}, which no longer runs (it was stopped while running this study)`);
      unlinkSync(path);
    }
  } finally {
    unlinkSync(temporary);
  }
  return () => {
    if (heldLocks.get(path) !== owner) return;
    heldLocks.delete(path);
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

/**
 * Opens (creating if needed) the study folder `dir` and checks every record in it: a line that
 * is not a valid trial record throws, naming the file and line, before any trial runs.
 */
export function openJsonlStore(dir: string, log: (line: string) => void = (line) => console.log(line)): TrialStore {
  if (typeof dir !== "string" || dir === "") throw new InvalidInputError("store", `a study folder must be a path, got ${describeValue(dir)}`);
  const kind = (path: string): "missing" | "file" | "folder" => {
    try {
      return statSync(path).isDirectory() ? "folder" : "file";
    } catch {
      return "missing";
    }
  };
  if (kind(dir) === "file") throw new InvalidInputError("store", `the study folder ${dir} is a file; give a folder (it is created if missing) or a postgres:// URL`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InvalidInputError("store", `cannot create the study folder ${dir}: ${(err as Error).message}`);
  }
  const path = join(dir, "trials.jsonl");
  if (kind(path) === "folder") throw new InvalidInputError("store", `${path} is a folder; a study folder's trials.jsonl must be a file (move that folder away)`);
  let latest = new Map<number, TrialRecord>();

  const load = (): void => {
    latest = new Map();
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new InvalidInputError("store", `cannot read ${path}: ${(err as Error).message}`);
    }
    const lines = text.split("\n");
    const complete = text.endsWith("\n") ? lines.slice(0, -1) : lines;
    const kept: string[] = [];
    complete.forEach((line, index) => {
      if (line.trim() === "") return;
      const where = `${path} line ${index + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (index === complete.length - 1 && !text.endsWith("\n")) {
          log(`${where} is a partial record (the study was stopped while writing it); ignoring it, that trial runs again`);
          return;
        }
        throw new InvalidInputError("store", `${where} is not a JSON trial record; fix or remove that line`);
      }
      const problem = trialRecordProblem(value);
      if (problem) throw new InvalidInputError("store", `${where}: ${problem}; fix or remove that line`);
      const record = value as TrialRecord;
      origins.set(record, where);
      const duplicate = mergeOutcome(latest, record);
      if (duplicate) log(`${where} records trial ${record.id} again (first at ${origins.get(duplicate)}); the first record counts`);
      kept.push(line + "\n");
    });
    // Cut a partial tail so the next append starts on a fresh line.
    if (!text.endsWith("\n") && text.length > 0) {
      const fd = openSync(path, "w");
      writeSync(fd, kept.join(""));
      fsyncSync(fd);
      closeSync(fd);
    }
  };
  load();

  const self: TrialStore = {
    location: dir,
    finished: () => byId(latest.values()),
    append(record) {
      appendFileSync(path, JSON.stringify(record) + "\n");
      const fd = openSync(path, "r+");
      fsyncSync(fd);
      closeSync(fd);
      mergeOutcome(latest, record);
    },
    lock() {
      const lockPath = join(dir, "lock");
      if (heldLocks.get(lockPath) === self) return () => {};
      const release = takeLock(dir, self, log);
      try {
        load();
      } catch (err) {
        release();
        throw err;
      }
      return release;
    },
  };
  return self;
}

/** A store that keeps trials in memory only (the notebook default when no folder is given). */
export function memoryStore(): TrialStore {
  const latest = new Map<number, TrialRecord>();
  return { location: "memory", finished: () => byId(latest.values()), append: (r) => void mergeOutcome(latest, r) };
}
