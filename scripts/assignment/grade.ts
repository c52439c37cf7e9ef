/**
 * The autograder (docs/instructors.md). For each student copy (a folder, .tar.gz/.tgz or .zip):
 *
 *  1. reads the copy without extracting it (archive.ts: links, devices, `..` paths and oversize
 *     archives are refused with the reason);
 *  2. takes from it only the library files that hold exercises; every other library file is the
 *     release's; checks its tests/ and the graded signatures against the release (flags);
 *  3. runs every case of every exercise in ONE sandboxed process (sandbox.ts, execute.ts), which
 *     reports the values the student's functions returned;
 *  4. judges those values here, in a process that never loads student code, against the values the
 *     instructor's solution returned for the same inputs (computed once, in the same sandbox,
 *     cached); a case's check decides, never anything the student's code wrote;
 *  5. runs the notebook exercises' cells headless (notebook.ts) and judges their reported values;
 *  6. writes the gradebook (every test's result), a feedback file per student (Markdown and HTML;
 *     hidden tests show only pass or fail) and an instructor summary.
 *
 * Finished copies are recorded in <out>/students/; a rerun skips copies that did not change.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve, sep } from "node:path";
import { DEFAULT_LIMITS, readSubmission, SubmissionError, type SubmissionLimits } from "./archive.js";
import { loadCases, type LoadedCase } from "./cases.js";
import { runCases, type CaseOutcome, type CaseRequest } from "./execute.js";
import { functionSignatures, sha256 } from "./fingerprint.js";
import { loadManifest, type Exercise, type Manifest } from "./manifest.js";
import { findRegions } from "./regions.js";
import { INSTRUCTOR_ONLY, projectFiles } from "./release.js";
import { chooseSandbox, packagePaths, type Sandbox, type SandboxKind } from "./sandbox.js";
import { buildCaches, GRADER_VERSION, hashOf, makeView, type Caches } from "./workspace.js";
import { writeFeedback, writeSummary } from "./feedback.js";
import { gradeNotebookExercises, notebookReference } from "./notebook.js";

export interface GradeOptions {
  /** The instructor's project (solution, manifest, cases). */
  root: string;
  /** Where the gradebook, feedback and records go (default <root>/build/assignment/grades). */
  outDir?: string;
  /** Seconds per case (default: the manifest's, per exercise or global). */
  timeLimitSeconds?: number;
  /** Only these exercises (default all). */
  exercises?: string[];
  /** Copies graded at the same time (default: the machine's cores). */
  jobs?: number;
  /** "auto" (default): bubblewrap when it works here, else Node's permission model. */
  sandbox?: "auto" | SandboxKind;
  /** Needed for `sandbox: "none"`. */
  unsafe?: boolean;
  /** Address space of a sandboxed process, MB (default 3072). */
  memoryMb?: number;
  limits?: Partial<SubmissionLimits>;
  /** Grade every copy again, even those recorded as finished. */
  regrade?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Called after each copy: how many are done. */
  progress?: (done: number, total: number, student: StudentGrade, seconds: number, reused: boolean) => void;
}

export interface TestResult {
  name: string;
  visibility: "public" | "hidden";
  weight: number;
  /** Points this test is worth, and got. */
  max: number;
  points: number;
  passed: boolean;
  /** Why it failed ("" when it passed). Shown to students for public tests only. */
  message: string;
}

export interface ExerciseGrade {
  exercise: string;
  /** null for an exercise graded by hand (its points are the instructor's to give). */
  points: number | null;
  max: number;
  message: string;
  /** For an exercise graded by hand: the student's notebook cells that held its regions. */
  answer?: string;
  /** Tests that passed / ran. */
  passed: number;
  total: number;
  tests: TestResult[];
  /** Integrity findings that concern this exercise (edited signature, edited tests). */
  flags: string[];
}

export interface Integrity {
  /** Test files whose content differs from the release's. */
  testsEdited: string[];
  testsMissing: string[];
  testsAdded: string[];
  /** "exercise: function" whose declaration differs from the release's. */
  signaturesChanged: string[];
  /** Library files outside the exercise files that differ from the release: not used for grading. */
  ignoredEdits: string[];
}

