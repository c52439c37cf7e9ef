/**
 * The autograder: for each student copy (a folder, .tar.gz/.tgz or .zip), copies the student's
 * library (lib/src) next to the instructor's tests in a workspace under build/assignment/, and runs
 * each exercise's tests there in its own child process with a time limit. An infinite loop, a
 * crash or a `process.exit` costs that exercise only. The student's own tests/ are never run:
 * they are compared with the instructor's (hashes), and the graded functions' .d.ts signatures
 * with the release's, and any difference is reported next to the grade.
 */
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { loadManifest, type Exercise, type Manifest } from "./manifest.js";
import { findRegions } from "./regions.js";
import { functionSignatures, sha256 } from "./fingerprint.js";
import { INSTRUCTOR_ONLY, projectFiles } from "./release.js";
import type { ReportLine, ReportedTest } from "./reporter.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const REPORTER = join(HERE, "reporter.ts");
const RUN_TESTS = join(HERE, "run-tests.ts");

export interface GradeOptions {
  /** The instructor's project (solution, manifest, reference tests). */
  root: string;
  /** Where gradebook.csv and gradebook.json go (default <root>/build/assignment/grades). */
  outDir?: string;
  /** Seconds per exercise (default: the manifest's, per exercise or global). */
  timeLimitSeconds?: number;
  /** Only these exercises (default all). */
  exercises?: string[];
  /** TensorFlow.js backend of the grading processes (default: CLASSIFIERS_BACKEND, else "cpu": quick to start, the same everywhere). */
  backend?: string;
  /**
   * Exercises graded at the same time (default 1). More is faster on a machine with spare cores;
   * keep the time limit well above an exercise's normal time, since parallel runs slow each other.
   */
  jobs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ExerciseGrade {
  exercise: string;
  /** null for an exercise graded by hand (its points are the instructor's to give). */
  points: number | null;
  max: number;
  message: string;
  /** For an exercise graded by hand: the student's notebook cells that held its regions. */
  answer?: string;
  /** Tests of this exercise that ran and passed / ran. */
  passed: number;
  total: number;
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
}

export interface StudentGrade {
  student: string;
  source: string;
  /** Points from the tests, out of `max`; exercises graded by hand (`manualMax` points) come on top. */
  points: number;
  max: number;
  manualMax: number;
  /** True when nothing was edited that students must keep. */
  trusted: boolean;
  integrity: Integrity;
  /** Set when the copy could not be graded at all (no lib/src, unreadable archive). */
  error?: string;
  exercises: ExerciseGrade[];
}

export interface Gradebook {
  students: StudentGrade[];
  csvPath: string;
  jsonPath: string;
}

/** "alice.tar.gz" -> "alice"; also safe as a folder name. */
export function studentName(path: string): string {
  const name = basename(resolve(path)).replace(/\.(tar\.gz|tgz|zip)$/i, "");
  return name.replace(/[^A-Za-z0-9._-]+/g, "_") || "student";
}

/** The folder inside `dir` (itself, or one or two levels down) that holds lib/src. */
function findProjectRoot(dir: string): string | undefined {
  const queue: [string, number][] = [[dir, 0]];
  while (queue.length > 0) {
    const [d, depth] = queue.shift()!;
    if (existsSync(join(d, "lib", "src"))) return d;
    if (depth >= 2) continue;
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      // (macOS zips carry a __MACOSX shadow folder)
      if (entry.isDirectory() && entry.name !== "node_modules" && entry.name !== "__MACOSX" && !entry.name.startsWith(".")) queue.push([join(d, entry.name), depth + 1]);
    }
  }
  return undefined;
}

/** A folder as is; an archive extracted into `into`. */
function openCopy(source: string, into: string): string {
  if (statSync(source).isDirectory()) return source;
  mkdirSync(into, { recursive: true });
  if (/\.(tar\.gz|tgz)$/i.test(source)) execFileSync("tar", ["-xzf", source, "-C", into], { stdio: "pipe" });
  else if (/\.zip$/i.test(source)) execFileSync("unzip", ["-q", "-o", source, "-d", into], { stdio: "pipe" });
  else throw new Error(`${source}: give a folder, a .tar.gz/.tgz or a .zip`);
  return into;
}

