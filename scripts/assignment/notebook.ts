/**
 * Autograded notebook cells (nbgrader's convention, graded by values). In the instructor's notebook
 * an exercise cell (a BEGIN SOLUTION region) is followed by a test cell that starts with
 *
 *     // TESTS <exercise-name>
 *     check("the margins of image 0", byHand.filter((r) => r.image === 0).map((r) => r.contributes));
 *     // BEGIN HIDDEN TESTS
 *     check("what every margin contributes", byHand.map((r) => r.contributes));
 *     // END HIDDEN TESTS
 *
 * The release keeps the public part and strips the hidden one. `check(name, value, expected?)`
 * (the library's) shows ✓/✗ to a student running the notebook; when grading it only prints the
 * value. The grader builds a notebook of the student's setup and exercise cells followed by the
 * instructor's whole test cell, runs it headless with the tslab kernel inside the sandbox
 * (run_cells.py), and compares each reported value with the one the solution's cells report.
 * Every `check` is one test (a hidden one when inside the hidden block); a value that was not
 * reported (the cell threw, timed out, or did not compile) fails.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findRegions, testCellExercise } from "./regions.js";
import { startSandboxed, type Sandbox } from "./sandbox.js";
import { hashOf, makeView, type Caches } from "./workspace.js";
import type { Exercise, Manifest } from "./manifest.js";
import type { ExerciseGrade, Setup } from "./grade.js";
import { scoreTests } from "./grade.js";

interface Cell {
  id?: string;
  cell_type: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
}
interface NotebookJson {
  cells: Cell[];
  metadata?: Record<string, unknown>;
  nbformat?: number;
  nbformat_minor?: number;
}

const text = (source: string | string[]): string => (Array.isArray(source) ? source.join("") : source);
const BEGIN_HIDDEN = /^\s*\/\/\s*BEGIN HIDDEN TESTS\s*$/;
const END_HIDDEN = /^\s*\/\/\s*END HIDDEN TESTS\s*$/;
const CHECK_NAME = /\bcheck\(\s*(["'`])((?:(?!\1)[^\\]|\\.)*)\1/g;
export const CHECK_PREFIX = "::check:: ";

/** Each `check("name", ...)` of a test cell with its visibility, in order. */
export function checkNames(source: string): { name: string; visibility: "public" | "hidden" }[] {
  const out: { name: string; visibility: "public" | "hidden" }[] = [];
  let hidden = false;
  for (const line of source.split("\n")) {
    if (BEGIN_HIDDEN.test(line)) hidden = true;
    else if (END_HIDDEN.test(line)) hidden = false;
    else for (const m of line.matchAll(CHECK_NAME)) out.push({ name: JSON.parse(`"${m[2]!.replace(/"/g, '\\"')}"`) as string, visibility: hidden ? "hidden" : "public" });
  }
  return out;
}

interface Plan {
  file: string;
  /** Cell ids to run, in order, and where each comes from. */
  cells: { id: string; from: "student" | "instructor" }[];
  tests: Map<string, { cellId: string; checks: { name: string; visibility: "public" | "hidden" }[] }>;
}

/** Which cells grade the notebook exercises of one notebook file, from the instructor's notebook. */
function plan(root: string, file: string, exercises: Exercise[]): Plan {
  const nb = JSON.parse(readFileSync(join(root, file), "utf8")) as NotebookJson;
  const chosen = new Set<string>();
  const fromInstructor = new Set<string>();
  const tests = new Map<string, { cellId: string; checks: { name: string; visibility: "public" | "hidden" }[] }>();
  for (const e of exercises) {
    const index = nb.cells.findIndex((c) => c.cell_type === "code" && findRegions(text(c.source), file).some((r) => r.exercise === e.name));
    if (index < 0) throw new Error(`${file}: no cell holds the region of "${e.name}"`);
    const testIndex = nb.cells.findIndex((c, i) => i > index && c.cell_type === "code" && testCellExercise(text(c.source)) === e.name);
    if (testIndex < 0) throw new Error(`${file}: exercise "${e.name}" has no test cell ("// TESTS ${e.name}") after its cell`);
    const testCell = nb.cells[testIndex]!;
    if (!testCell.id) throw new Error(`${file}: the test cell of "${e.name}" has no id (save the notebook with Jupyter ≥ 4.5 format)`);
    const checks = checkNames(text(testCell.source));
    if (checks.length === 0) throw new Error(`${file}: the test cell of "${e.name}" calls check(...) nowhere`);
    tests.set(e.name, { cellId: testCell.id, checks });
    fromInstructor.add(testCell.id);
    const setup = e.setupCells ?? nb.cells.slice(0, index).filter((c) => c.cell_type === "code").map((c) => c.id ?? "");
    for (const id of setup) chosen.add(id);
    for (let i = index; i <= testIndex; i++) if (nb.cells[i]!.cell_type === "code" && findRegions(text(nb.cells[i]!.source), file).some((r) => r.exercise === e.name)) chosen.add(nb.cells[i]!.id ?? "");
    chosen.add(testCell.id);
  }
  const cells = nb.cells.filter((c) => c.cell_type === "code" && c.id && chosen.has(c.id)).map((c) => ({ id: c.id!, from: fromInstructor.has(c.id!) ? "instructor" as const : "student" as const }));
  return { file, cells, tests };
}

