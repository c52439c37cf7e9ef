/**
 * Benchmarks (`npm run bench`, or `npm run bench -- <entry names>` for a subset): each entry runs
 * in a fresh child process so its peak RSS is its own, then the parent prints a table and writes
 * bench/results/latest.json, an array of {@link BenchRecord}. Options:
 *   --backends tensorflow,wasm   run every entry on each backend, side by side (default: the one
 *                                initBackend picks, or CLASSIFIERS_BACKEND)
 *   --peers                      also run bench/peers.py (scikit-learn, numpy, PyTorch) on the same
 *                                jobs and report peer seconds / our seconds
 *   --rounds N                   run everything N times (each round: our entries, then the peers)
 *                                and report the median round, with every round's ratio; on a
 *                                noisy machine one round's ratio can be off by half
 *
 * Adding an entry = adding one object to {@link ENTRIES}: a name, a dataset label and a `run`
 * that does the work and returns what it measured (seconds, accuracy, flops). `matmul-ceiling`
 * runs first; its rate becomes every record's `ceilingGflops`, so "fraction of the backend's own
 * matrix-product speed" is measured against the same machine in the same run.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { BACKEND_NAMES, initBackend, type BackendName } from "../lib/src/runtime/backend.js";
import { loadDataset, type DatasetName } from "../lib/src/data/datasets.js";
import { DEFAULT_NEIGHBOR_CHUNK, nearestNeighbors, type NeighborStrategy } from "../lib/src/knn/neighbors.js";
import { LINEAR_ENTRIES } from "./linear-entries.js";
import { MLP_ENTRIES } from "./mlp-entries.js";
import { CNN_ENTRIES } from "./cnn-entries.js";
import { TUNE_ENTRIES } from "./tune-entries.js";
import { attachPeers, combineRounds, findPeerPython, formatPeerTable, runPeers } from "./peers.js";
import type { BenchEntry, BenchRecord, EntryMeasurement } from "./types.js";

/** The product shape kNN computes per chunk: [chunk, 784] × [784, 60000]. */
const CEILING_SHAPE = { m: DEFAULT_NEIGHBOR_CHUNK, k: 784, n: 60_000 };

async function matmulCeiling(): Promise<EntryMeasurement> {
  const { m, k, n } = CEILING_SHAPE;
  const a = tf.randomUniform([m, k], 0, 1, "float32", 1) as tf.Tensor2D;
  const b = tf.randomUniform([k, n], 0, 1, "float32", 2) as tf.Tensor2D;
  const times: number[] = [];
  for (let rep = 0; rep < 6; rep++) {
    const start = performance.now();
    const product = tf.matMul(a, b);
    await product.data();
    const seconds = (performance.now() - start) / 1000;
    product.dispose();
    if (rep > 0) times.push(seconds); // rep 0 warms up (weight packing, heap growth)
  }
  a.dispose();
  b.dispose();
  // The fastest repetition: a ceiling is what the backend can do, and on a shared machine the
  // slower ones measure the neighbours' load.
  const best = Math.min(...times);
  return { nTrain: n, nTest: m, seconds: best, accuracy: null, gflops: (2 * m * k * n) / best / 1e9 };
}

/** k = 1, L2 nearest-neighbour classification; times everything after the data are in memory. */
async function knnOneNearest(
  name: DatasetName,
  nTrain: number | undefined,
  nTest: number | undefined,
  strategy: NeighborStrategy = "auto",
): Promise<EntryMeasurement> {
  const data = await loadDataset(name, { nTrain, nTest, seed: 0 });
  const { train, test } = data;
  const start = performance.now();
  const trainX = tf.tensor2d(train.x, [train.n, train.d]);
  const testX = tf.tensor2d(test.x, [test.n, test.d]);
  const result = await nearestNeighbors(trainX, testX, 1, { metric: "l2", strategy });
  let correct = 0;
  for (let i = 0; i < test.n; i++) if (train.y[result.indices[i]!] === test.y[i]) correct++;
  const seconds = (performance.now() - start) / 1000;
  trainX.dispose();
  testX.dispose();
  return {
    nTrain: train.n,
    nTest: test.n,
    seconds,
    accuracy: correct / test.n,
    gflops: (2 * test.n * train.n * train.d) / seconds / 1e9,
  };
}