export interface StudentGrade {
  student: string;
  source: string;
  /** Points from automatic grading, out of `max`; exercises graded by hand (`manualMax` points) come on top. */
  points: number;
  max: number;
  manualMax: number;
  /** True when nothing was edited that students must keep. */
  trusted: boolean;
  integrity: Integrity;
  /** Set when the copy could not be graded at all (refused archive, no lib/src). */
  error?: string;
  exercises: ExerciseGrade[];
  /** Seconds this copy took. */
  seconds: number;
  /** Identifies the copy's content and the grading setup: an unchanged copy is not graded again. */
  key: string;
}

export interface Gradebook {
  students: StudentGrade[];
  sandbox: string;
  csvPath: string;
  testsCsvPath: string;
  jsonPath: string;
  summaryPath: string;
  feedbackDir: string;
}

/** "alice.tar.gz" -> "alice"; also safe as a file name. */
export function studentName(path: string): string {
  const name = resolve(path).split(sep).pop()!.replace(/\.(tar\.gz|tgz|zip)$/i, "");
  return name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "") || "student";
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** A test file's hash, blind to line endings (a copy that went through Windows is not an edit). */
function testHash(data: Buffer | string): string {
  return sha256(data.toString().replace(/\r\n/g, "\n"));
}

/** What the student's copy must match: the release's test files, library files and graded signatures. */
interface Reference {
  tests: Map<string, string>;
  libFiles: Map<string, string>;
  signatures: Map<string, Record<string, string>>;
}

function referenceFingerprints(root: string, manifest: Manifest): Reference {
  const tests = new Map<string, string>();
  const libFiles = new Map<string, string>();
  for (const file of projectFiles(root, INSTRUCTOR_ONLY)) {
    if (file.startsWith("tests/")) tests.set(file, testHash(readFileSync(join(root, file))));
    if (file.startsWith("lib/src/") && file.endsWith(".ts")) libFiles.set(file, testHash(readFileSync(join(root, file))));
  }
  const signatures = new Map<string, Record<string, string>>();
  for (const e of manifest.exercises) {
    if (e.file.endsWith(".ts")) signatures.set(e.name, functionSignatures(readFileSync(join(root, e.file), "utf8"), e.file, e.functions));
  }
  return { tests, libFiles, signatures };
}

function checkIntegrity(files: Map<string, Buffer>, manifest: Manifest, ref: Reference): Integrity {
  const integrity: Integrity = { testsEdited: [], testsMissing: [], testsAdded: [], signaturesChanged: [], ignoredEdits: [] };
  for (const [file, hash] of ref.tests) {
    const mine = files.get(file);
    if (!mine) integrity.testsMissing.push(file);
    else if (testHash(mine) !== hash) integrity.testsEdited.push(file);
  }
  for (const file of [...files.keys()].sort()) if (file.startsWith("tests/") && !ref.tests.has(file) && !INSTRUCTOR_ONLY.includes(file)) integrity.testsAdded.push(file);
  const exerciseFiles = new Set(manifest.exercises.map((e) => e.file));
  for (const [file, hash] of ref.libFiles) {
    if (exerciseFiles.has(file)) continue;
    const mine = files.get(file);
    if (mine && testHash(mine) !== hash) integrity.ignoredEdits.push(file);
  }
  for (const e of manifest.exercises) {
    const want = ref.signatures.get(e.name);
    if (!want) continue;
    const mine = files.get(e.file);
    const got = mine ? functionSignatures(mine.toString("utf8"), e.file, e.functions) : {};
    for (const fn of e.functions) if (got[fn] !== want[fn]) integrity.signaturesChanged.push(`${e.name}: ${fn}`);
  }
  return integrity;
}

/** The case's verdict on one outcome: only the check, run here, can pass it. */
function judge(c: LoadedCase, outcome: CaseOutcome | undefined, want: unknown): { passed: boolean; message: string } {
  if (!outcome) return { passed: false, message: "not run" };
  switch (outcome.kind) {
    case "value":
      try {
        c.check(outcome.value, want, c.input);
        return { passed: true, message: "" };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { passed: false, message: (err as Error)?.name === "CheckFailure" ? message : `your function's result could not be checked: ${message}` };
      }
    case "error":
      return { passed: false, message: `your code threw: ${outcome.message}` };
    case "timeout":
      return { passed: false, message: `stopped at the time limit of ${outcome.limitMs / 1000} s` };
    case "crash":
    case "skipped":
      return { passed: false, message: outcome.message };
  }
}