function filesUnder(dir: string, prefix: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(`${prefix}/${relative(dir, full).split(sep).join("/")}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** A test file's hash, blind to line endings (a copy that went through Windows is not an edit). */
function testHash(path: string): string {
  return sha256(readFileSync(path, "utf8").replace(/\r\n/g, "\n"));
}

/** What the student's copy must match: the release's test files and graded signatures. */
interface Reference {
  tests: Map<string, string>;
  signatures: Map<string, Record<string, string>>;
}

function reference(root: string, manifest: Manifest): Reference {
  const tests = new Map<string, string>();
  for (const file of projectFiles(root, INSTRUCTOR_ONLY)) if (file.startsWith("tests/")) tests.set(file, testHash(join(root, file)));
  const signatures = new Map<string, Record<string, string>>();
  for (const e of manifest.exercises) {
    if (e.file.endsWith(".ts")) signatures.set(e.name, functionSignatures(readFileSync(join(root, e.file), "utf8"), e.file, e.functions));
  }
  return { tests, signatures };
}

function checkIntegrity(copy: string, manifest: Manifest, ref: Reference): Integrity {
  const studentTests = new Set(filesUnder(join(copy, "tests"), "tests"));
  const integrity: Integrity = { testsEdited: [], testsMissing: [], testsAdded: [], signaturesChanged: [] };
  for (const [file, hash] of ref.tests) {
    if (!studentTests.has(file)) integrity.testsMissing.push(file);
    else if (testHash(join(copy, file)) !== hash) integrity.testsEdited.push(file);
  }
  for (const file of studentTests) if (!ref.tests.has(file) && !INSTRUCTOR_ONLY.includes(file)) integrity.testsAdded.push(file);
  for (const e of manifest.exercises) {
    const want = ref.signatures.get(e.name);
    if (!want) continue;
    const path = join(copy, e.file);
    const got = existsSync(path) ? functionSignatures(readFileSync(path, "utf8"), e.file, e.functions) : {};
    for (const fn of e.functions) if (got[fn] !== want[fn]) integrity.signaturesChanged.push(`${e.name}: ${fn}`);
  }
  return integrity;
}

/** The student's library next to the instructor's tests, inside the project so node_modules resolve. */
function prepareWorkspace(root: string, copy: string, work: string): void {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, "lib"), { recursive: true });
  cpSync(join(copy, "lib", "src"), join(work, "lib", "src"), { recursive: true });
  for (const file of projectFiles(root, INSTRUCTOR_ONLY)) {
    if (file.startsWith("tests/") || file === "package.json" || file === "lib/package.json" || file === "tsconfig.json") {
      cpSync(join(root, file), join(work, file), { recursive: true });
    }
  }
}

interface RunOutcome {
  tests: ReportedTest[];
  finished: boolean;
  timedOut: boolean;
  exitCode: number | null;
  signal: string | null;
  stderr: string;
}

/** Runs one exercise's tests in a child process (its own process group, killed at the limit). */
function runExercise(work: string, exercise: Exercise, limitSeconds: number, backend: string): Promise<RunOutcome> {
  const report = join(work, `.report-${exercise.name}.jsonl`);
  rmSync(report, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: backend, CLASSIFIERS_LIVE: "0" };
  // Inside `node --test` this variable would make the child talk to a parent runner instead of the reporter.
  delete env.NODE_TEST_CONTEXT;
  const args = [
    "--import", "tsx",
    `--test-reporter=${REPORTER}`,
    `--test-reporter-destination=${report}`,
    ...exercise.tests.map((t) => `--test-name-pattern=${t.pattern}`),
    RUN_TESTS,
    ...[...new Set(exercise.tests.map((t) => t.file))].map((f) => join(work, f)),
  ];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: work, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-16384);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, limitSeconds * 1000);
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      // Anything the test files started (workers) goes with the group.
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      const lines: ReportLine[] = existsSync(report)
        ? readFileSync(report, "utf8").split("\n").filter((l) => l.trim() !== "").flatMap((l) => {
          try {
            return [JSON.parse(l) as ReportLine];
          } catch {
            return [];
          }
        })
        : [];
      const tests = lines.filter((l): l is ReportedTest => "name" in l);
      const finished = lines.some((l) => "summary" in l && l.summary.startsWith("duration_ms"));
      done({ tests, finished, timedOut, exitCode, signal, stderr });
    });
  });
}

/** The first line of stderr that looks like an error, for a crash message. */
function errorLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const error = lines.find((l) => /^\w*(Error|Exception)\b/.test(l) || /Error:/.test(l));
  return error ? `: ${error.slice(0, 300)}` : " with no error message (did the code call process.exit?)";
}

function scoreExercise(exercise: Exercise, outcome: RunOutcome, limitSeconds: number): Omit<ExerciseGrade, "flags"> {
  const patterns = exercise.tests.map((t) => new RegExp(t.pattern));
  const mine = outcome.tests.filter((t) => !t.skipped && patterns.some((p) => p.test(t.name)));
  const passed = mine.filter((t) => t.passed).length;
  const base = { exercise: exercise.name, max: exercise.points, passed, total: mine.length };
  if (outcome.timedOut) {
    const before = passed > 0 ? ` after ${passed} ${passed === 1 ? "test" : "tests"} had passed` : "";
    return { ...base, points: 0, message: `stopped at the time limit of ${limitSeconds} s${before}` };
  }
  if (!outcome.finished) {
    const how = outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.exitCode}`;
    return { ...base, points: 0, message: `the test process ended early (${how}) after ${mine.length} ${mine.length === 1 ? "test" : "tests"}${errorLine(outcome.stderr)}` };
  }
  if (mine.length === 0) {
    const failed = outcome.tests.find((t) => !t.passed);
    return { ...base, points: 0, message: failed ? `could not run the tests: ${failed.message ?? failed.name}` : "no tests matched this exercise (check the manifest's patterns)" };
  }
  const firstFailure = mine.find((t) => !t.passed);
  if (!firstFailure) return { ...base, points: exercise.points, message: `ok (${passed} ${passed === 1 ? "test" : "tests"})` };
  const shortName = firstFailure.name.replace(patterns.find((p) => p.test(firstFailure.name))!, "");
  return { ...base, points: 0, message: `${mine.length - passed} of ${mine.length} failed; "${shortName}": ${firstFailure.message ?? "failed"}` };
}

