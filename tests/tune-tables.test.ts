/** A study's tables: trials best first, and the summary per hyperparameter (as danfo DataFrames). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hyperparameterSummary, hyperparameterSummaryRows, trialRows, trialsDataFrame } from "../lib/src/notebook/tune-tables.js";
import type { TrialRecord } from "../lib/src/tune/index.js";

const trial = (id: number, config: TrialRecord["config"], validationAccuracy: number | null): TrialRecord => ({
  id,
  config,
  status: validationAccuracy === null ? "diverged" : "ok",
  validationAccuracy,
  finalLoss: validationAccuracy === null ? null : 1 - validationAccuracy,
  seconds: 1,
  lossCurve: [],
});

const trials = [
  trial(0, { lr: 1e-4, opt: "sgd" }, 0.5),
  trial(1, { lr: 1e-3, opt: "adam" }, 0.7),
  trial(2, { lr: 1e-2, opt: "sgd" }, 0.9),
  trial(3, { lr: 1e-1, opt: "adam" }, 0.8),
  trial(4, { lr: 3e-2, opt: "sgd" }, 0.6),
  trial(5, { lr: 5e-2, opt: "adam" }, 0.85),
  trial(6, { lr: 1, opt: "sgd" }, null),
];

test("trials come best first, with their hyperparameters, as records and as a DataFrame", () => {
  const rows = trialRows(trials);
  assert.deepEqual(rows.map((r) => r.trial), [3, 6, 4, 2, 5, 1, 7]);
  assert.deepEqual(rows[0], { trial: 3, lr: 1e-2, opt: "sgd", status: "ok", "validation accuracy": 0.9, "final loss": 1 - 0.9, seconds: 1 });
  const df = trialsDataFrame(trials);
  assert.deepEqual(df.shape, [7, 7]);
  assert.deepEqual(df.columns, ["trial", "lr", "opt", "status", "validation accuracy", "final loss", "seconds"]);
});

test("when a trial failed or diverged, the table has a reason column with the first line of its error", () => {
  const failed: TrialRecord = { ...trial(7, { lr: -0.1, opt: "sgd" }, null), status: "failed", error: `learningRate must be > 0, got -0.1\n    at check (x.ts:1)` };
  const diverged: TrialRecord = { ...trial(8, { lr: 10, opt: "sgd" }, null), error: `Training stopped: ${"the loss exploded ".repeat(10)}` };
  const rows = trialRows([...trials.slice(0, 2), failed, diverged]);
  assert.deepEqual(rows.map((r) => r.reason), ["", "", "learningRate must be > 0, got -0.1", `Training stopped: ${"the loss exploded ".repeat(10)}`.slice(0, 79) + "…"]);
  assert.ok(!("reason" in trialRows(trials)[0]!), "no reason column when every trial has none");
});

test("the summary per hyperparameter groups choices by value and spans of decades by log range", () => {
  const rows = hyperparameterSummaryRows(trials);
  const opt = rows.filter((r) => r.hyperparameter === "opt");
  assert.deepEqual(opt, [
    { hyperparameter: "opt", value: "sgd", trials: 4, ok: 3, "mean accuracy": (0.5 + 0.9 + 0.6) / 3, "best accuracy": 0.9 },
    { hyperparameter: "opt", value: "adam", trials: 3, ok: 3, "mean accuracy": (0.7 + 0.8 + 0.85) / 3, "best accuracy": 0.85 },
  ]);
  // lr spans 1e-4..1 (7 distinct values): three log-spaced ranges 1e-4–2.15e-3, –0.0464, –1.
  const lr = rows.filter((r) => r.hyperparameter === "lr");
  assert.deepEqual(lr.map((r) => r.value), ["0.0001 – 0.00215 (log)", "0.00215 – 0.0464 (log)", "0.0464 – 1 (log)"]);
  assert.deepEqual(lr.map((r) => r.trials), [2, 2, 3]);
  assert.deepEqual(lr.map((r) => r.ok), [2, 2, 2], "the diverged trial counts as a trial, not towards accuracy");
  assert.deepEqual(lr.map((r) => r["best accuracy"]), [0.7, 0.9, 0.85]);
  const df = hyperparameterSummary(trials);
  assert.deepEqual(df.shape, [5, 6]);
});
