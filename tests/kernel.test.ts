/**
 * Through a real tslab kernel (as a student runs notebooks): an unhandled rejection after
 * `initBackend()` is reported in its cell and the kernel lives on, on every backend that loads
 * here. The WebAssembly runtime used to install process-wide handlers that rethrew, so one
 * forgotten `await` killed the kernel.
 *
 * Needs the project's kernel (.jupyter/, installed by scripts/setup.sh, which `npm run notebooks`
 * and CI run first) and a Python with nbclient; without them the test is skipped with a message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const kernelSpec = join(root, ".jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json");
const pythonFile = join(root, ".jupyter", "python");
const kernelMissing = !existsSync(kernelSpec) || !existsSync(pythonFile) ? "the tslab kernel is not installed (run `bash scripts/setup.sh`)" : false;

const RUNNER = `
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, timeout=120, kernel_name="tslab", allow_errors=True)
try:
    client.execute()
    status = "completed"
except Exception as err:
    status = type(err).__name__ + ": " + str(err).splitlines()[0]
outputs = [["".join(o.get("text", "")) + str(o.get("evalue", "")) for o in c.get("outputs", [])] for c in nb.cells]
print(json.dumps({"status": status, "outputs": outputs}))
`;

function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  });
}

for (const backend of ["wasm", "cpu", "tensorflow"]) {
  test(`kernel on ${backend}: an unhandled rejection after initBackend leaves the kernel alive`, { skip: kernelMissing, timeout: 180_000 }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), "classifiers-kernel-"));
    try {
      const path = join(dir, "rejection.ipynb");
      writeFileSync(path, notebook([
        'import { initBackend } from "classifiers";\nconst info = await initBackend();\nconsole.log("backend " + info.name);',
        'Promise.reject(new Error("forgotten await"));',
        'console.log("still alive");',
      ]));
      const python = readFileSync(pythonFile, "utf8").trim();
      const run = spawnSync(python, ["-c", RUNNER, path], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, CLASSIFIERS_BACKEND: backend, JUPYTER_PATH: join(root, ".jupyter", "share", "jupyter") },
        timeout: 170_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { status: string; outputs: string[][] };
      const first = result.outputs[0]!.join("");
      if (/cannot load/.test(first)) {
        t.skip(`the ${backend} backend does not load here`);
        return;
      }
      assert.match(first, new RegExp(`backend ${backend}`));
      assert.equal(result.status, "completed", "the kernel died");
      assert.match(result.outputs[1]!.join(""), /forgotten await/, "the rejection is reported in its cell");
      assert.match(result.outputs[2]!.join(""), /still alive/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("in a script, an unhandled rejection after initBackend on wasm ends with Node's own message", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e",
    'import { initBackend } from "./lib/src/runtime/backend.js"; await initBackend({ backend: "wasm", log: false }); Promise.reject(new Error("forgotten await"));'], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /Error: forgotten await/);
  assert.doesNotMatch(run.stderr, /GROWABLE_HEAP|wasmMemory/, "no minified runtime source");
});
