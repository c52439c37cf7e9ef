/** Types shared by the benchmark harness (bench.ts) and its entry modules, so neither imports the other. */
import type { BackendInfo } from "../lib/src/runtime/backend.js";

/** One line of bench/results/latest.json. */
export interface BenchRecord {
  name: string;
  dataset: string;
  /** Active tfjs backend ("wasm", "tensorflow", "cpu"). */
  backend: string;
  /** The backend's one-line description (versions, how the native library was installed, threads). */
  backendSummary: string;
  /** Threads the backend computed with (see BackendInfo.threads). */
  threads: number;
  nTrain: number;
  nTest: number;
  /** Wall-clock seconds of the measured work (data loading excluded). */
  seconds: number;
  /** Test accuracy, or null for entries that do not classify. */
  accuracy: number | null;
  /**
   * Useful floating-point work per second, 10⁹/s: for kNN, 2·M·N·D / seconds, the work of the
   * full L2 product (an exact search that skips work, like the pruned one, can exceed the ceiling).
   */
  gflops: number | null;
  /** The same run's `matmul-ceiling` rate (null if it was not run). */
  ceilingGflops: number | null;
  /** Training seconds per epoch, for entries that train by epochs (null otherwise). */
  secondsPerEpoch?: number | null;
  /** Studies (tune-parallel): trials per minute by number of workers, e.g. { "1": 9.8, "2": 19.1 }. */
  trialsPerMinute?: Record<string, number>;
  /** Studies: trials per minute with 2 workers / with 1. */
  speedup?: number;
  /** Tensors still alive after the entry freed what it made (0 = nothing leaked; null if not counted). */
  liveTensors?: number | null;
  /** Peak resident memory of the entry's process, MB (process.resourceUsage().maxRSS). */
  peakRssMb: number;
  /** With `--peers`: the same job done by other libraries in the same run (bench/peers.py). */
  peers?: PeerResult[];
  /** With `--rounds N` (N > 1): our seconds in every round; the record is the median round's. */
  roundSeconds?: number[];
}

/** One peer's run of an entry's job. */
export interface PeerResult {
  /** Who did it, e.g. "scikit-learn brute-force kNN". */
  peer: string;
  seconds: number;
  accuracy: number;
  /** peer seconds / our seconds: above 1 means we are faster (with rounds: the median round's ratio). */
  ratio: number;
  /** With `--rounds N` (N > 1): the peer's seconds and the ratio in every round (seconds is their median). */
  roundSeconds?: number[];
  roundRatios?: number[];
}

/** What an entry's `run` measures; the harness adds name, dataset, backend, ceiling and RSS. */
export type EntryMeasurement = Pick<BenchRecord, "nTrain" | "nTest" | "seconds" | "accuracy" | "gflops"> &
  Partial<Pick<BenchRecord, "secondsPerEpoch" | "liveTensors" | "trialsPerMinute" | "speedup">>;

export interface BenchEntry {
  name: string;
  dataset: string;
  /** Extra environment for the entry's child process (e.g. CLASSIFIERS_WASM_THREADS=1). */
  env?: Record<string, string>;
  run(backend: BackendInfo): Promise<EntryMeasurement>;
}