/** Every benchmark, in run order. */
export const ENTRIES: BenchEntry[] = [
  { name: "matmul-ceiling", dataset: "random [1024,784]x[784,60000]", run: matmulCeiling },
  { name: "knn-mnist-10k", dataset: "mnist-10k", run: () => knnOneNearest("mnist-10k", 8000, 2000) },
  { name: "knn-fashion-mnist", dataset: "fashion-mnist", run: () => knnOneNearest("fashion-mnist", undefined, undefined) },
  // Both searches forced, whatever "auto" picks on this backend (see lib/src/knn/strategy.ts):
  // every distance through one full-width product, and subspace pruning.
  {
    name: "knn-fashion-mnist-dense",
    dataset: "fashion-mnist",
    run: () => knnOneNearest("fashion-mnist", undefined, undefined, "dense"),
  },
  {
    name: "knn-fashion-mnist-pruned",
    dataset: "fashion-mnist",
    run: () => knnOneNearest("fashion-mnist", undefined, undefined, "pruned"),
  },
  ...LINEAR_ENTRIES,
  ...MLP_ENTRIES,
  ...CNN_ENTRIES,
  ...TUNE_ENTRIES,
];

const RESULT_MARK = "BENCH-RESULT ";
const benchFile = fileURLToPath(import.meta.url);
const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));

/** Child side: run one entry, print its record on a marked line. */
async function runEntryHere(name: string): Promise<void> {
  const entry = ENTRIES.find((e) => e.name === name);
  if (!entry) throw new Error(`unknown bench entry "${name}"; known: ${ENTRIES.map((e) => e.name).join(", ")}`);
  const backend = await initBackend({ log: false });
  const measured = await entry.run(backend);
  const record: BenchRecord = {
    name: entry.name,
    dataset: entry.dataset,
    backend: backend.name,
    backendSummary: backend.summary.replace(/^backend: /, "").split("; skipped")[0]!,
    threads: backend.threads,
    ...measured,
    ceilingGflops: null,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  const summary = backend.summary.split("; skipped")[0]!;
  console.log(RESULT_MARK + JSON.stringify({ record, summary }));
}

/** Parent side: one child per entry, so each peak RSS belongs to that entry alone. */
function runEntryInChild(entry: BenchEntry, backend: BackendName | undefined): Promise<{ record: BenchRecord; summary: string }> {
  const name = entry.name;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, benchFile, "--entry", name], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...(backend ? { CLASSIFIERS_BACKEND: backend } : {}), ...entry.env },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      for (const line of text.split("\n")) if (line && !line.startsWith(RESULT_MARK)) console.log(`  [${name}] ${line}`);
    });
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(RESULT_MARK));
      if (code !== 0 || !line) return reject(new Error(`bench entry ${name} failed (exit code ${code})`));
      resolve(JSON.parse(line.slice(RESULT_MARK.length)) as { record: BenchRecord; summary: string });
    });
  });
}

