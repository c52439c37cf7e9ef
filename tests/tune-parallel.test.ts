/** Studies from JSON specs: checked before any trial runs, and the same results serially or in worker processes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJsonlStore, parseStudySpec, runSpecStudy, runStudy, startTrialWorkers, studyConfigs, type StudySpec, type TrialRecord } from "../lib/src/tune/index.js";
import { InvalidInputError } from "../lib/src/core/checks.js";
import { initBackend } from "../lib/src/runtime/backend.js";

const spec = (): StudySpec =>
  parseStudySpec({
    name: "parallel-test",
    objective: "linear",
    data: { name: "mnist-10k", train: 800, validation: 300, seed: 0 },
    budget: { epochs: 2, batchSize: 100 },
    space: {
      learningRate: { kind: "logUniform", low: 1e-3, high: 1e-1 },
      reg: { kind: "logUniform", low: 1e-5, high: 1e-1 },
      loss: { kind: "choice", values: ["svm", "softmax"] },
    },
    search: { kind: "random", trials: 4, seed: 1 },
  });
/** Everything a trial recorded except its wall time. */
const results = (trials: TrialRecord[]) => trials.map(({ seconds: _seconds, ...rest }) => rest);

test("a seeded study gives the same results in this process, in one worker process and in two", async () => {
  await initBackend({ log: false });
  const dir = mkdtempSync(join(tmpdir(), "classifiers-parallel-"));
  try {
    const serial = await runSpecStudy(spec(), { workers: 0, log: () => {} });
    const one = await runSpecStudy(spec(), { workers: 1, log: () => {} });
    const lines: string[] = [];
    const workers = await startTrialWorkers(spec(), { workers: 2 });
    // Each worker's backend is held to one thread, whichever backend it is.
    for (const line of workers.backends) assert.match(line, /\b1 thread\b/, line);
    const two = await runStudy({ configs: studyConfigs(spec()), executor: workers, store: openJsonlStore(dir), log: (l) => lines.push(l) }).finally(() => workers.close());
    assert.equal(serial.trials.length, 4);
    assert.equal(serial.ran, 4);
    assert.deepEqual(serial.trials.map((t) => t.config), studyConfigs(spec()));
    assert.ok(serial.trials.every((t) => t.status === "ok" && t.validationAccuracy! > 0.5), JSON.stringify(results(serial.trials)));
    assert.deepEqual(results(one.trials), results(serial.trials));
    assert.deepEqual(results(two.trials), results(serial.trials));
    assert.equal(two.best?.id, serial.best?.id);
    assert.equal(lines.filter((l) => /^trial \d\/4 /.test(l)).length, 4, lines.join("\n"));
    const stored = readFileSync(join(dir, "trials.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as TrialRecord);
    assert.deepEqual(results(stored.sort((a, b) => a.id - b.id)), results(serial.trials), "the parallel run's folder holds every trial once");
    const again = await runSpecStudy(spec(), { workers: 2, store: openJsonlStore(dir), log: () => {} });
    assert.equal(again.resumed, 4);
    assert.equal(again.ran, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad study specs fail before any trial runs, naming the problem", () => {
  const base = () => JSON.parse(JSON.stringify(spec())) as Record<string, any>;
  const cases: [(s: Record<string, any>) => void, RegExp][] = [
    [(s) => (s.space.lerningRate = { kind: "fixed", value: 1 }), /space\.lerningRate: unknown hyperparameter 'lerningRate' for the linear objective; did you mean 'learningRate'\?/],
    [(s) => (s.space.momentum = { kind: "fixed", value: 1 }), /space\.momentum: unknown hyperparameter 'momentum' for the linear objective; it knows learningRate, reg/],
    [(s) => (s.space.reg = { kind: "uniform", low: 1, high: 0 }), /space\.reg: .*empty range 1\.\.0/],
    [(s) => (s.space.reg = { kind: "logUniform", low: 0, high: 1 }), /space\.reg: .*a log scale needs a positive range, got 0\.\.1/],
    [(s) => (s.budget.epochs = -1), /budget\.epochs: must be a positive integer, got -1/],
    [(s) => (s.search.trials = 0), /search\.trials: must be a positive integer, got 0/],
    [(s) => (s.objective = "forest"), /objective: unknown objective "forest"; use one of linear, network/],
    [(s) => (s.data.name = "cifar"), /data\.name: unknown dataset "cifar"/],
    [(s) => (s.space.loss = { kind: "choice", values: ["svm", "hinge"] }), /space\.loss: value "hinge" is not one of svm, softmax/],
    [(s) => delete s.space.learningRate, /space\.learningRate: the linear objective needs this hyperparameter/],
    [(s) => (s.epochs = 3), /unknown option 'epochs'/],
  ];
  for (const [spoil, message] of cases) {
    const s = base();
    spoil(s);
    assert.throws(() => parseStudySpec(s, "study.json"), (err: unknown) => err instanceof InvalidInputError && /^study\.json: /.test(err.message) && message.test(err.message), message.source);
  }
});
