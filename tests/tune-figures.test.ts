// The study heatmap (viz/tune.ts) and the live study view (notebook/live-study.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { trialHeatmapPlot, type HeatmapTrace } from "../lib/src/viz/index.js";
import { liveStudyView, type MimeBundle } from "../lib/src/notebook/index.js";
import { gridConfigs, logUniform, randomConfigs, type TrialRecord } from "../lib/src/tune/index.js";

function record(id: number, config: TrialRecord["config"], accuracy: number | null): TrialRecord {
  return { id, config, status: accuracy === null ? "diverged" : "ok", validationAccuracy: accuracy, finalLoss: accuracy === null ? null : 1 - accuracy, seconds: 0.1, lossCurve: [] };
}

test("a 3 × 3 grid gives one cell per grid point, with its accuracy, and × where the trial diverged", () => {
  const configs = gridConfigs({ learningRate: logUniform(1e-4, 1e-2), reg: logUniform(1e-5, 1e-1) }, 3);
  // accuracy grows with the learning rate; the largest rate with the largest λ diverges
  const trials = configs.map((c, i) => record(i, c, c.learningRate === 1e-2 && c.reg === 1e-1 ? null : 0.5 + 10 * (c.learningRate as number) + (c.reg as number)));
  const fig = trialHeatmapPlot(trials, "learningRate", "reg");
  const trace = fig.data[0] as HeatmapTrace;
  assert.deepEqual(trace.x, ["1e-4", "0.001", "0.01"]);
  assert.deepEqual(trace.y, ["1e-5", "0.001", "0.1"]);
  for (const t of trials) {
    const col = [1e-4, 1e-3, 1e-2].indexOf(t.config.learningRate as number);
    const row = [1e-5, 1e-3, 1e-1].indexOf(t.config.reg as number);
    assert.equal(trace.z[row]![col], t.validationAccuracy, `cell of trial ${t.id}`);
  }
  const text = trace.text as string[][];
  assert.equal(text[2]![2], "×");
  assert.equal(text[0]![2], `${(100 * (0.5 + 0.1 + 1e-5)).toFixed(1)}%`);
  assert.equal(trace.zmax, 0.5 + 0.01 + 0.1); // lr 1e-3 with λ 0.1 (lr 1e-2 with λ 0.1 diverged)
  assert.match(fig.layout.xaxis!.title!.text, /learningRate \(log scale\)/);
});

test("random trials are binned on a log scale, each cell showing its best trial", () => {
  const configs = randomConfigs({ learningRate: logUniform(1e-5, 1e-1), reg: logUniform(1e-6, 1) }, 40, 3);
  const trials = configs.map((c, i) => record(i, c, 0.3 + 0.01 * (i % 37)));
  const fig = trialHeatmapPlot(trials, "learningRate", "reg", { bins: 4 });
  const trace = fig.data[0] as HeatmapTrace;
  assert.equal((trace.x as string[]).length, 4);
  assert.equal(trace.z.length, 4);
  const cells = trace.z.flat().filter((v): v is number => v !== null);
  assert.equal(Math.max(...cells), Math.max(...trials.map((t) => t.validationAccuracy!)));
  // every trial lies in a cell whose best is at least its own accuracy, and the bins cover the log range
  const lo = Math.log10(Math.min(...configs.map((c) => c.learningRate as number)));
  const hi = Math.log10(Math.max(...configs.map((c) => c.learningRate as number)));
  for (const t of trials) {
    const col = Math.min(3, Math.floor(((Math.log10(t.config.learningRate as number) - lo) / (hi - lo)) * 4));
    const colCells = trace.z.map((row) => row[col]).filter((v): v is number => v !== null);
    assert.ok(Math.max(...colCells) >= t.validationAccuracy!, `trial ${t.id} in column ${col}`);
  }
  assert.throws(() => trialHeatmapPlot([record(0, { learningRate: 0, reg: 1 }, 0.5)], "learningRate", "reg"), /values ≤ 0/);
  assert.throws(() => trialHeatmapPlot([], "learningRate", "reg"), /no trials yet/);
});

test("the live study view redraws at most every 250 ms and always for the last trial; headless only at the end", () => {
  const configs = gridConfigs({ learningRate: logUniform(1e-3, 1e-1) }, 10);
  const run = (liveEnv: string | undefined): { done: number; points: number }[] => {
    const saved = process.env.CLASSIFIERS_LIVE;
    if (liveEnv === undefined) delete process.env.CLASSIFIERS_LIVE;
    else process.env.CLASSIFIERS_LIVE = liveEnv;
    try {
      const updates: { done: number; points: number }[] = [];
      let clock = 0;
      const onTrial = liveStudyView((trials, done, total) => ({ data: [], layout: { title: { text: `${done}/${total}` }, points: trials.length } }), {
        now: () => clock,
        handle: { update: (bundle: MimeBundle) => {
          const fig = bundle.data["application/vnd.plotly.v1+json"] as { layout: { title: { text: string }; points: number } };
          updates.push({ done: Number(fig.layout.title.text.split("/")[0]), points: fig.layout.points });
        } },
      });
      configs.forEach((c, i) => {
        clock = i * 100; // a trial every 100 ms
        onTrial(record(i, c, 0.5), i + 1, configs.length);
      });
      return updates;
    } finally {
      if (saved === undefined) delete process.env.CLASSIFIERS_LIVE;
      else process.env.CLASSIFIERS_LIVE = saved;
    }
  };
  // trials at 0, 100, ..., 900 ms: redraws at 0, 300, 600, 900 (each ≥ 250 ms after the last), the last is trial 10
  assert.deepEqual(run(undefined), [{ done: 1, points: 1 }, { done: 4, points: 4 }, { done: 7, points: 7 }, { done: 10, points: 10 }]);
  assert.deepEqual(run("0"), [{ done: 10, points: 10 }]);
});