/** Points of an exercise from its tests' results (weights share its points). */
export function scoreTests(exercise: Exercise, results: { name: string; visibility: "public" | "hidden"; weight: number; passed: boolean; message: string }[]): Omit<ExerciseGrade, "flags"> {
  const totalWeight = results.reduce((s, t) => s + t.weight, 0);
  const tests: TestResult[] = results.map((t) => {
    const max = totalWeight > 0 ? (exercise.points * t.weight) / totalWeight : 0;
    return { ...t, max: round(max), points: t.passed ? round(max) : 0 };
  });
  const passedWeight = results.filter((t) => t.passed).reduce((s, t) => s + t.weight, 0);
  const points = totalWeight > 0 ? round((exercise.points * passedWeight) / totalWeight) : 0;
  const passed = tests.filter((t) => t.passed).length;
  const firstFailure = tests.find((t) => !t.passed);
  const message = tests.length === 0 ? "no tests"
    : !firstFailure ? `ok (${passed} ${passed === 1 ? "test" : "tests"})`
      : `${passed} of ${tests.length} tests passed; first failure (${firstFailure.visibility}) "${firstFailure.name}": ${firstFailure.message}`;
  return { exercise: exercise.name, points, max: exercise.points, message, passed, total: tests.length, tests };
}

interface NotebookCells {
  cells: { id?: string; cell_type: string; source: string | string[] }[];
}

const cellText = (source: string | string[]): string => (Array.isArray(source) ? source.join("") : source);

/** An exercise graded by hand: the student's versions of its cells, found by cell id, for the instructor to read. */
function manualGrade(root: string, files: Map<string, Buffer>, exercise: Exercise): Omit<ExerciseGrade, "flags"> {
  const ids = (JSON.parse(readFileSync(join(root, exercise.file), "utf8")) as NotebookCells).cells
    .filter((c) => c.cell_type === "code" && findRegions(cellText(c.source), exercise.file).some((r) => r.exercise === exercise.name))
    .map((c) => c.id ?? "");
  const base = { exercise: exercise.name, points: null, max: exercise.points, passed: 0, total: 0, tests: [] };
  const data = files.get(exercise.file);
  if (!data) return { ...base, message: `to grade by hand, but the copy has no ${exercise.file}` };
  let cells: NotebookCells["cells"];
  try {
    cells = (JSON.parse(data.toString("utf8")) as NotebookCells).cells;
    if (!Array.isArray(cells)) throw new Error("no cells");
  } catch (err) {
    return { ...base, message: `to grade by hand, but ${exercise.file} is not a readable notebook: ${(err as Error).message.split("\n")[0]}` };
  }
  const found = ids.map((id) => cells.find((c) => c.id === id));
  const missing = ids.filter((_, i) => !found[i]);
  const answer = found.filter((c): c is NonNullable<typeof c> => c !== undefined).map((c) => cellText(c.source)).join("\n\n");
  const state = missing.length > 0 ? `cell ${missing.join(", ")} not found` : answer.includes(`not implemented yet: ${exercise.name}`) ? "still the stub" : "answered";
  return { ...base, message: `to grade by hand (${exercise.file}, cell ${ids.join(", ")}): ${state}`, answer };
}

/** Everything that stays the same for every copy of one grading run. */
export interface Setup {
  root: string;
  manifest: Manifest;
  exercises: Exercise[];
  cases: LoadedCase[];
  caches: Caches;
  sandbox: Sandbox;
  reference: Map<string, unknown>;
  fingerprints: Reference;
  nodeModules: string;
  memoryMb: number;
  limitMs: (e: Exercise) => number;
  notebookReference: Map<string, Map<string, string>>;
  key: string;
  workDir: string;
  unsafe: boolean;
  log: (line: string) => void;
}

function exerciseFileOverlay(manifest: Manifest, read: (file: string) => Buffer | undefined): Map<string, string> {
  const overlay = new Map<string, string>();
  for (const e of manifest.exercises) {
    if (!e.file.startsWith("lib/src/") || !e.file.endsWith(".ts") || overlay.has(e.file.slice(8))) continue;
    const data = read(e.file);
    if (data) overlay.set(e.file.slice(8), data.toString("utf8"));
  }
  return overlay;
}

