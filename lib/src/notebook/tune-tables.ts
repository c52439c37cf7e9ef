/**
 * A study's results as tables: every trial (best first), and a summary per hyperparameter that
 * shows which values did well: per value for choices and small sets, per range (log-spaced for
 * hyperparameters spanning decades) for continuous ones. As danfo DataFrames for notebooks, or
 * as plain records for `tableText` (the command line).
 */
import type { DataFrame } from "danfojs-node";
import type { TrialRecord } from "../tune/index.js";
import { toDataFrame, type TableRow } from "./tables.js";

const byAccuracy = (a: TrialRecord, b: TrialRecord): number => (b.validationAccuracy ?? -1) - (a.validationAccuracy ?? -1) || a.id - b.id;

/** A trial's reason, first line, cut to fit a table cell (the record keeps all of it). */
const REASON_CHARS = 80;
function shortReason(error: string | undefined): string {
  const line = (error ?? "").split("\n")[0]!;
  return line.length > REASON_CHARS ? `${line.slice(0, REASON_CHARS - 1)}…` : line;
}

/**
 * One row per trial, best validation accuracy first: trial number, its hyperparameters, status,
 * accuracy, loss, seconds, and, when any trial failed or diverged, a "reason" column (its error).
 */
export function trialRows(trials: readonly TrialRecord[]): TableRow[] {
  const anyReason = trials.some((t) => t.error !== undefined);
  return [...trials].sort(byAccuracy).map((t) => ({
    trial: t.id + 1,
    ...t.config,
    status: t.status,
    "validation accuracy": t.validationAccuracy,
    "final loss": t.finalLoss,
    seconds: t.seconds,
    ...(anyReason ? { reason: shortReason(t.error) } : {}),
  }));
}

/** The trials as a danfo DataFrame (see `trialRows`). */
export function trialsDataFrame(trials: readonly TrialRecord[]): DataFrame {
  return toDataFrame(trialRows(trials));
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const short = (v: number): string => String(Number(v.toPrecision(3)));

export interface SummaryOptions {
  /** Ranges a continuous hyperparameter is cut into (default 3). */
  bins?: number;
  /** Numeric hyperparameters with at most this many distinct values are summarised per value (default 6). */
  maxDistinct?: number;
}

/**
 * For each hyperparameter, groups of trials by value (or by range of values) with: trials,
 * how many finished ok, the mean and the best validation accuracy. Read it as "which part of
 * each axis is good"; only trials that finished ok count towards the accuracies.
 */
export function hyperparameterSummaryRows(trials: readonly TrialRecord[], options: SummaryOptions = {}): TableRow[] {
  const bins = options.bins ?? 3;
  const maxDistinct = options.maxDistinct ?? 6;
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.config)))];
  const rows: TableRow[] = [];
  for (const name of names) {
    const withParam = trials.filter((t) => name in t.config);
    const values = withParam.map((t) => t.config[name]!);
    const distinct = [...new Set(values)];
    const numeric = values.every((v) => typeof v === "number");
    let groups: { label: string; members: TrialRecord[] }[];
    if (!numeric || distinct.length <= maxDistinct) {
      const ordered = numeric ? (distinct as number[]).sort((a, b) => a - b) : distinct;
      groups = ordered.map((v) => ({ label: typeof v === "number" ? short(v) : String(v), members: withParam.filter((t) => t.config[name] === v) }));
    } else {
      const xs = values as number[];
      const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
      const log = lo > 0 && hi / lo >= 10;
      const f = (x: number): number => (log ? Math.log10(x) : x);
      const edges = Array.from({ length: bins + 1 }, (_, i) => f(lo) + (i * (f(hi) - f(lo))) / bins);
      const at = (e: number): number => (log ? 10 ** e : e);
      groups = Array.from({ length: bins }, (_, i) => ({
        label: `${short(at(edges[i]!))} – ${short(at(edges[i + 1]!))}${log ? " (log)" : ""}`,
        members: withParam.filter((t) => {
          const x = f(t.config[name] as number);
          return x >= edges[i]! && (i === bins - 1 ? x <= edges[i + 1]! : x < edges[i + 1]!);
        }),
      }));
    }
    for (const { label, members } of groups) {
      const accuracies = members.filter((t) => t.status === "ok" && t.validationAccuracy !== null).map((t) => t.validationAccuracy!);
      rows.push({
        hyperparameter: name,
        value: label,
        trials: members.length,
        ok: accuracies.length,
        "mean accuracy": mean(accuracies),
        "best accuracy": accuracies.length ? Math.max(...accuracies) : null,
      });
    }
  }
  return rows;
}

/** `hyperparameterSummaryRows` as a danfo DataFrame, for `showTable`. */
export function hyperparameterSummary(trials: readonly TrialRecord[], options: SummaryOptions = {}): DataFrame {
  return toDataFrame(hyperparameterSummaryRows(trials, options));
}
