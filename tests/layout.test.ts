/**
 * The library's shape: no import cycles between modules (library and benchmark), so every module
 * can be read, tested and loaded on its own, and no import cycles between the folders of lib/src (they
 * depend downwards only: core, runtime, data, ..., models, tune, viz, notebook).
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

/** The folder of lib/src a file belongs to ("" for the package's own index.ts). */
function libFolder(file: string): string {
  const parts = relative(join(root, "lib", "src"), file).split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : "";
}

/** Imports between the folders of lib/src, as a graph of folders (named by their path). */
function folderGraph(fileGraph: Map<string, string[]>): Map<string, string[]> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of fileGraph) {
    const from = libFolder(file);
    if (from === "") continue;
    const edges = folders.get(join(root, "lib", "src", from)) ?? new Set<string>();
    for (const target of targets) {
      const to = libFolder(target);
      if (to !== "" && to !== from) edges.add(join(root, "lib", "src", to));
    }
    folders.set(join(root, "lib", "src", from), edges);
  }
  return new Map([...folders].map(([folder, edges]) => [folder, [...edges]]));
}

test("the folder graph names a cycle between folders when files in them import each other", () => {
  const a = join(root, "lib", "src", "optim", "strategies.ts");
  const b = join(root, "lib", "src", "linear", "linear.ts");
  const files = new Map([[a, [b]], [b, [a]]]);
  assert.deepEqual(findCycles(folderGraph(files)), [["lib/src/optim", "lib/src/linear", "lib/src/optim"]]);
});

test("folders of lib/src depend downwards only: no cycle between folders", () => {
  const graph = folderGraph(importGraph(tsFiles(join(root, "lib", "src"))));
  assert.ok(graph.size >= 10, `expected the library's folders, found ${graph.size}`);
  assert.deepEqual(findCycles(graph), []);
});

/**
 * What a file outside runtime/ may not say in code (comments aside): a backend's name as a string,
 * a question about the active backend, or an import of the native fast paths. Speed lives in
 * runtime/, behind TensorFlow.js's kernel registry; the code students read knows no backend.
 */
export function backendMentions(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const found: string[] = [];
  for (const m of code.matchAll(/["'`](tensorflow|wasm|cpu|webgl|webgpu)["'`]/g)) found.push(`the backend name ${m[0]}`);
  for (const m of code.matchAll(/\b(getBackend|findBackend|setBackend|tf\.backend)\s*\(/g)) found.push(`${m[1]}()`);
  for (const m of code.matchAll(/from\s+"[^"]*runtime\/native[^"]*"/g)) found.push(`an import ${m[0]}`);
  return found;
}

test("the backend check finds names, backend questions and native imports, and ignores comments", () => {
  assert.deepEqual(backendMentions(`// on "wasm" this is slow\n/* tf.getBackend() */ const x = 1;`), []);
  assert.deepEqual(backendMentions(`if (tf.getBackend() === "tensorflow") f();`), ["the backend name \"tensorflow\"", "getBackend()"]);
  assert.deepEqual(backendMentions(`import { fusedAdam } from "../runtime/native.js";`), ['an import from "../runtime/native.js"']);
  assert.deepEqual(backendMentions(`const b = tf.backend() as Heap;`), ["tf.backend()"]);
});

test("no file of lib/src outside runtime/ names a backend or imports the native fast paths", () => {
  const lib = join(root, "lib", "src");
  const offenders = tsFiles(lib)
    .filter((file) => !relative(lib, file).startsWith("runtime/"))
    .flatMap((file) => backendMentions(readFileSync(file, "utf8")).map((what) => `${relative(root, file)}: ${what}`));
  assert.deepEqual(offenders, []);
});
