/**
 * The headless notebook runner (scripts/run_notebooks.py): a notebook that is not valid JSON or
 * whose kernel dies is reported by name and cell, the other notebooks still run, and a failed run
 * never overwrites the last good executed copy. Runs real kernels; skipped without the project's kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
