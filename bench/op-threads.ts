/**
 * Per-op time on the native backend with TensorFlow's thread pool allowed, against the calling thread
 * alone, for element-wise ops, a row sum and a concatenation from 65,536 to 4,194,304 elements: the
 * measurements behind CLASSIFIERS_SMALL_OP_ELEMENTS's default (README, "Threads"). Each side runs in
 * its own process (the binding reads the setting once), twice, alternating. Each op call is timed
 * alone, with a little JavaScript work between calls as in a training step, so that pool threads fall
 * asleep as they do there. Needs the binding scripts/native-backend.sh builds.
 *
 *   node --import tsx bench/op-threads.ts
 *
 * A benchmark, not a test: it asserts nothing.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, SMALL_OPS_ROUTE } from "../lib/src/runtime/index.js";

const SIZES = [65_536, 131_072, 262_144, 524_288, 1_048_576, 4_194_304];
const OPS: Record<string, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor> = {
  add: (a, b) => tf.add(a, b),
  exp: (a) => tf.exp(a),
  "sum of rows": (a) => tf.sum(a, 1),
  concat: (a, b) => tf.concat([a, b]),
  relu: (a) => tf.relu(a),
};
const MARK = "OP-THREADS ";

/** About 20 µs of arithmetic. */
function busyJavaScript(): number {
  let x = 0;
  for (let j = 0; j < 20_000; j++) x += j;
  return x;
}

/** Child: median µs per call of every op at every size, printed on one marked line. */
async function measureHere(): Promise<void> {
  const info = await initBackend({ log: false });
  if (!info.native?.route.includes(SMALL_OPS_ROUTE)) throw new Error(`needs the binding scripts/native-backend.sh builds; this process has: ${info.summary}`);
  const result: Record<string, number[]> = {};
  let sink = 0;
  for (const [name, op] of Object.entries(OPS)) {
    result[name] = SIZES.map((n) => {
      const a = tf.randomUniform([n / 64, 64], -1, 1, "float32", 1) as tf.Tensor2D;
      const b = tf.randomUniform([n / 64, 64], -1, 1, "float32", 2) as tf.Tensor2D;
      const calls = Math.max(5, Math.round((20 * 4_194_304) / n));
      const times: number[] = [];
      for (let round = 0; round < 5; round++) {
        let spent = 0;
        for (let i = 0; i < calls; i++) {
          const start = performance.now();
          op(a, b).dispose();
          spent += performance.now() - start;
          sink += busyJavaScript(); // as between a step's ops: pool threads fall asleep meanwhile
        }
        times.push((spent / calls) * 1000);
      }
      tf.dispose([a, b]);
      return times.sort((x, y) => x - y)[2]!;
    });
  }
  console.log(MARK + JSON.stringify(result) + (sink < 0 ? " " : ""));
}

function measureInChild(limit: string): Record<string, number[]> {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child"], {
    encoding: "utf8",
    env: { ...process.env, CLASSIFIERS_BACKEND: "tensorflow", CLASSIFIERS_SMALL_OP_ELEMENTS: limit },
  });
  const line = run.stdout.split("\n").find((l) => l.startsWith(MARK));
  if (run.status !== 0 || !line) throw new Error(`measuring with CLASSIFIERS_SMALL_OP_ELEMENTS=${limit} failed: ${run.stderr.split("\n").filter((l) => l && !l.startsWith("I0000")).slice(-3).join(" | ")}`);
  return JSON.parse(line.slice(MARK.length)) as Record<string, number[]>;
}

async function main(): Promise<void> {
  if (process.argv.includes("--child")) return measureHere();
  const pool: Record<string, number[]>[] = [], alone: Record<string, number[]>[] = [];
  for (let round = 0; round < 2; round++) {
    pool.push(measureInChild("0")); // TensorFlow splits as it decides
    alone.push(measureInChild("999999999999999")); // every op on the calling thread
  }
  const best = (runs: Record<string, number[]>[], op: string, i: number) => Math.min(...runs.map((r) => r[op]![i]!));
  console.log("µs per op, pool allowed / calling thread alone (the better of 2 processes each)\n");
  console.log(`| n | ${Object.keys(OPS).join(" | ")} |`);
  console.log(`|---|${Object.keys(OPS).map(() => "---").join("|")}|`);
  SIZES.forEach((n, i) => {
    const cells = Object.keys(OPS).map((op) => `${best(pool, op, i).toFixed(0)} / ${best(alone, op, i).toFixed(0)}`);
    console.log(`| ${n.toLocaleString("en-US")} | ${cells.join(" | ")} |`);
  });
}

await main();
