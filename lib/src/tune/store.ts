/**
 * Where a study keeps its trials. Two interfaces: `TrialStore`, a log of finished trials (the
 * JSON Lines folder and memory), and `StudyStore`, which also hands out trials to run (claims),
 * so that many processes can share a study; `localStudyStore` turns a TrialStore into one for a
 * single process, and postgres.ts implements it on a database for many machines.
 *
 * The embedded default is a folder holding `trials.jsonl`, one JSON line per
 * finished trial, appended and flushed to disk as each trial ends. A study that is killed keeps
 * every finished trial and, run again, skips them. A partial last line (the process died while
 * writing it) is reported and ignored; any other unreadable line is an error naming it, because
 * silently dropping finished work would be worse.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError } from "../core/checks.js";
import type { Config } from "./space.js";

/** One finished trial. */
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
  /** Trials finished so far (in any earlier run too). */
  finished(): TrialRecord[];
  /** Records one more finished trial, durably. */
  append(record: TrialRecord): void;
  /** Where it lives, for messages. */
  readonly location: string;
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
  /** Registers the study's configurations, or checks that they match the ones already stored. */
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

/**
 * A StudyStore for one process over a TrialStore: claims live in memory (whoever opened the
 * folder owns it), finished trials go to the log. Refuses configurations that differ from the
 * trials the log already holds (that is another study).
 */
export function localStudyStore(log: TrialStore): StudyStore {
  let configs: Config[] | undefined;
  const claimed = new Set<number>();
  const done = new Map(log.finished().map((r) => [r.id, r]));
  return {
    location: log.location,
    async prepare(list) {
      for (const [id, record] of done) {
        if (id < list.length && JSON.stringify(record.config) !== JSON.stringify(list[id])) {
          throw new InvalidInputError(
            "store",
            `${log.location} holds trial ${id} with another configuration (${JSON.stringify(record.config)} vs ${JSON.stringify(list[id])}): a different study; use a new folder`,
          );
        }
      }
      configs = [...list];
    },
    async configs() {
      if (!configs) throw new Error(`${log.location}: no configurations yet (prepare first)`);
      return [...configs];
    },
    async claim() {
      if (!configs) throw new Error(`${log.location}: no configurations yet (prepare first)`);
      for (let id = 0; id < configs.length; id++) {
        if (!done.has(id) && !claimed.has(id)) {
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
      done.set(record.id, record);
      return true;
    },
    finished: async () => [...done.values()].sort((a, b) => a.id - b.id),
    close: async () => {},
  };
}

/** Opens (creating if needed) the study folder `dir`. */
export function openJsonlStore(dir: string, log: (line: string) => void = (line) => console.log(line)): TrialStore {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "trials.jsonl");
  const records: TrialRecord[] = [];
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    const complete = text.endsWith("\n") ? lines.slice(0, -1) : lines;
    complete.forEach((line, index) => {
      if (line.trim() === "") return;
      const last = index === complete.length - 1;
      try {
        records.push(JSON.parse(line) as TrialRecord);
      } catch {
        if (last && !text.endsWith("\n")) {
          log(`${path}: line ${index + 1} is a partial record (the study was stopped while writing it); ignoring it, that trial runs again`);
          return;
        }
        throw new Error(`${path}: line ${index + 1} is not a JSON trial record; fix or remove that line (the other ${complete.length - 1} lines are kept)`);
      }
    });
    // Cut a partial tail so the next append starts on a fresh line.
    if (!text.endsWith("\n") && text.length > 0) {
      const kept = records.map((r) => JSON.stringify(r) + "\n").join("");
      const fd = openSync(path, "w");
      writeSync(fd, kept);
      fsyncSync(fd);
      closeSync(fd);
    }
  }
  return {
    location: dir,
    finished: () => [...records],
    append(record) {
      appendFileSync(path, JSON.stringify(record) + "\n");
      const fd = openSync(path, "r+");
      fsyncSync(fd);
      closeSync(fd);
      records.push(record);
    },
  };
}

/** A store that keeps trials in memory only (the notebook default when no folder is given). */
export function memoryStore(): TrialStore {
  const records: TrialRecord[] = [];
  return { location: "memory", finished: () => [...records], append: (r) => void records.push(r) };
}
