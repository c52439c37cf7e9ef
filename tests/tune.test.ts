/** Hyperparameter search: spaces, grid and random configurations, studies that survive SIGKILL, best by validation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  bestTrial,
  choice,
  fixed,
  gridConfigs,
  intRange,
  logUniform,
  openJsonlStore,
  randomConfigs,
  runStudy,
  uniform,
  type TrialOutcome,
} from "../lib/src/tune/index.js";
import { InvalidInputError } from "../lib/src/core/checks.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const ok = (validationAccuracy: number): TrialOutcome => ({ status: "ok", validationAccuracy, finalLoss: 1 - validationAccuracy, lossCurve: [1, 0.5] });

test("random configurations stay in range, are reproducible by seed, and log-uniform draws spread over decades", () => {
  const space = { lr: logUniform(1e-4, 1), reg: uniform(0, 0.5), hidden: intRange(10, 20), opt: choice("sgd", "adam"), batch: fixed(64) };
  const a = randomConfigs(space, 2000, 7);
  assert.deepEqual(a, randomConfigs(space, 2000, 7));
  assert.notDeepEqual(a.slice(0, 5), randomConfigs(space, 5, 8));
  const decades = [0, 0, 0, 0];
  for (const c of a) {
    const lr = c.lr as number;
    assert.ok(lr >= 1e-4 && lr <= 1, `lr ${lr}`);
    assert.ok((c.reg as number) >= 0 && (c.reg as number) <= 0.5);
    assert.ok(Number.isInteger(c.hidden) && (c.hidden as number) >= 10 && (c.hidden as number) <= 20);
    assert.ok(c.opt === "sgd" || c.opt === "adam");
    assert.equal(c.batch, 64);
    decades[Math.min(3, Math.floor(Math.log10(lr) + 4))]!++;
  }
  // Each decade 1e-4..1e-3, ..., 1e-1..1 gets about a quarter (uniform on the log scale).
  for (const count of decades) assert.ok(count > 400 && count < 600, `per-decade counts ${decades}`);
  const hiddenSeen = new Set(a.map((c) => c.hidden));
  assert.equal(hiddenSeen.size, 11, "both ends of an integer range are drawn");
});

test("a grid enumerates every combination, log axes evenly spaced in the exponent", () => {
  const grid = gridConfigs({ lr: logUniform(1e-3, 1e-1), reg: choice(0, 1e-3), loss: fixed("svm") }, 3);
  assert.equal(grid.length, 6);
  assert.equal(new Set(grid.map((c) => JSON.stringify(c))).size, 6);
  const lrs = [...new Set(grid.map((c) => c.lr as number))];
  assert.deepEqual(lrs.map((v) => Math.round(Math.log10(v) * 1e9) / 1e9), [-3, -2, -1]);
  assert.deepEqual(grid[0], { lr: grid[0]!.lr, reg: 0, loss: "svm" });
  assert.equal(gridConfigs({ h: intRange(1, 2) }, 5).length, 2, "an integer axis never repeats values");
});

test("bad spaces fail before any trial runs, naming the hyperparameter", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ lr: logUniform(0, 1) }, /hyperparameter lr: a log scale needs a positive range, got 0\.\.1/],
    [{ reg: uniform(1, 0) }, /hyperparameter reg: empty range 1\.\.0/],
    [{ opt: choice() }, /hyperparameter opt: choice needs at least one value/],
    [{ x: { kind: "gauss" } }, /hyperparameter x: unknown kind "gauss"/],
    [{}, /a search space needs at least one hyperparameter/],
  ];
  for (const [space, message] of cases) {
    assert.throws(() => gridConfigs(space as never), (err: unknown) => err instanceof InvalidInputError && message.test(err.message));
    assert.throws(() => randomConfigs(space as never, 3), message);
  }
  await assert.rejects(runStudy({ configs: [], objective: async () => ok(1) }), /a study needs at least one configuration/);
});

test("the best trial is chosen by validation accuracy; failed and diverged trials never win", async () => {
  const accuracies = [0.5, 0.9, 0.7];
  const result = await runStudy({
    configs: [{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }],
    objective: async (c) => {
      const i = c.i as number;
      if (i === 3) return { status: "diverged", validationAccuracy: null, finalLoss: null, lossCurve: [] };
      if (i === 4) throw new Error("boom");
      return ok(accuracies[i]!);
    },
    log: () => {},
  });
  assert.equal(result.best?.id, 1);
  assert.deepEqual(result.trials.map((t) => t.status), ["ok", "ok", "ok", "diverged", "failed"]);
  assert.equal(result.trials[4]!.error, "boom");
  assert.equal(bestTrial([]), undefined);
});

test("a study killed with SIGKILL resumes: finished trials are kept and not run again; a partial last line is reported", async () => {
  const dir = mkdtempSync(join(tmpdir(), "classifiers-study-"));
  try {
    const script = `
      import { runStudy, openJsonlStore } from "./lib/src/tune/index.js";
      const configs = Array.from({ length: 6 }, (_, i) => ({ i }));
      await runStudy({ configs, store: openJsonlStore(${JSON.stringify(dir)}), log: () => {},
        objective: async (c) => { await new Promise((r) => setTimeout(r, 300)); return { status: "ok", validationAccuracy: c.i / 10, finalLoss: 1, lossCurve: [] }; } });
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: "ignore" });
    const file = join(dir, "trials.jsonl");
    const lines = () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0);
    const deadline = Date.now() + 60_000;
    while (lines() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const finished = lines();
    assert.ok(finished >= 2 && finished < 6, `killed after ${finished} trials`);
    appendFileSync(file, '{"id": 99, "config": {"i"'); // the process died mid-write

    const ran: number[] = [];
    const logged: string[] = [];
    const result = await runStudy({
      configs: Array.from({ length: 6 }, (_, i) => ({ i })),
      store: openJsonlStore(dir, (line) => logged.push(line)),
      objective: async (c) => {
        ran.push(c.i as number);
        return ok((c.i as number) / 10);
      },
      log: (line) => logged.push(line),
    });
    assert.deepEqual(ran, Array.from({ length: 6 - finished }, (_, k) => finished + k), "only unfinished trials run");
    assert.equal(result.resumed, finished);
    assert.equal(result.best?.id, 5);
    assert.ok(logged.some((l) => /line \d+ is a partial record .* ignoring it/.test(l)), logged.join("\n"));
    assert.equal(readFileSync(file, "utf8").split("\n").filter(Boolean).length, 6, "the partial line is gone, every trial recorded once");
    await assert.rejects(
      runStudy({ configs: [{ i: 100 }], store: openJsonlStore(dir), objective: async () => ok(1), log: () => {} }),
      /holds trial 0 with another configuration/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("study figures: accuracy-coloured trials on log axes, parallel coordinates, best loss curves, grid vs random coverage", async () => {
  const { trialScatterPlot, parallelCoordinatesPlot, bestTrialsLossPlot, searchCoveragePlot, accuracyByParameterPlot } = await import("../lib/src/viz/tune.js");
  const result = await runStudy({
    configs: [{ lr: 0.01, reg: 1e-3, opt: "sgd" }, { lr: 0.1, reg: 1e-2, opt: "adam" }, { lr: 10, reg: 1e-1, opt: "sgd" }],
    objective: async (c) => (c.lr === 10 ? { status: "diverged", validationAccuracy: null, finalLoss: null, lossCurve: [] } : ok(c.lr === 0.1 ? 0.9 : 0.8)),
    log: () => {},
  });
  const scatter = trialScatterPlot(result.trials, "lr", "reg");
  assert.deepEqual(scatter.data[0]!.x, [0.01, 0.1]);
  assert.deepEqual((scatter.data[0] as { marker: { color: number[] } }).marker.color, [0.8, 0.9]);
  assert.deepEqual(scatter.data[1]!.x, [10], "the diverged trial is drawn apart");
  assert.equal(scatter.layout.xaxis?.type, "log");
  const parallel = parallelCoordinatesPlot(result.trials, ["lr", "opt"], { log: ["lr"] });
  const dims = (parallel.data[0] as { dimensions: { label: string; values: number[]; ticktext?: string[] }[] }).dimensions;
  assert.deepEqual(dims.map((d) => d.label), ["log10 lr", "opt", "validation accuracy"]);
  assert.deepEqual(dims[0]!.values, [-2, -1]);
  assert.deepEqual(dims[1]!.ticktext, ["sgd", "adam"]);
  const curves = bestTrialsLossPlot(result.trials, 1);
  assert.match(JSON.stringify(curves.data), /90\.0%: lr=0\.10, reg=0\.010, opt=adam/);
  const byHidden = await runStudy({
    configs: [{ hidden: 32 }, { hidden: 64 }, { hidden: 32 }, { hidden: 64 }],
    objective: async (c) => ok(c.hidden === 32 ? 0.8 : 0.9),
    log: () => {},
  });
  const accuracyByHidden = accuracyByParameterPlot(byHidden.trials, "hidden");
  assert.deepEqual(accuracyByHidden.data[1]!.x, [32, 64]);
  assert.deepEqual(accuracyByHidden.data[1]!.y, [0.8, 0.9]);
  const grid = gridConfigs({ x: uniform(0, 1), y: uniform(0, 1) }, 3);
  assert.match(searchCoveragePlot(grid, "x", "y", "grid").layout.title!.text, /3 distinct values of x/);
  assert.match(searchCoveragePlot(randomConfigs({ x: uniform(0, 1), y: uniform(0, 1) }, 9, 1), "x", "y", "random").layout.title!.text, /9 distinct values of x/);
});

test("the network objective trains a 2-layer net per configuration: a good rate beats a tiny one, an absurd one diverges", async () => {
  const { networkObjective } = await import("../lib/src/tune/objectives.js");
  const { toySpiral } = await import("../lib/src/data/toydata.js");
  const { initBackend } = await import("../lib/src/runtime/backend.js");
  await initBackend({ log: false });
  const train = toySpiral({ nPerClass: 80, classes: 3, seed: 1 });
  const validation = toySpiral({ nPerClass: 40, classes: 3, seed: 2 });
  const objective = networkObjective({ train, validation, numClasses: 3, epochs: 30 });
  const good = await objective({ learningRate: 0.01, hidden: 50, batchSize: 40, optimizer: "adam", schedule: "cosine" });
  const tiny = await objective({ learningRate: 1e-6, hidden: 50, batchSize: 40, optimizer: "sgd" });
  const absurd = await objective({ learningRate: 1e9, hidden: 50, batchSize: 40, optimizer: "sgd" });
  assert.equal(good.status, "ok");
  assert.ok(good.validationAccuracy! > 0.8, `spiral validation accuracy ${good.validationAccuracy}`);
  assert.ok(tiny.validationAccuracy! < good.validationAccuracy! - 0.2);
  assert.equal(absurd.status, "diverged");
  // The loop's reason is the trial's, and a study records and prints it.
  assert.match(absurd.error!, /^Training stopped: the loss exploded from \S+ to \S+ at iteration \d+ .*learning rate 1\.00e\+9/);
  assert.ok(absurd.lossCurve.length > 0);
  const lines: string[] = [];
  const study = await runStudy({ configs: [{ learningRate: 1e9, hidden: 50, batchSize: 40 }], objective, log: (l) => lines.push(l) });
  assert.equal(study.trials[0]!.status, "diverged");
  assert.match(study.trials[0]!.error!, /the loss exploded/);
  assert.match(lines[0]!, /^trial 1\/1 learningRate=1000000000, hidden=50, batchSize=40: diverged: Training stopped: the loss exploded/);
  assert.equal(study.best, undefined);
});

test("a failed trial keeps its reason, is not run again in the same run, and runs again the next time; a duplicate record is reported", async () => {
  const dir = mkdtempSync(join(tmpdir(), "classifiers-failed-"));
  try {
    const configs = [{ i: 0 }, { i: 1 }, { i: 2 }];
    const calls: number[] = [];
    const lines: string[] = [];
    const first = await runStudy({
      configs,
      store: openJsonlStore(dir),
      objective: async (c) => {
        calls.push(c.i as number);
        if (c.i === 1) throw new InvalidInputError("learningRate", "learningRate must be a positive number, got -0.1");
        return ok(0.5);
      },
      log: (l) => lines.push(l),
    });
    assert.deepEqual(calls, [0, 1, 2], "the failed trial ran once");
    assert.deepEqual(first.failed.map((t) => [t.id, t.error]), [[1, "learningRate must be a positive number, got -0.1"]]);
    assert.ok(lines.some((l) => /^trial 2\/3 i=1: failed: learningRate must be a positive number, got -0\.1 \(/.test(l)), lines.join("\n"));
    calls.length = 0;
    const second = await runStudy({ configs, store: openJsonlStore(dir), objective: async (c) => (calls.push(c.i as number), ok(0.9)), log: () => {} });
    assert.deepEqual(calls, [1], "only the failed trial runs again");
    assert.equal(second.resumed, 2);
    assert.deepEqual(second.failed, []);
    assert.deepEqual(second.trials.map((t) => [t.id, t.status]), [[0, "ok"], [1, "ok"], [2, "ok"]]);
    assert.equal(second.best?.id, 1);
    // A finished trial recorded twice (as two writers used to do): the first record counts, and it is said.
    appendFileSync(join(dir, "trials.jsonl"), readFileSync(join(dir, "trials.jsonl"), "utf8").split("\n")[0] + "\n");
    const logged: string[] = [];
    assert.equal(openJsonlStore(dir, (l) => logged.push(l)).finished().length, 3);
    assert.match(logged.join("\n"), /trials\.jsonl line 5 records trial 0 again \(first at .*trials\.jsonl line 1\); the first record counts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("one study run per folder: a second runner is refused while the first runs, the lock goes with it, a stale lock is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), "classifiers-lock-"));
  try {
    const configs = [{ i: 0 }, { i: 1 }];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = openJsonlStore(dir);
    const running = runStudy({ configs, store, objective: async () => (await gate, ok(0.5)), log: () => {} });
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(join(dir, "lock")), "the folder is locked while the study runs");
    await assert.rejects(
      runStudy({ configs, store: openJsonlStore(dir), objective: async () => ok(0.9), log: () => {} }),
      (err: unknown) => err instanceof InvalidInputError && /is in use: another study run in this same process is running a study there\. Wait for it to finish, or share the study .* PostgreSQL/.test(err.message),
    );
    release();
    assert.equal((await running).trials.length, 2);
    assert.ok(!existsSync(join(dir, "lock")), "released when the study ends");
    // The same store object runs again (a notebook cell run twice).
    assert.equal((await runStudy({ configs, store, objective: async () => ok(0.5), log: () => {} })).resumed, 2);
    // A lock left by a process that no longer runs (killed): taken over, and said.
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.once("exit", r));
    writeFileSync(join(dir, "lock"), JSON.stringify({ pid: dead.pid, host: hostname(), since: "2026-01-01T00:00:00.000Z" }));
    const lines: string[] = [];
    const resumed = await runStudy({ configs: [...configs, { i: 2 }], store: openJsonlStore(dir, (l) => lines.push(l)), objective: async () => ok(0.7), log: () => {} });
    assert.equal(resumed.ran, 1);
    assert.match(lines.join("\n"), new RegExp(`taking over the lock of process ${dead.pid}, which no longer runs`));
    assert.ok(!existsSync(join(dir, "lock")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("store URLs are printed without secrets, in every form", async () => {
  const { redactUrl } = await import("../lib/src/tune/index.js");
  assert.equal(redactUrl("postgres://alice:s3cretPW@db.example:5432/studies"), "postgres://alice:***@db.example:5432/studies");
  assert.equal(redactUrl("postgres://127.0.0.1:1/db?password=s3cretPW&user=alice"), "postgres://127.0.0.1:1/db?password=***&user=alice");
  assert.equal(redactUrl("postgresql://h/db?sslmode=require&sslpassword=k3y&PASSWORD=x"), "postgresql://h/db?sslmode=require&sslpassword=***&PASSWORD=***");
  assert.equal(redactUrl("postgres://[broken/db?password=s3cretPW"), "postgres://[broken/db?password=***");
  assert.equal(redactUrl("postgres://h/db?user=alice"), "postgres://h/db?user=alice");
});

test("worker counts: never more than the cores or the trials, with the reason; 0 stays in this process", async () => {
  const { planWorkers } = await import("../lib/src/tune/index.js");
  assert.deepEqual(planWorkers(100, 4, 2), { workers: 2, note: "100 workers asked for, but this machine has 2 cores, and each worker runs one backend thread: starting 2" });
  assert.deepEqual(planWorkers(8, 3, 16), { workers: 3, note: "8 workers asked for, but the study has only 3 trials: starting 3" });
  assert.deepEqual(planWorkers(2, 4, 2), { workers: 2 });
  assert.deepEqual(planWorkers(0, 4, 2), { workers: 0 });
});
