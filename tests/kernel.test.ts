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

const OUTPUTS_RUNNER = `
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=120, kernel_name="tslab").execute()
print(json.dumps([[{"type": o.get("output_type"), "text": "".join(o.get("text", "")), "html": o.get("data", {}).get("text/html", "")} for o in c.get("outputs", [])] for c in nb.cells]))
`;

test("training in a kernel shows one live output updated in place; with CLASSIFIERS_LIVE=0, plain lines", { skip: kernelMissing, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "classifiers-live-"));
  try {
    const path = join(dir, "live.ipynb");
    writeFileSync(path, notebook([
      'import { initBackend, createLinearClassifier, toyBlobs, trainModel } from "classifiers";\nawait initBackend({ log: false });',
      'const data = toyBlobs({ n: 200, seed: 1 });\nconst model = createLinearClassifier({ inputDim: 2, numClasses: 2, loss: "softmax", seed: 1 });\nawait trainModel(model, data, { learningRate: 0.1, batchSize: 20, iterations: 400, printEvery: 50 });',
    ]));
    const run = (live: string | undefined) => {
      const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: "cpu", JUPYTER_PATH: join(root, ".jupyter", "share", "jupyter") };
      delete env.CLASSIFIERS_LIVE;
      if (live !== undefined) env.CLASSIFIERS_LIVE = live;
      const result = spawnSync(readFileSync(pythonFile, "utf8").trim(), ["-c", OUTPUTS_RUNNER, path], { cwd: root, encoding: "utf8", env, timeout: 170_000 });
      assert.equal(result.status, 0, result.stderr);
      return (JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { type: string; text: string; html: string }[][])[1]!;
    };
    const liveOutputs = run(undefined);
    const displays = liveOutputs.filter((o) => o.type === "display_data");
    assert.equal(displays.length, 1, `one display output, got ${JSON.stringify(liveOutputs.map((o) => o.type))}`);
    assert.match(displays[0]!.html, /classifiers-progress/);
    assert.match(displays[0]!.html, /400\/400 · epoch 40 · loss \S+ · .* done in/, "the output holds the final state");
    assert.match(displays[0]!.html, /<polyline/);
    assert.ok(!liveOutputs.some((o) => /iteration \d+\/400/.test(o.text)), "no plain lines beside the live output");
    const plain = run("0");
    assert.equal(plain.filter((o) => o.type === "display_data").length, 0);
    assert.match(plain.map((o) => o.text).join(""), /iteration 50\/400: loss \S+ \(mean of last 50\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