function requestsFor(setup: Setup, cases: LoadedCase[]): CaseRequest[] {
  const byName = new Map(setup.exercises.map((e) => [e.name, e]));
  return cases.map((c) => ({ key: c.key, group: c.exercise, probe: c.probe, input: c.input, limitMs: setup.limitMs(byName.get(c.exercise)!) }));
}

/** The solution's values for every case: run once in the sandbox, cached by content. */
async function referenceValues(root: string, manifest: Manifest, cases: LoadedCase[], caches: Caches, sandbox: Sandbox, nodeModules: string, memoryMb: number, workDir: string, log: (l: string) => void): Promise<{ values: Map<string, unknown>; key: string }> {
  const overlay = exerciseFileOverlay(manifest, (file) => readFileSync(join(root, file)));
  const { encodeValue } = await import("./values.js");
  const key = hashOf(caches.key, ...[...overlay].flat(), ...cases.map((c) => `${c.key}\n${c.probe}\n${encodeValue(c.input)}`));
  const path = join(root, "build", "assignment", "cache", `reference-${key}.json`);
  if (existsSync(path)) {
    const { decodeValue } = await import("./values.js");
    return { values: new Map(Object.entries(decodeValue(readFileSync(path, "utf8")) as Record<string, unknown>)), key };
  }
  log("computing the solution's values for every case (cached for later runs)...");
  const view = join(workDir, "reference");
  makeView(view, caches, overlay, sandbox.kind === "node" ? packagePaths(nodeModules) : undefined);
  try {
    const outcomes = await runCases({ sandbox, view, nodeModules, slot: 0, memoryMb }, cases.map((c) => ({ key: c.key, group: c.exercise, probe: c.probe, input: c.input, limitMs: 120000 })));
    const values: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const c of cases) {
      const o = outcomes.get(c.key);
      if (o?.kind === "value") values[c.key] = o.value;
      else problems.push(`${c.key}: ${o?.kind === "error" || o?.kind === "crash" || o?.kind === "skipped" ? o.message : o?.kind ?? "no answer"}`);
    }
    if (problems.length > 0) throw new Error(`the solution fails ${problems.length} ${problems.length === 1 ? "case" : "cases"} (fix the case or the solution):\n  ${problems.slice(0, 10).join("\n  ")}`);
    // The solution must pass its own checks too (hand-worked values, properties).
    const failing = cases.flatMap((c) => {
      const v = judge(c, { kind: "value", value: values[c.key], ms: 0 }, values[c.key]);
      return v.passed ? [] : [`${c.key}: ${v.message}`];
    });
    if (failing.length > 0) throw new Error(`the solution does not pass ${failing.length} ${failing.length === 1 ? "check" : "checks"}:\n  ${failing.slice(0, 10).join("\n  ")}`);
    writeAtomic(path, encodeValue(values));
    return { values: new Map(Object.entries(values)), key };
  } finally {
    rmSync(view, { recursive: true, force: true });
  }
}

/** Prepares a grading run: manifest, cases, caches, sandbox, the solution's values. */
export async function prepare(options: GradeOptions): Promise<Setup> {
  const root = resolve(options.root);
  const log = options.log ?? (() => {});
  const manifest = loadManifest(root);
  const exercises = options.exercises
    ? options.exercises.map((name) => {
      const e = manifest.exercises.find((x) => x.name === name);
      if (!e) throw new Error(`unknown exercise "${name}"; the manifest has ${manifest.exercises.map((x) => x.name).join(", ")}`);
      return e;
    })
    : manifest.exercises;
  const chosen = new Set(exercises.map((e) => e.name));
  const cases = (await loadCases(root, manifest)).filter((c) => chosen.has(c.exercise));
  const nodeModules = join(root, "node_modules");
  const sandbox = chooseSandbox(options.sandbox ?? "auto", nodeModules, options.unsafe ?? false);
  const memoryMb = options.memoryMb ?? 3072;
  const caches = buildCaches(root, manifest);
  const workDir = join(root, "build", "assignment", "work", `run-${process.pid}`);
  mkdirSync(workDir, { recursive: true, mode: 0o755 });
  const limitMs = (e: Exercise): number => 1000 * (options.timeLimitSeconds ?? e.timeLimitSeconds ?? manifest.timeLimitSeconds);
  const { values: reference, key: referenceKey } = await referenceValues(root, manifest, cases, caches, sandbox, nodeModules, memoryMb, workDir, log);
  const notebookExercises = exercises.filter((e) => e.grading === "notebook");
  const nbReference = notebookExercises.length > 0 ? await notebookReference(root, manifest, notebookExercises, { sandbox, nodeModules, workDir, caches, log }) : new Map<string, Map<string, string>>();
  const key = hashOf(GRADER_VERSION, referenceKey, JSON.stringify([...nbReference].map(([k, v]) => [k, [...v]])), exercises.map((e) => e.name).join(","), String(options.timeLimitSeconds ?? ""), String(memoryMb), sandbox.kind);
  return { root, manifest, exercises, cases, caches, sandbox, reference, fingerprints: referenceFingerprints(root, manifest), nodeModules, memoryMb, limitMs, notebookReference: nbReference, key, workDir, unsafe: options.unsafe ?? false, log };
}

