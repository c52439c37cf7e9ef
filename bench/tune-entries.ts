/**
 * Benchmark entry `tune-parallel`: the same 8-trial study (a 784-200-10 network on mnist-10k,
 * 7,000 training and 1,000 validation images, 6 epochs per trial) run by 1 and by 2 worker
 * processes, each worker's backend on one thread. Reports trials per minute for each and the
 * speed-up; the target on a 2-core machine is at least 1.8×. Worker start-up (loading the backend
 * and the data, once per worker) is timed apart from the trials. The two are measured twice,
 * alternating, and the faster of each pair counts, so a burst of other load on the machine
 * during one run does not decide the ratio. Beside each run: the workers' CPU seconds per trial
 * (equal for 1 and 2 workers when the cores are really free; higher with 2 when they compete
 * for something shared) and the load average.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseStudySpec, studyConfigs } from "../lib/src/tune/spec.js";
import { startTrialWorkers } from "../lib/src/tune/pool.js";
import { runStudy } from "../lib/src/tune/study.js";
import type { BenchEntry, EntryMeasurement } from "./types.js";

export const TUNE_PARALLEL_SPEC = {
  name: "bench-tune-parallel",
  objective: "network",
  data: { name: "mnist-10k", train: 7000, validation: 1000, seed: 0 },
  budget: { epochs: 6, batchSize: 64 },
  space: {
    learningRate: { kind: "logUniform", low: 1e-3, high: 1e-1 },
    reg: { kind: "logUniform", low: 1e-6, high: 1e-3 },
    hidden: { kind: "fixed", value: 200 },
    optimizer: { kind: "fixed", value: "momentum" },
    schedule: { kind: "choice", values: ["constant", "cosine"] },
  },
  search: { kind: "random", trials: 8, seed: 1 },
};

/** CPU seconds (user + system) the processes have used so far, from /proc (Linux). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

async function tuneParallel(): Promise<EntryMeasurement> {
  const spec = parseStudySpec(TUNE_PARALLEL_SPEC, "tune-parallel");
  const configs = studyConfigs(spec);
  const perMinute: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  for (const round of [1, 2]) {
    for (const workers of [1, 2]) {
      const started = performance.now();
      const executor = await startTrialWorkers(spec, { workers });
      const startup = (performance.now() - started) / 1000;
      const t0 = performance.now();
      const cpu0 = cpuSeconds(executor.pids);
      const result = await runStudy({ configs, executor, log: () => {} });
      const took = (performance.now() - t0) / 1000;
      const cpuPerTrial = (cpuSeconds(executor.pids) - cpu0) / result.ran;
      await executor.close();
      seconds[workers] = Math.min(seconds[workers] ?? Infinity, took);
      perMinute[workers] = (60 * result.ran) / seconds[workers]!;
      const best = result.best?.validationAccuracy ?? NaN;
      console.log(
        `round ${round}, ${workers} worker${workers > 1 ? "s" : ""}: ${result.ran} trials in ${took.toFixed(1)} s = ${((60 * result.ran) / took).toFixed(1)} trials/min ` +
          `(worker CPU ${cpuPerTrial.toFixed(2)} s per trial; start-up ${startup.toFixed(1)} s; best validation ${best.toFixed(4)}; load average ${loadavg()[0]!.toFixed(1)}; ${executor.backends[0]})`,
      );
    }
  }
  const speedup = perMinute[2]! / perMinute[1]!;
  console.log(`best of each: 1 worker ${perMinute[1]!.toFixed(1)}, 2 workers ${perMinute[2]!.toFixed(1)} trials/min; speed-up ${speedup.toFixed(2)}× (target ≥ 1.8×)`);
  return { nTrain: spec.data.train, nTest: 0, seconds: seconds[2]!, accuracy: null, gflops: null, trialsPerMinute: perMinute, speedup };
}

export const TUNE_ENTRIES: BenchEntry[] = [{ name: "tune-parallel", dataset: "mnist-10k", run: tuneParallel }];