interface NotebookCells {
  cells: { id?: string; cell_type: string; source: string | string[] }[];
}

function readCells(path: string): NotebookCells["cells"] {
  return (JSON.parse(readFileSync(path, "utf8")) as NotebookCells).cells;
}

const cellText = (source: string | string[]): string => (Array.isArray(source) ? source.join("") : source);

/**
 * An exercise graded by hand: the student's versions of the notebook cells that hold its regions,
 * found by cell id (the release keeps the ids), for the instructor to read in the gradebook.
 */
function manualGrade(root: string, copy: string, exercise: Exercise): Omit<ExerciseGrade, "flags"> {
  const ids = readCells(join(root, exercise.file))
    .filter((c) => c.cell_type === "code" && findRegions(cellText(c.source), exercise.file).some((r) => r.exercise === exercise.name))
    .map((c) => c.id ?? "");
  const base = { exercise: exercise.name, points: null, max: exercise.points, passed: 0, total: 0 };
  const path = join(copy, exercise.file);
  if (!existsSync(path)) return { ...base, message: `to grade by hand, but the copy has no ${exercise.file}` };
  let cells: NotebookCells["cells"];
  try {
    cells = readCells(path);
  } catch (err) {
    return { ...base, message: `to grade by hand, but ${exercise.file} is not a readable notebook: ${(err as Error).message.split("\n")[0]}` };
  }
  const found = ids.map((id) => cells.find((c) => c.id === id));
  const missing = ids.filter((_, i) => !found[i]);
  const answer = found.filter((c): c is NonNullable<typeof c> => c !== undefined).map((c) => cellText(c.source)).join("\n\n");
  const stub = `not implemented yet: ${exercise.name}`;
  const state = missing.length > 0 ? `cell ${missing.join(", ")} not found` : answer.includes(stub) ? "still the stub" : "answered";
  return { ...base, message: `to grade by hand (${exercise.file}, cell ${ids.join(", ")}): ${state}`, answer };
}