/** Grades one copy (never throws for the copy's own problems). */
export async function gradeCopy(setup: Setup, source: string, slot: number, limits: SubmissionLimits): Promise<StudentGrade> {
  const started = Date.now();
  const student = studentName(source);
  const { manifest, exercises } = setup;
  const graded = (e: Exercise): boolean => e.grading !== "manual";
  const max = exercises.filter(graded).reduce((s, e) => s + e.points, 0);
  const manualMax = exercises.filter((e) => !graded(e)).reduce((s, e) => s + e.points, 0);
  const empty: Integrity = { testsEdited: [], testsMissing: [], testsAdded: [], signaturesChanged: [], ignoredEdits: [] };
  const seconds = (): number => round((Date.now() - started) / 1000);
  let files: Map<string, Buffer>;
  try {
    files = await readSubmission(source, limits);
  } catch (err) {
    const error = err instanceof SubmissionError ? `refused: ${err.message}` : `could not read the copy: ${(err as Error).message.split("\n")[0]}`;
    return {
      student, source, points: 0, max, manualMax, trusted: false, integrity: empty, error, seconds: seconds(), key: "",
      exercises: exercises.map((e) => ({ exercise: e.name, points: graded(e) ? 0 : null, max: e.points, message: error, passed: 0, total: 0, tests: [], flags: [] })),
    };
  }
  const contentKey = hashOf(setup.key, ...[...files].sort(([a], [b]) => a.localeCompare(b)).flatMap(([p, d]) => [p, d]));
  const integrity = checkIntegrity(files, manifest, setup.fingerprints);
  const overlay = exerciseFileOverlay(manifest, (file) => files.get(file));
  const view = join(setup.workDir, `${student}-${slot}`);
  const grades = new Map<string, Omit<ExerciseGrade, "flags">>();
  try {
    const transpileErrors = makeView(view, setup.caches, overlay, setup.sandbox.kind === "node" ? packagePaths(setup.nodeModules) : undefined);
    const chosen = new Set(exercises.map((e) => e.name));
    const cases = setup.cases.filter((c) => chosen.has(c.exercise));
    const outcomes = cases.length > 0 ? await runCases({ sandbox: setup.sandbox, view, nodeModules: setup.nodeModules, slot, memoryMb: setup.memoryMb }, requestsFor(setup, cases)) : new Map<string, CaseOutcome>();
    for (const e of exercises.filter((x) => (x.grading ?? "cases") === "cases")) {
      const mine = cases.filter((c) => c.exercise === e.name);
      const missing = files.has(e.file) ? undefined : `your copy has no ${e.file} (the release's stub was graded)`;
      const syntax = transpileErrors.get(e.file.slice(8));
      const results = mine.map((c) => {
        const verdict = judge(c, outcomes.get(c.key), setup.reference.get(c.key));
        const message = !verdict.passed && syntax && verdict.message.includes(syntax) ? `${e.file} does not compile: ${syntax}` : verdict.message;
        return { name: c.name, visibility: c.visibility, weight: c.weight, passed: verdict.passed, message: missing && !verdict.passed ? `${missing}; ${message}` : message };
      });
      grades.set(e.name, scoreTests(e, results));
    }
    const notebookExercises = exercises.filter((e) => e.grading === "notebook");
    if (notebookExercises.length > 0) {
      const nb = await gradeNotebookExercises(setup, files, notebookExercises, view, slot);
      for (const [name, grade] of nb) grades.set(name, grade);
    }
    for (const e of exercises.filter((x) => x.grading === "manual")) grades.set(e.name, manualGrade(setup.root, files, e));
  } finally {
    rmSync(view, { recursive: true, force: true });
  }
  const testsFlag = integrity.testsEdited.length + integrity.testsMissing.length > 0 ? ["tests edited (graded with the instructor's tests)"] : [];
  const exerciseGrades: ExerciseGrade[] = exercises.map((e) => {
    const flags = [...testsFlag, ...integrity.signaturesChanged.filter((s) => s.startsWith(`${e.name}: `)).map((s) => `signature of ${s.slice(e.name.length + 2)} changed`)];
    return { ...grades.get(e.name)!, flags };
  });
  const trusted = integrity.testsEdited.length + integrity.testsMissing.length + integrity.signaturesChanged.length === 0;
  return {
    student, source, points: round(exerciseGrades.reduce((s, g) => s + (g.points ?? 0), 0)), max, manualMax, trusted, integrity,
    exercises: exerciseGrades, seconds: seconds(), key: contentKey,
  };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A plain-text table of one student's grades. */
export function formatStudent(grade: StudentGrade): string {
  const width = Math.max(8, ...grade.exercises.map((e) => e.exercise.length));
  const manual = grade.manualMax > 0 ? ` (+ ${grade.manualMax} to grade by hand)` : "";
  const lines = [`${grade.student}: ${grade.points}/${grade.max} points${manual}${grade.trusted ? "" : "  (NOT TRUSTED: see below)"}`];
  lines.push(`  ${"exercise".padEnd(width)}  points  tests  message`);
  for (const e of grade.exercises) {
    const tests = e.total > 0 ? `${e.passed}/${e.total}` : "-";
    lines.push(`  ${e.exercise.padEnd(width)}  ${`${e.points ?? "-"}/${e.max}`.padStart(6)}  ${tests.padStart(5)}  ${e.message}${e.flags.length > 0 ? `  [${e.flags.join("; ")}]` : ""}`);
  }
  const { testsEdited, testsMissing, testsAdded, signaturesChanged, ignoredEdits } = grade.integrity;
  if (grade.error) lines.push(`  error: ${grade.error}`);
  if (testsEdited.length > 0) lines.push(`  tests edited: ${testsEdited.join(", ")} (graded with the instructor's tests)`);
  if (testsMissing.length > 0) lines.push(`  tests missing: ${testsMissing.join(", ")} (graded with the instructor's tests)`);
  if (testsAdded.length > 0) lines.push(`  tests added (not run): ${testsAdded.join(", ")}`);
  if (signaturesChanged.length > 0) lines.push(`  signatures changed: ${signaturesChanged.join(", ")}`);
  if (ignoredEdits.length > 0) lines.push(`  edits outside the exercise files (not used for grading): ${ignoredEdits.join(", ")}`);
  return lines.join("\n");
}

/** Writes through a temporary file of this process's own (two graders, or two test files, may write the same cache file at once). */
function writeAtomic(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** Grades every copy (`jobs` at a time), skipping those recorded as finished and unchanged; writes the gradebook. */
export async function grade(sources: string[], options: GradeOptions): Promise<Gradebook> {
  const names = sources.map(studentName);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`two copies would both be graded as "${duplicate}"; rename one`);
  for (const s of sources) if (!existsSync(s)) throw new Error(`no such copy: ${s}`);
  const setup = await prepare(options);
  const log = setup.log;
  log(`sandbox: ${setup.sandbox.summary}`);
  for (const w of setup.sandbox.warnings) log(`WARNING: ${w}`);
  const outDir = resolve(options.outDir ?? join(setup.root, "build", "assignment", "grades"));
  const records = join(outDir, "students");
  mkdirSync(records, { recursive: true });
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), sources.length));
  const students = new Array<StudentGrade>(sources.length);
  let next = 0;
  let done = 0;
  const worker = async (slot: number): Promise<void> => {
    while (next < sources.length) {
      const i = next++;
      const source = sources[i]!;
      const record = join(records, `${names[i]}.json`);
      let grade: StudentGrade | undefined;
      let reused = false;
      if (!options.regrade && existsSync(record)) {
        try {
          const previous = JSON.parse(readFileSync(record, "utf8")) as StudentGrade;
          const files = await readSubmission(source, limits).catch(() => undefined);
          if (files && previous.key === hashOf(setup.key, ...[...files].sort(([a], [b]) => a.localeCompare(b)).flatMap(([p, d]) => [p, d]))) {
            grade = { ...previous, source };
            reused = true;
          }
        } catch {
          // an unreadable record: grade again
        }
      }
      if (!grade) {
        try {
          grade = await gradeCopy(setup, source, slot, limits);
          if (grade.key) writeAtomic(record, `${JSON.stringify(grade, null, 1)}\n`);
        } catch (err) {
          // A fault of the grader itself (not of the copy): reported, not recorded, so a rerun grades it again.
          const error = `the grader failed on this copy: ${(err as Error).message.split("\n")[0]}`;
          log(`${names[i]}: ${error}`);
          grade = {
            student: names[i]!, source, points: 0, trusted: false, error, seconds: 0, key: "",
            max: setup.exercises.filter((e) => e.grading !== "manual").reduce((sum, e) => sum + e.points, 0),
            manualMax: setup.exercises.filter((e) => e.grading === "manual").reduce((sum, e) => sum + e.points, 0),
            integrity: { testsEdited: [], testsMissing: [], testsAdded: [], signaturesChanged: [], ignoredEdits: [] },
            exercises: setup.exercises.map((e) => ({ exercise: e.name, points: e.grading === "manual" ? null : 0, max: e.points, message: error, passed: 0, total: 0, tests: [], flags: [] })),
          };
        }
      }
      students[i] = grade;
      done++;
      options.progress?.(done, sources.length, grade, grade.seconds, reused);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, (_, slot) => worker(slot)));
  } finally {
    rmSync(setup.workDir, { recursive: true, force: true });
  }
  const rows = [["student", "exercise", "points", "max", "tests passed", "tests", "message", "flags"].join(",")];
  const testRows = [["student", "exercise", "test", "visibility", "passed", "points", "max", "message"].join(",")];
  for (const s of students) {
    for (const e of s.exercises) {
      rows.push([s.student, e.exercise, e.points ?? "", e.max, e.passed, e.total, e.message, e.flags.join("; ")].map(csvField).join(","));
      for (const t of e.tests) testRows.push([s.student, e.exercise, t.name, t.visibility, t.passed ? "yes" : "no", t.points, t.max, t.message].map(csvField).join(","));
    }
  }
  const csvPath = join(outDir, "gradebook.csv");
  const testsCsvPath = join(outDir, "tests.csv");
  const jsonPath = join(outDir, "gradebook.json");
  writeAtomic(csvPath, `${rows.join("\n")}\n`);
  writeAtomic(testsCsvPath, `${testRows.join("\n")}\n`);
  writeAtomic(jsonPath, `${JSON.stringify({ sandbox: setup.sandbox.summary, students }, null, 2)}\n`);
  const feedbackDir = join(outDir, "feedback");
  for (const s of students) writeFeedback(feedbackDir, s);
  const summaryPath = writeSummary(outDir, students, setup.exercises);
  return { students, sandbox: setup.sandbox.summary, csvPath, testsCsvPath, jsonPath, summaryPath, feedbackDir };
}

/** The solution's values of the public cases, as the release's assignment/expected.json (sorted, stable). */
export async function publicExpected(rootIn: string, log: (line: string) => void = () => {}): Promise<string> {
  const root = resolve(rootIn);
  const manifest = loadManifest(root);
  const cases = (await loadCases(root, manifest, { hidden: false })).filter((c) => c.visibility === "public");
  const nodeModules = join(root, "node_modules");
  const sandbox = chooseSandbox("auto", nodeModules, true);
  const caches = buildCaches(root, manifest);
  const workDir = join(root, "build", "assignment", "work", `release-${process.pid}`);
  mkdirSync(workDir, { recursive: true, mode: 0o755 });
  try {
    const { values } = await referenceValues(root, manifest, cases, caches, sandbox, nodeModules, 3072, workDir, log);
    const { encodeValue } = await import("./values.js");
    const sorted = Object.fromEntries([...values].sort(([a], [b]) => a.localeCompare(b)));
    return `${encodeValue(sorted)}\n`;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
