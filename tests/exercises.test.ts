/**
 * The graded exercises' cases (assignment/tests/*.ts, and in the instructor's project the hidden
 * ones in assignment/hidden/*.ts), run in this process against this project's library, each value
 * taken through the same JSON encoding the grader reads. In the released student version the values
 * are compared with the solution's (assignment/expected.json, written by the release): a student's
 * `npm test` shows which cases their code passes, with the message the grader would give. Until an
 * exercise is written its cases fail with "not implemented yet: <exercise>".
 *
 * In the instructor's project there is no expected.json: each case's own checks (values worked by
 * hand, float64 references, numerical gradients, properties) hold the solution to account.
 */
import { before, test } from "node:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";
import { enableAutodiff } from "../lib/src/nn/autodiff.js";
import { loadCases } from "../scripts/assignment/cases.js";
import { loadManifest } from "../scripts/assignment/manifest.js";
import { EXPECTED_PATH } from "../scripts/assignment/release.js";
import { decodeValue, encodeValue } from "../scripts/assignment/values.js";
import type { Probe, ProbeContext } from "../assignment/probe-kit.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cases = await loadCases(root, loadManifest(root));
const expectedFile = join(root, EXPECTED_PATH);
const expected = existsSync(expectedFile) ? (decodeValue(readFileSync(expectedFile, "utf8")) as Record<string, unknown>) : undefined;

const probes = new Map<string, Probe>();
for (const file of readdirSync(join(root, "assignment/probes")).filter((f) => f.endsWith(".ts")).sort()) {
  const module = (await import(pathToFileURL(join(root, "assignment/probes", file)).href)) as { probes: Record<string, Probe> };
  for (const [name, probe] of Object.entries(module.probes)) probes.set(name, probe);
}

const ctx: ProbeContext = {
  tf,
  load: (path: string) => import(pathToFileURL(join(root, "lib/src", `${path}.ts`)).href),
  numTensors: () => tf.memory().numTensors,
};

before(async () => {
  await initBackend({ log: false });
  enableAutodiff();
});

for (const c of cases) {
  test(`${c.key}${c.visibility === "hidden" ? " (hidden)" : ""}`, async () => {
    const got = decodeValue(encodeValue(await probes.get(c.probe)!(c.input, ctx)));
    let want: unknown = got;
    if (expected) {
      if (!(c.key in expected)) throw new Error(`${EXPECTED_PATH} has no value for this case (is the release older than its cases?)`);
      want = expected[c.key];
    }
    c.check(got, want, c.input);
  });
}