/** The notebook to execute: the chosen cells, each from the student's copy (else the release's) or the instructor's. */
function gradingNotebook(p: Plan, instructor: NotebookJson, student: NotebookJson | undefined): { nb: NotebookJson; missing: string[] } {
  const missing: string[] = [];
  const byId = (nb: NotebookJson | undefined, id: string): Cell | undefined => nb?.cells.find((c) => c.id === id && c.cell_type === "code");
  const cells = p.cells.map(({ id, from }) => {
    let cell = from === "instructor" ? byId(instructor, id) : byId(student, id);
    if (!cell) {
      missing.push(id);
      cell = { cell_type: "code", source: `throw new Error("cell ${id} is missing from the notebook");` };
    }
    return { cell_type: "code", id, metadata: {}, execution_count: null, outputs: [], source: text(cell.source) };
  });
  return { nb: { cells, metadata: instructor.metadata ?? {}, nbformat: 4, nbformat_minor: 5 }, missing };
}

/** Declarations of the library for tslab's type checks (the solution's .d.ts: types only, no code). */
function declarations(root: string, caches: Caches): string {
  const dir = join(dirname(caches.lib), `types-${caches.key}`);
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "lib/tsconfig.json"), "--emitDeclarationOnly", "--declarationMap", "false", "--incremental", "false", "--outDir", tmp], { stdio: "pipe" });
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Adds what the kernel needs to a view: the declarations, a kernelspec, the runner script, the notebook. */
function prepareNotebookView(root: string, view: string, caches: Caches, nb: NotebookJson, name: string): string {
  const types = declarations(root, caches);
  execFileSync("cp", ["-r", "--no-preserve=mode", `${types}/.`, join(view, "lib", "dist")]);
  const kernelDir = join(view, ".jupyter", "kernels", "tslab");
  mkdirSync(kernelDir, { recursive: true, mode: 0o755 });
  writeFileSync(join(kernelDir, "kernel.json"), JSON.stringify({ argv: ["node", "@G/node_modules/tslab/bin/tslab", "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript", language: "typescript" }));
  writeFileSync(join(view, "scripts", "assignment", "run_cells.py"), readFileSync(join(root, "scripts", "assignment", "run_cells.py")));
  mkdirSync(join(view, "notebooks"), { recursive: true, mode: 0o755 });
  const path = join(view, "notebooks", name);
  writeFileSync(path, `${JSON.stringify(nb, null, 1)}\n`);
  return `notebooks/${name}`;
}

interface CellsResult {
  cells: { id: string | null; text: string }[];
  error: string | null;
}

function python(root: string): string {
  const saved = join(root, ".jupyter", "python");
  return existsSync(saved) ? readFileSync(saved, "utf8").trim() : "python3";
}

/** Runs a notebook in the sandbox; the per-cell outputs, or why there are none. */
function runNotebook(root: string, sandbox: Sandbox, view: string, nodeModules: string, rel: string, timeoutSeconds: number, slot: number): Promise<CellsResult | { failed: string }> {
  // The kernelspec names the sandbox's paths.
  const root_ = sandbox.kind === "bwrap" ? "/g" : view;
  const spec = join(view, ".jupyter", "kernels", "tslab", "kernel.json");
  writeFileSync(spec, readFileSync(spec, "utf8").split("@G").join(root_));
  const box = startSandboxed(sandbox, {
    view, nodeModules, slot,
    command: [python(root), "@G/scripts/assignment/run_cells.py", `@G/${rel}`, String(timeoutSeconds)],
    env: {
      JUPYTER_PATH: `${root_}/.jupyter`, JUPYTER_RUNTIME_DIR: "/tmp/jupyter-runtime", JUPYTER_CONFIG_DIR: "/tmp/jupyter-config", JUPYTER_DATA_DIR: "/tmp/jupyter-data",
      IPYTHONDIR: "/tmp/ipython", CLASSIFIERS_GRADING: "1", CLASSIFIERS_SMOKE: "1", CLASSIFIERS_LIVE: "0", CLASSIFIERS_BACKEND: "cpu", PYTHONDONTWRITEBYTECODE: "1",
    },
    memoryMb: 8192, cpuSeconds: timeoutSeconds * 2 + 60, tmpMb: 256, allowProcesses: true, extraFds: 1,
  });
  return new Promise((resolve) => {
    let out = "";
    let stderr = "";
    let size = 0;
    (box.child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > 32 << 20) box.kill();
      else out += chunk.toString("utf8");
    });
    box.child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    box.child.stdout!.resume();
    const timer = setTimeout(() => box.kill(), (timeoutSeconds + 90) * 1000);
    box.child.on("close", (code, signal) => {
      clearTimeout(timer);
      box.kill();
      try {
        const result = JSON.parse(out.split("\n")[0]!) as CellsResult;
        if (!Array.isArray(result.cells)) throw new Error("no cells");
        resolve(result);
      } catch {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve({ failed: `the notebook run ended without results (${why}): ${stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400)}` });
      }
    });
  });
}