/** Grades one student copy. */
async function gradeStudent(
  root: string,
  source: string,
  manifest: Manifest,
  exercises: Exercise[],
  ref: Reference,
  options: GradeOptions,
  backend: string,
): Promise<StudentGrade> {
  const student = studentName(source);
  const base = join(root, "build", "assignment", "grading", student);
  const graded = (e: Exercise): boolean => e.grading !== "manual";
  const max = exercises.filter(graded).reduce((s, e) => s + e.points, 0);
  const manualMax = exercises.filter((e) => !graded(e)).reduce((s, e) => s + e.points, 0);
  const empty: Integrity = { testsEdited: [], testsMissing: [], testsAdded: [], signaturesChanged: [] };
  const failAll = (error: string): StudentGrade => ({
    student, source, points: 0, max, manualMax, trusted: false, integrity: empty, error,
    exercises: exercises.map((e) => ({ exercise: e.name, points: graded(e) ? 0 : null, max: e.points, message: error, passed: 0, total: 0, flags: [] })),
  });
  let copy: string | undefined;
  try {
    rmSync(join(base, "copy"), { recursive: true, force: true });
    copy = findProjectRoot(openCopy(resolve(source), join(base, "copy")));
  } catch (err) {
    return failAll(`could not open the copy: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!copy) return failAll("no lib/src folder in this copy");
  const project = copy;
  const integrity = checkIntegrity(project, manifest, ref);
  const work = join(base, "work");
  prepareWorkspace(root, project, work);
  const testsFlag = integrity.testsEdited.length + integrity.testsMissing.length > 0 ? ["tests edited (graded with the instructor's tests)"] : [];
  const gradeOne = async (exercise: Exercise): Promise<ExerciseGrade> => {
    if (!graded(exercise)) return { ...manualGrade(root, project, exercise), flags: [] };
    const limit = options.timeLimitSeconds ?? exercise.timeLimitSeconds ?? manifest.timeLimitSeconds;
    const outcome = await runExercise(work, exercise, limit, backend);
    const flags = [...testsFlag, ...integrity.signaturesChanged.filter((s) => s.startsWith(`${exercise.name}: `)).map((s) => `signature of ${s.slice(exercise.name.length + 2)} changed`)];
    const scored = scoreExercise(exercise, outcome, limit);
    // Paths in messages relative to the student's project (lib/src/...), not the grading workspace.
    const grade = { ...scored, message: scored.message.split(`${work}${sep}`).join(""), flags };
    options.log?.(`  ${student} ${exercise.name}: ${grade.points ?? "-"}/${grade.max} ${grade.message}`);
    return grade;
  };
  // `jobs` exercises at a time, each in its own process; results keep the manifest's order.
  const grades = new Array<ExerciseGrade>(exercises.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < exercises.length) {
      const i = next++;
      grades[i] = await gradeOne(exercises[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? 1, exercises.length)) }, worker));
  // Added test files are harmless (never run); edited or missing tests and changed signatures are not.
  const trusted = integrity.testsEdited.length + integrity.testsMissing.length + integrity.signaturesChanged.length === 0;
  return { student, source, points: grades.reduce((s, g) => s + (g.points ?? 0), 0), max, manualMax, trusted, integrity, exercises: grades };
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
  lines.push(`  ${"exercise".padEnd(width)}  points  message`);
  for (const e of grade.exercises) {
    lines.push(`  ${e.exercise.padEnd(width)}  ${`${e.points ?? "-"}/${e.max}`.padStart(6)}  ${e.message}${e.flags.length > 0 ? `  [${e.flags.join("; ")}]` : ""}`);
  }
  const { testsEdited, testsMissing, testsAdded, signaturesChanged } = grade.integrity;
  if (grade.error) lines.push(`  error: ${grade.error}`);
  if (testsEdited.length > 0) lines.push(`  tests edited: ${testsEdited.join(", ")} (graded with the instructor's tests)`);
  if (testsMissing.length > 0) lines.push(`  tests missing: ${testsMissing.join(", ")} (graded with the instructor's tests)`);
  if (testsAdded.length > 0) lines.push(`  tests added (not run): ${testsAdded.join(", ")}`);
  if (signaturesChanged.length > 0) lines.push(`  signatures changed: ${signaturesChanged.join(", ")}`);
  return lines.join("\n");
}

/** Grades every copy in order and writes the gradebook. */
export async function grade(sources: string[], options: GradeOptions): Promise<Gradebook> {
  const root = resolve(options.root);
  const manifest = loadManifest(root);
  const exercises = options.exercises
    ? options.exercises.map((name) => {
      const e = manifest.exercises.find((x) => x.name === name);
      if (!e) throw new Error(`unknown exercise "${name}"; the manifest has ${manifest.exercises.map((x) => x.name).join(", ")}`);
      return e;
    })
    : manifest.exercises;
  const names = sources.map(studentName);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`two copies would both be graded as "${duplicate}"; rename one`);
  const backend = options.backend ?? process.env.CLASSIFIERS_BACKEND ?? "cpu";
  const ref = reference(root, manifest);
  const students: StudentGrade[] = [];
  for (const source of sources) {
    options.log?.(`grading ${source}`);
    students.push(await gradeStudent(root, source, manifest, exercises, ref, options, backend));
  }
  const outDir = resolve(options.outDir ?? join(root, "build", "assignment", "grades"));
  mkdirSync(outDir, { recursive: true });
  const rows = [["student", "exercise", "points", "max", "message", "flags"].join(",")];
  for (const s of students) {
    for (const e of s.exercises) rows.push([s.student, e.exercise, e.points ?? "", e.max, e.message, e.flags.join("; ")].map(csvField).join(","));
  }
  const csvPath = join(outDir, "gradebook.csv");
  const jsonPath = join(outDir, "gradebook.json");
  writeFileSync(csvPath, `${rows.join("\n")}\n`);
  writeFileSync(jsonPath, `${JSON.stringify({ backend, students }, null, 2)}\n`);
  return { students, csvPath, jsonPath };
}
