/**
 * `npm run bench -- --peers`: runs bench/peers.py (scikit-learn, numpy, later PyTorch doing the same
 * jobs as our entries) in the same run, after our entries, and attaches each peer's time to every
 * record of that entry with the ratio peer seconds / our seconds (above 1: we are faster).
 * Peers need Debian's Python with python3-sklearn (and python3-torch); when they are missing the
 * bench installs them with apt-get if it runs as root, and otherwise says what to install.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchRecord, PeerResult } from "./types.js";

const PEERS_SCRIPT = fileURLToPath(new URL("./peers.py", import.meta.url));
const DEBIAN_PACKAGES = ["python3-sklearn", "python3-torch"];
/** Debian's packages install into its own interpreter, not into a pyenv or venv python3 on PATH. */
const PYTHONS = ["/usr/bin/python3", "python3"];

function pythonWithPeers(): string | undefined {
  return PYTHONS.find(
    (python) =>
      (python.startsWith("/") ? existsSync(python) : true) &&
      spawnSync(python, ["-c", "import numpy, sklearn"], { stdio: "ignore" }).status === 0,
  );
}

function aptInstall(packages: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", ...packages], { stdio: "inherit", env }).status === 0;
  if (install()) return true;
  return spawnSync("apt-get", ["update", "-q"], { stdio: "inherit", env }).status === 0 && install();
}

/** A Python that can run the peers, installing Debian's packages when allowed; else throws why. */
export function findPeerPython(): string {
  let python = pythonWithPeers();
  if (python) return python;
  const canApt = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get") && process.env.CLASSIFIERS_NO_APT !== "1";
  if (canApt) {
    console.log(`bench: peers need ${DEBIAN_PACKAGES.join(" ")}; installing them with apt-get...`);
    if (aptInstall(DEBIAN_PACKAGES)) python = pythonWithPeers();
  }
  if (python) return python;
  throw new Error(
    `--peers needs a python3 with numpy and scikit-learn (and PyTorch for the network peers). ` +
      `On Debian/Ubuntu: sudo apt-get install ${DEBIAN_PACKAGES.join(" ")}; then run the bench again.`,
  );
}

/** Runs every peer of `entries` once and returns them by entry name. */
export function runPeers(python: string, entries: string[]): Record<string, Omit<PeerResult, "ratio">[]> {
  console.log(`bench: peers (${python} bench/peers.py) for ${entries.join(", ")}`);
  const run = spawnSync(python, [PEERS_SCRIPT, ...entries], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  if (run.status !== 0) throw new Error(`bench/peers.py failed (exit code ${run.status})`);
  return JSON.parse(run.stdout) as Record<string, Omit<PeerResult, "ratio">[]>;
}

/** Adds each entry's peers to its records, with ratio = peer seconds / our seconds. */
export function attachPeers(records: BenchRecord[], peers: Record<string, Omit<PeerResult, "ratio">[]>): void {
  for (const record of records) {
    record.peers = (peers[record.name] ?? []).map((p) => ({ ...p, ratio: p.seconds / record.seconds }));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Folds the records of several rounds (the same entries in the same order, each round's peers run
 * right after its own entries) into one record per entry: the round with the median seconds, with
 * every round's seconds, and per peer the median seconds and the median of the rounds' ratios. Our
 * run and the peer's are minutes apart at most within a round, so a ratio per round cancels much of
 * a noisy machine's drift that a ratio of two medians would keep.
 */
export function combineRounds(rounds: BenchRecord[][]): BenchRecord[] {
  if (rounds.length === 1) return rounds[0]!;
  return rounds[0]!.map((_, i) => {
    const runs = rounds.map((round) => round[i]!);
    const ordered = [...runs].sort((a, b) => a.seconds - b.seconds);
    const typical = ordered[(ordered.length - 1) >> 1]!;
    const peers = (typical.peers ?? []).map((peer) => {
      const seen = runs.map((run) => run.peers?.find((p) => p.peer === peer.peer)).filter((p): p is PeerResult => p !== undefined);
      const roundSeconds = seen.map((p) => p.seconds);
      const roundRatios = seen.map((p) => p.ratio);
      return { ...peer, seconds: median(roundSeconds), ratio: median(roundRatios), roundSeconds, roundRatios };
    });
    return { ...typical, roundSeconds: runs.map((run) => run.seconds), ...(typical.peers ? { peers } : {}) };
  });
}

/** One line per (record, peer): who, how long, how accurate, and the ratio. */
export function formatPeerTable(records: BenchRecord[]): string {
  const header = ["entry", "backend", "ours s", "peer", "peer s", "peer accuracy", "peer s / ours", "rounds"];
  const rows = records.flatMap((r) =>
    (r.peers ?? []).map((p) => [
      r.name,
      r.backend,
      r.seconds.toFixed(2),
      p.peer,
      p.seconds.toFixed(2),
      p.accuracy.toFixed(4),
      `${p.ratio.toFixed(2)}×`,
      p.roundRatios ? p.roundRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(" ") : "-",
    ]),
  );
  if (rows.length === 0) return "";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