/** The values the test cells reported: check name -> JSON text (the first report of each name). */
function reportedValues(result: CellsResult, testCellIds: Set<string>): Map<string, string> {
  const values = new Map<string, string>();
  for (const cell of result.cells) {
    if (!cell.id || !testCellIds.has(cell.id)) continue;
    for (const line of String(cell.text).split("\n")) {
      if (!line.startsWith(CHECK_PREFIX)) continue;
      try {
        const { name, value } = JSON.parse(line.slice(CHECK_PREFIX.length)) as { name: unknown; value: unknown };
        if (typeof name === "string" && !values.has(name)) values.set(name, JSON.stringify(value ?? null));
      } catch {
        // not a report
      }
    }
  }
  return values;
}

/** The first error text of the executed cells, for a failure message. */
function firstError(result: CellsResult): string {
  for (const pattern of [/^\s*(\w*Error|\w*Exception): /, /error TS\d+|\b\w*Error\b/]) {
    for (const cell of result.cells) {
      const line = String(cell.text).split("\n").find((l) => pattern.test(l) && !l.startsWith(CHECK_PREFIX));
      if (line) return line.trim().slice(0, 300);
    }
  }
  return result.error ?? "";
}

/** Equal JSON values, numbers within a relative 1e-6. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function notebookFiles(exercises: Exercise[]): Map<string, Exercise[]> {
  const byFile = new Map<string, Exercise[]>();
  for (const e of exercises) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return byFile;
}

/** The solution's reported values per notebook exercise (run once in the sandbox; cached by content). */
export async function notebookReference(root: string, manifest: Manifest, exercises: Exercise[], ctx: { sandbox: Sandbox; nodeModules: string; workDir: string; caches: Caches; log: (l: string) => void }): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  const timeout = manifest.notebookTimeLimitSeconds ?? 120;
  for (const [file, list] of notebookFiles(exercises)) {
    const p = plan(root, file, list);
    const instructor = JSON.parse(readFileSync(join(root, file), "utf8")) as NotebookJson;
    const { nb } = gradingNotebook(p, instructor, instructor);
    const key = hashOf(ctx.caches.key, JSON.stringify(nb));
    const cache = join(root, "build", "assignment", "cache", `notebook-${key}.json`);
    let values: Record<string, string>;
    if (existsSync(cache)) values = JSON.parse(readFileSync(cache, "utf8")) as Record<string, string>;
    else {
      ctx.log(`running the solution's cells of ${file} (cached for later runs)...`);
      const view = join(ctx.workDir, "notebook-reference");
      makeView(view, ctx.caches, new Map());
      try {
        const rel = prepareNotebookView(root, view, ctx.caches, nb, "reference.ipynb");
        const result = await runNotebook(root, ctx.sandbox, view, ctx.nodeModules, rel, timeout, 0);
        if ("failed" in result) throw new Error(`the solution's notebook cells of ${file} did not run: ${result.failed}`);
        const reported = reportedValues(result, new Set([...p.tests.values()].map((t) => t.cellId)));
        const missing = [...p.tests.values()].flatMap((t) => t.checks.map((c) => c.name)).filter((n) => !reported.has(n));
        if (missing.length > 0) throw new Error(`the solution's cells of ${file} reported no value for ${missing.map((n) => `"${n}"`).join(", ")}: ${firstError(result)}`);
        values = Object.fromEntries(reported);
        writeFileSync(cache, JSON.stringify(values));
      } finally {
        rmSync(view, { recursive: true, force: true });
      }
    }
    for (const e of list) out.set(e.name, new Map(p.tests.get(e.name)!.checks.map((c) => [c.name, values[c.name]!])));
  }
  return out;
}

