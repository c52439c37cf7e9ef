/**
 * The headless notebook runner (scripts/run_notebooks.py): a notebook that is not valid JSON or
 * whose kernel dies is reported by name and cell, the other notebooks still run, and a failed run
 * never overwrites the last good executed copy; a bad --timeout is refused; a runner that is
 * stopped (SIGTERM, SIGINT, its parent dying, even SIGKILL) leaves no kernel behind. Runs real
 * kernels; skipped without the project's kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pythonFile = join(root, ".jupyter", "python");
const kernelMissing = !existsSync(join(root, ".jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json")) || !existsSync(pythonFile)
  ? "the tslab kernel is not installed (run `bash scripts/setup.sh`)"
  : false;

function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  });
}

function runRunner(notebooks: string, out: string): { status: number | null; output: string } {
  const run = spawnSync(readFileSync(pythonFile, "utf8").trim(), ["scripts/run_notebooks.py", "--smoke", "--timeout", "60", "--notebooks", notebooks, "--out", out], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, JUPYTER_PATH: join(root, ".jupyter", "share", "jupyter") },
    timeout: 240_000,
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

test("runner: invalid JSON and a dying kernel are named, the rest still runs, last good output kept", { skip: kernelMissing, timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "classifiers-runner-"));
  try {
    const notebooks = join(dir, "notebooks");
    const out = join(dir, "out");
    mkdirSync(notebooks);
    writeFileSync(join(notebooks, "a-broken.ipynb"), "{ this is not json");
    writeFileSync(join(notebooks, "b-exit.ipynb"), notebook(['console.log("first cell ran");', "process.exit(3);", 'console.log("never");']));
    writeFileSync(join(notebooks, "c-good.ipynb"), notebook(['console.log("good " + (1 + 1));']));

    const first = runRunner(notebooks, out);
    assert.equal(first.status, 1, first.output);
    assert.match(first.output, /a-broken\.ipynb is not a valid notebook/);
    assert.match(first.output, /error in b-exit\.ipynb, cell 1 \(code cell #2\): process\.exit\(3\);/);
    assert.match(first.output, /the kernel died while running this cell/);
    assert.match(first.output, /1 passed, 2 failed/);
    assert.match(readFileSync(join(out, "c-good.ipynb"), "utf8"), /good 2/);
    assert.ok(existsSync(join(out, "b-exit.failed.ipynb")), "the failed run is kept beside, named so");
    assert.ok(!existsSync(join(out, "b-exit.ipynb")), "no good copy existed, none is invented");

    // A good run of b, then a failing one: the good copy survives.
    writeFileSync(join(notebooks, "b-exit.ipynb"), notebook(['console.log("good b");']));
    runRunner(notebooks, out);
    assert.match(readFileSync(join(out, "b-exit.ipynb"), "utf8"), /good b/);
    assert.ok(!existsSync(join(out, "b-exit.failed.ipynb")), "a good run clears the old failure");
    writeFileSync(join(notebooks, "b-exit.ipynb"), notebook(["process.exit(1);"]));
    runRunner(notebooks, out);
    assert.match(readFileSync(join(out, "b-exit.ipynb"), "utf8"), /good b/, "the last good output is not overwritten");
    assert.ok(existsSync(join(out, "b-exit.failed.ipynb")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("runner: bad arguments are refused before any kernel starts (a --timeout of -1 used to run forever)", { skip: kernelMissing }, () => {
  const cases: [string[], RegExp][] = [
    ...["-1", "0", "abc", "inf"].map((bad): [string[], RegExp] => [["--timeout", bad], new RegExp(`argument --timeout: must be a positive number of seconds, got '${bad}'`)]),
    [["--notebooks", "no/such/folder"], /argument --notebooks: no\/such\/folder is not a folder/],
    [["--out", "package.json"], /argument --out: package\.json is a file; give a folder for the executed notebooks/],
  ];
  for (const [args, message] of cases) {
    const run = spawnSync(readFileSync(pythonFile, "utf8").trim(), ["scripts/run_notebooks.py", ...args], { cwd: root, encoding: "utf8" });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Is the process running (not gone, not a zombie)? */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const waitFor = async (condition: () => boolean, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
};

test("runner: a stopped runner stops its kernel (SIGTERM, SIGINT, its parent dying, SIGKILL): no tslab process survives", { skip: kernelMissing || (process.platform !== "linux" && "needs Linux /proc"), timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "classifiers-runner-stop-"));
  const python = readFileSync(pythonFile, "utf8").trim();
  const env = { ...process.env, JUPYTER_PATH: join(root, ".jupyter", "share", "jupyter") };
  const spawned: ChildProcess[] = [];
  try {
    const stop = async (how: "SIGTERM" | "SIGINT" | "parent" | "SIGKILL"): Promise<void> => {
      const notebooks = join(dir, how, "notebooks");
      mkdirSync(notebooks, { recursive: true });
      const flag = join(dir, how, "looping");
      writeFileSync(join(notebooks, "loop.ipynb"), notebook([`require("fs").writeFileSync(${JSON.stringify(flag)}, "");`, "while (true) {}"]));
      const args = ["scripts/run_notebooks.py", "--timeout", "600", "--notebooks", notebooks, "--out", join(dir, how, "out")];
      // "parent": the runner's parent is a shell that is then killed; otherwise this test process is its parent.
      const child =
        how === "parent"
          ? spawn("bash", ["-c", `"$0" "$@" & echo $!; wait`, python, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "ignore"] })
          : spawn(python, args, { cwd: root, env, stdio: "ignore" });
      spawned.push(child);
      let runner = child.pid!;
      if (how === "parent") {
        runner = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
      }
      assert.ok(await waitFor(() => existsSync(flag), 120_000), `${how}: the kernel never reached the endless loop`);
      const kernels = childrenOf(runner);
      assert.equal(kernels.length, 1, `${how}: the runner has one kernel`);
      assert.match(readFileSync(`/proc/${kernels[0]}/cmdline`, "utf8"), /tslab\0kernel/);
      if (how === "parent") child.kill("SIGKILL");
      else process.kill(runner, how);
      assert.ok(await waitFor(() => !running(kernels[0]!) && !running(runner), 20_000), `${how}: the kernel ${kernels[0]} or the runner ${runner} still runs`);
    };
    await Promise.all([stop("SIGTERM"), stop("SIGINT"), stop("parent"), stop("SIGKILL")]);
  } finally {
    for (const child of spawned) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
