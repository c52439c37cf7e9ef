/**
 * Helpers of the tests that run `npm run tune` (tune-cli, tune-postgres): spec files for the
 * "sleepy" test objective and the command as a child process. Not a test file itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Writes `spec` as DIR/NAME.json (its `name` field is NAME) and returns the path. */
export function writeSpecFile(dir: string, name: string, spec: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, ...spec }));
  return file;
}

/** A spec for the "sleepy" test objective (tests/sleepy-objective.ts): `trials` trials of `ms` milliseconds each. */
export function sleepySpec(dir: string, name: string, trials: number, ms: number, extra: Record<string, unknown> = {}): string {
  return writeSpecFile(dir, name, {
    objective: "sleepy",
    data: { name: "mnist-10k", train: 10, validation: 10 },
    space: { i: { kind: "int", low: 0, high: trials - 1 }, ms: { kind: "fixed", value: ms } },
    search: { kind: "grid", pointsPerAxis: trials },
    ...extra,
  });
}

/** `npm run tune -- …` as a child process (what a user or a scheduler starts), with the sleepy objective loaded, collecting its output. */
export function tune(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/tune.ts", "--import", "tests/sleepy-objective.ts", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return { child, done: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code: code ?? (signal ? -1 : null), out }))) };
}