/** Grades the notebook exercises of one copy. */
export async function gradeNotebookExercises(setup: Setup, files: Map<string, Buffer>, exercises: Exercise[], libraryView: string, slot: number): Promise<Map<string, Omit<ExerciseGrade, "flags">>> {
  const out = new Map<string, Omit<ExerciseGrade, "flags">>();
  const timeout = setup.manifest.notebookTimeLimitSeconds ?? 120;
  for (const [file, list] of notebookFiles(exercises)) {
    const p = plan(setup.root, file, list);
    const instructor = JSON.parse(readFileSync(join(setup.root, file), "utf8")) as NotebookJson;
    let student: NotebookJson | undefined;
    let problem: string | undefined;
    const data = files.get(file);
    if (!data) problem = `your copy has no ${file}`;
    else {
      try {
        student = JSON.parse(data.toString("utf8")) as NotebookJson;
        if (!Array.isArray(student.cells)) throw new Error("it has no cells");
      } catch (err) {
        problem = `${file} is not a readable notebook: ${(err as Error).message.split("\n")[0]}`;
        student = undefined;
      }
    }
    let values = new Map<string, string>();
    // Python and the kernel start processes: only bubblewrap contains them (Node's permission model cannot).
    if (!problem && setup.sandbox.kind !== "bwrap" && !setup.unsafe) problem = "notebook cells run only under bubblewrap (install it), or with --unsafe";
    if (!problem) {
      const { nb, missing } = gradingNotebook(p, instructor, student);
      // The student's library (their exercise files over the release's) is the one the notebook imports.
      const view = `${libraryView}-nb`;
      execFileSync("cp", ["-al", libraryView, view]);
      try {
        const rel = prepareNotebookView(setup.root, view, setup.caches, nb, "graded.ipynb");
        const result = await runNotebook(setup.root, setup.sandbox, view, setup.nodeModules, rel, timeout, slot);
        if (process.env.ASSIGNMENT_DEBUG === "1") console.error(JSON.stringify(result, null, 1));
        if ("failed" in result) problem = result.failed;
        else {
          values = reportedValues(result, new Set([...p.tests.values()].map((t) => t.cellId)));
          if (values.size === 0) problem = `no value reported${missing.length > 0 ? ` (missing cells: ${missing.join(", ")})` : ""}: ${firstError(result) || "the cells did not reach the tests"}`;
        }
      } finally {
        rmSync(view, { recursive: true, force: true });
      }
    }
    for (const e of list) {
      const reference = setup.notebookReference.get(e.name)!;
      const results = p.tests.get(e.name)!.checks.map((c) => {
        const got = values.get(c.name);
        const want = reference.get(c.name);
        let passed = false;
        let message: string;
        if (got === undefined) message = problem ?? "no value reported (did the exercise cell run without errors?)";
        else {
          passed = want !== undefined && sameValue(JSON.parse(got), JSON.parse(want));
          message = passed ? "" : `your value ${got.slice(0, 200)} differs from the solution's`;
        }
        return { name: c.name, visibility: c.visibility, weight: 1, passed, message };
      });
      out.set(e.name, scoreTests(e, results));
    }
  }
  return out;
}