function formatTable(records: BenchRecord[]): string {
  const header = ["name", "backend", "nTrain", "nTest", "seconds", "s/epoch", "accuracy", "GFLOPS", "ceiling", "% ceil", "peak RSS MB", "live tensors", "peer s / ours"];
  const rows = records.map((r) => [
    r.name,
    r.threads > 0 ? `${r.backend}×${r.threads}` : r.backend,
    String(r.nTrain),
    String(r.nTest),
    r.seconds.toFixed(2),
    r.secondsPerEpoch == null ? "-" : r.secondsPerEpoch.toFixed(2),
    r.accuracy === null ? "-" : r.accuracy.toFixed(4),
    r.gflops === null ? "-" : r.gflops.toFixed(1),
    r.ceilingGflops === null ? "-" : r.ceilingGflops.toFixed(1),
    r.gflops === null || r.ceilingGflops === null ? "-" : `${((100 * r.gflops) / r.ceilingGflops).toFixed(0)}%`,
    String(r.peakRssMb),
    r.liveTensors == null ? "-" : String(r.liveTensors),
    r.peers?.length ? r.peers.map((p) => `${p.ratio.toFixed(2)}×`).join(" ") : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const entryFlag = args.indexOf("--entry");
  if (entryFlag >= 0) {
    await runEntryHere(args[entryFlag + 1] ?? "");
    return;
  }
  const { names, backends, peers, rounds } = parseArgs(args);
  const selected = names.length > 0 ? ENTRIES.filter((e) => names.includes(e.name)) : ENTRIES;
  // Before any entry runs, so a missing peer setup stops the bench before spending its time.
  const peerPython = peers ? findPeerPython() : undefined;
  console.log(`bench: ${selected.map((e) => e.name).join(", ")} on ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const perRound: BenchRecord[][] = [];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`round ${round} of ${rounds}`);
    const records: BenchRecord[] = [];
    const ceilings = new Map<string, number | null>();
    // Entry by entry, each backend in turn, so both backends meet the same machine load.
    for (const entry of selected) {
      for (const backend of backends ?? [undefined]) {
        const { record, summary } = await runEntryInChild(entry, backend);
        if (entry.name === "matmul-ceiling") ceilings.set(record.backend, record.gflops);
        record.ceilingGflops = ceilings.get(record.backend) ?? null;
        records.push(record);
        console.log(`  ${entry.name}: ${record.seconds.toFixed(2)} s (${summary})`);
      }
    }
    // Right after this round's entries, so each round's ratio compares runs close in time.
    if (peerPython) attachPeers(records, runPeers(peerPython, selected.map((e) => e.name)));
    perRound.push(records);
  }
  const records = combineRounds(perRound);
  const peerTable = formatPeerTable(records);
  console.log(`\n${formatTable(records)}${peerTable ? `\n\n${peerTable}` : ""}\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  mkdirSync(resultsDir, { recursive: true });
  const path = `${resultsDir}latest.json`;
  writeFileSync(path, JSON.stringify(records, null, 2) + "\n");
  console.log(`wrote ${path}`);
}

/** Splits the command line into entry names, `--backends a,b`, `--peers` and `--rounds N`; throws on anything unknown. */
function parseArgs(args: string[]): { names: string[]; backends: BackendName[] | undefined; peers: boolean; rounds: number } {
  const names: string[] = [];
  let backends: BackendName[] | undefined;
  let peers = false;
  let rounds = 1;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--peers") peers = true;
    else if (arg === "--rounds" || arg.startsWith("--rounds=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
      rounds = Number(value);
      if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive whole number; got "${value ?? ""}"`);
    } else if (arg === "--backends" || arg.startsWith("--backends=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
      const list = (value ?? "").split(",").map((b) => b.trim()).filter((b) => b !== "");
      const bad = list.filter((b) => !(BACKEND_NAMES as readonly string[]).includes(b));
      if (list.length === 0 || bad.length > 0) {
        throw new Error(`--backends takes a comma-separated list of ${BACKEND_NAMES.join(", ")}; got "${value ?? ""}"`);
      }
      backends = list as BackendName[];
    } else if (arg.startsWith("--")) {
      throw new Error(`unknown bench option ${arg}; options: --backends tensorflow,wasm  --peers  --rounds N`);
    } else names.push(arg);
  }
  const unknown = names.filter((a) => !ENTRIES.some((e) => e.name === a));
  if (unknown.length > 0) {
    throw new Error(`unknown bench entries: ${unknown.join(", ")}; known: ${ENTRIES.map((e) => e.name).join(", ")}`);
  }
  return { names, backends, peers, rounds };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
