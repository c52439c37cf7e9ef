/** The notebooks in notebooks/ are committed without outputs (executed copies live in build/notebooks/). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const folder = fileURLToPath(new URL("../notebooks/", import.meta.url));

test("every notebook in notebooks/ is valid JSON, uses the tslab kernel and has no outputs", () => {
  const names = readdirSync(folder).filter((n) => n.endsWith(".ipynb"));
  assert.ok(names.length >= 3, `notebooks found: ${names.join(", ")}`);
  for (const name of names) {
    const nb = JSON.parse(readFileSync(join(folder, name), "utf8")) as { metadata: { kernelspec?: { name?: string } }; cells: { cell_type: string; outputs?: unknown[]; execution_count?: number | null }[] };
    assert.equal(nb.metadata.kernelspec?.name, "tslab", `${name}: kernel`);
    nb.cells.forEach((cell, i) => {
      if (cell.cell_type !== "code") return;
      assert.deepEqual(cell.outputs, [], `${name}, cell ${i}: outputs must be cleared before committing`);
      assert.equal(cell.execution_count ?? null, null, `${name}, cell ${i}: execution count must be cleared`);
    });
  }
});
