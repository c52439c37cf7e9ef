/**
 * The library's shape: no import cycles between modules (library and benchmark), so every module
 * can be read, tested and loaded on its own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of each file (type-only imports included: they still tie modules together). */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    const targets = [...source.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) =>
      normalize(join(dirname(file), m[1]!.replace(/\.js$/, ".ts"))),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle found by depth-first search, each as a list of files relative to the repository. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const cycles: string[][] = [];
  const visit = (node: string, stack: string[]): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)));
      else if (!state.has(next)) visit(next, stack);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node, []);
  return cycles;
}

test("the cycle finder finds a cycle when there is one", () => {
  const graph = new Map([
    [join(root, "a.ts"), [join(root, "b.ts")]],
    [join(root, "b.ts"), [join(root, "a.ts")]],
    [join(root, "c.ts"), [join(root, "a.ts")]],
  ]);
  assert.deepEqual(findCycles(graph), [["a.ts", "b.ts", "a.ts"]]);
});

test("no import cycles in lib/src and bench", () => {
  const files = [...tsFiles(join(root, "lib", "src")), ...tsFiles(join(root, "bench"))];
  assert.ok(files.length > 30, `expected the library's files, found ${files.length}`);
  assert.deepEqual(findCycles(importGraph(files)), []);
});
