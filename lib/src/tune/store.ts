/**
 * Where a study keeps its finished trials: a folder holding `trials.jsonl`, one JSON line per
 * finished trial, appended and flushed to disk as each trial ends. A study that is killed keeps
 * every finished trial and, run again, skips them. A partial last line (the process died while
 * writing it) is reported and ignored; any other unreadable line is an error naming it, because
 * silently dropping finished work would be worse.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
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
