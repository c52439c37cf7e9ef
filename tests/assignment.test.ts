/**
 * Assignment mode (scripts/assignment/, README "For instructors"): the release is complete,
 * builds, stubs every exercise with its named error and is reproducible; the grader gives the
 * solution full marks, costs a broken or never-returning exercise exactly its points, and reports
 * edited tests and signatures. Instructor-only: the release leaves this file out.
 *
 * Kept reasonably fast: the stub and solution checks run the exercise tests once in one process,
 * and the grader itself runs on a few exercises per copy (each exercise is a child process).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadManifest, type Manifest } from "../scripts/assignment/manifest.js";
import { writeRelease } from "../scripts/assignment/release.js";
import { grade, type StudentGrade } from "../scripts/assignment/grade.js";
import { sha256 } from "../scripts/assignment/fingerprint.js";
import { findNotebookRegions, findRegions, stubNotebook, stubText } from "../scripts/assignment/regions.js";
import type { ReportLine, ReportedTest } from "../scripts/assignment/reporter.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = join(root, "build", "assignment-test");
const releaseA = join(work, "release-a");
const releaseB = join(work, "release-b");
let manifest: Manifest;

before(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  manifest = loadManifest(root);
  writeRelease(root, releaseA);
});

/** Every file under `dir` with its SHA-256, sorted by path. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(`${relative(dir, full)} ${sha256(readFileSync(full))}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** A source file's text, or a notebook's code cells one after another. */
function sourceText(path: string): string {
  const text = readFileSync(path, "utf8");
  if (!path.endsWith(".ipynb")) return text;
  const cells = (JSON.parse(text) as { cells: { cell_type: string; source: string[] }[] }).cells;
  return cells.filter((c) => c.cell_type === "code").map((c) => c.source.join("")).join("\n");
}

/** Runs the exercise test files the manifest names in a project, one process each (cpu backend), and returns each test's result. */
function runExerciseTests(projectRoot: string): ReportedTest[] {
  const env: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_BACKEND: "cpu", CLASSIFIERS_LIVE: "0" };
  delete env.NODE_TEST_CONTEXT;
  // every test file the manifest names (tests/exercises.test.ts, tests/cnn-exercises.test.ts), one process each
  const files = [...new Set(manifest.exercises.flatMap((e) => (e.tests ?? []).map((t) => t.file)))];
  return files.flatMap((file) => {
    const report = join(work, `report-${relative(work, projectRoot).replace(/[^\w]+/g, "_")}-${file.replace(/[^\w]+/g, "_")}.jsonl`);
    spawnSync(process.execPath, [
      "--import", "tsx",
      `--test-reporter=${join(root, "scripts/assignment/reporter.ts")}`,
      `--test-reporter-destination=${report}`,
      join(projectRoot, file),
    ], { cwd: projectRoot, env, stdio: "ignore" });
    return readFileSync(report, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as ReportLine)
      .filter((l): l is ReportedTest => "name" in l);
  });
}

function testsOf(results: ReportedTest[], exercise: string): ReportedTest[] {
  return results.filter((t) => t.name.startsWith(`${exercise}: `));
}

test("the release is the whole project with every region stubbed, leaves this file out, and is byte-identical when made twice", () => {
  writeRelease(root, releaseB);
  const a = tree(releaseA);
  assert.deepEqual(a, tree(releaseB), "two releases differ");
  const files = new Set(a.map((line) => line.split(" ")[0]));
  for (const file of ["package.json", "package-lock.json", "tsconfig.json", "lib/src/index.ts", "tests/exercises.test.ts", "tests/helpers.ts", "notebooks/01-knn.ipynb", "assignment/exercises.json", "scripts/assignment/grade.ts"]) {
    assert.ok(files.has(file), `${file} is in the release`);
  }
  assert.ok(!files.has("tests/assignment.test.ts"), "the instructor-only test is left out");
  for (const e of manifest.exercises) {
    const released = sourceText(join(releaseA, e.file));
    assert.ok(released.includes(`throw new Error("not implemented yet: ${e.name}");`), `${e.name}: stub in ${e.file}`);
    assert.ok(released.includes(`// YOUR CODE HERE (${e.name}, ${e.points} ${e.points === 1 ? "pt" : "pts"})`), `${e.name}: hint in ${e.file}`);
    assert.ok(!released.includes("BEGIN SOLUTION") && !released.includes("END SOLUTION"), `${e.file}: no markers left`);
  }
  // A stub keeps the doc comment and the signature, and drops the solution.
  const distances = readFileSync(join(releaseA, "lib/src/knn/distances.ts"), "utf8");
  assert.match(distances, /\* Two loops: for every query i and every training row j[\s\S]*export function distancesTwoLoops\(queries: tf\.Tensor2D, train: tf\.Tensor2D, metric: Metric = "l2"\): DistanceMatrix \{\n {2}checkOneOf\(metric, METRICS, "metric"\);\n {2}const \[m, n, d\] = checkDistanceShapes\(queries, train\);\n {2}\/\/ YOUR CODE HERE \(knn-distances-two-loops, 2 pts\)\n {2}throw new Error\("not implemented yet: knn-distances-two-loops"\);\n\}/);
  assert.ok(!distances.includes("sum += Math.abs(q[qOffset + f]! - t[tOffset + f]!)"), "the two-loop solution is gone");
  // Files without regions are copied unchanged.
  assert.equal(sha256(readFileSync(join(releaseA, "lib/src/knn/neighbors.ts"))), sha256(readFileSync(join(root, "lib/src/knn/neighbors.ts"))));
});

test("the released project type-checks (library, tests, scripts) and every stub throws its named message", () => {
  // tsc resolves packages from the project's node_modules, one folder up from build/assignment-test/release-a.
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(releaseA, "tsconfig.json"), "--noEmit"], { encoding: "utf8" });
  assert.equal(tsc.status, 0, `tsc failed on the release:\n${tsc.stdout}${tsc.stderr}`);
  const results = runExerciseTests(releaseA);
  for (const e of manifest.exercises.filter((x) => x.grading !== "manual")) {
    const mine = testsOf(results, e.name);
    assert.ok(mine.length > 0, `${e.name}: its tests ran`);
    for (const t of mine) {
      assert.equal(t.passed, false, `${t.name} passes against a stub`);
      assert.equal(t.message, `not implemented yet: ${e.name}`, `${t.name}`);
    }
  }
});

test("the solution passes every exercise's tests (full marks) and each exercise has its own tests", () => {
  const results = runExerciseTests(root);
  for (const e of manifest.exercises.filter((x) => x.grading !== "manual")) {
    const mine = testsOf(results, e.name);
    assert.ok(mine.length > 0, `${e.name}: no tests named "${e.name}: ..."`);
    for (const t of mine) assert.ok(t.passed, `${t.name}: ${t.message}`);
  }
});

// -------------------------------------------------------------------------------------------------
// Grading student copies (a few exercises each: every exercise is a child process)

/** A student copy: the solution's lib/src, the release's tests and notebooks, edited by `edit`. */
function studentCopy(name: string, edit: (dir: string) => void = () => {}): string {
  const dir = join(work, "students", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, "lib/src"), join(dir, "lib/src"), { recursive: true });
  cpSync(join(releaseA, "tests"), join(dir, "tests"), { recursive: true });
  cpSync(join(releaseA, "notebooks"), join(dir, "notebooks"), { recursive: true });
  cpSync(join(releaseA, "package.json"), join(dir, "package.json"));
  edit(dir);
  return dir;
}

function replaceIn(file: string, from: string, to: string): void {
  const text = readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${file} contains ${from}`);
  writeFileSync(file, text.replace(from, to));
}

function byExercise(student: StudentGrade): Record<string, number | null> {
  return Object.fromEntries(student.exercises.map((e) => [e.exercise, e.points]));
}

const SUBSET = ["relu-forward", "svm-loss-naive", "random-search"];

test("grading: the solution (a .tar.gz) scores full marks, a copy (a .zip) with one broken exercise loses exactly its points; notebook answers are collected for grading by hand", async () => {
  // The solution's library, and its notebook with the answer in the cell graded by hand.
  const solution = studentCopy("solution-copy", (dir) => cpSync(join(root, "notebooks/02-linear-classifier.ipynb"), join(dir, "notebooks/02-linear-classifier.ipynb")));
  const solutionArchive = join(work, "students", "alice.tar.gz");
  execFileSync("tar", ["-czf", solutionArchive, "-C", join(work, "students"), "solution-copy"]);
  // relu-forward returns |z| instead of max(0, z): wrong for negative inputs only.
  const broken = studentCopy("bob", (dir) => replaceIn(join(dir, "lib/src/nn/layers.ts"), "const a = tf.relu(z) as T;", "const a = tf.abs(z) as T;"));
  const brokenArchive = join(work, "students", "bob.zip");
  execFileSync("zip", ["-qr", brokenArchive, "."], { cwd: broken });
  assert.ok(existsSync(solution));
  const book = await grade([solutionArchive, brokenArchive], { root, exercises: [...SUBSET, "svm-margins-by-hand"], outDir: join(work, "grades-1"), timeLimitSeconds: 60 });
  const [alice, bob] = book.students;
  assert.equal(alice!.student, "alice");
  assert.deepEqual(byExercise(alice!), { "relu-forward": 1, "svm-loss-naive": 3, "random-search": 2, "svm-margins-by-hand": null }, JSON.stringify(alice!.exercises, null, 1));
  assert.equal(alice!.points, 6);
  assert.equal(alice!.max, 6);
  assert.equal(alice!.manualMax, 1);
  const byHand = alice!.exercises[3]!;
  assert.equal(byHand.message, "to grade by hand (notebooks/02-linear-classifier.ipynb, cell 5f55f55b): answered");
  assert.match(byHand.answer!, /const margin = s\[j\]! - s\[yi\]! \+ 1;/);
  assert.equal(alice!.trusted, true);
  assert.deepEqual(byExercise(bob!), { "relu-forward": 0, "svm-loss-naive": 3, "random-search": 2, "svm-margins-by-hand": null }, JSON.stringify(bob!.exercises, null, 1));
  assert.match(bob!.exercises[3]!.message, /: still the stub$/);
  assert.equal(bob!.points, 5);
  assert.match(bob!.exercises[0]!.message, /^1 of 1 failed; "max\(0, z\) element-wise, caching z": out\[0\] is 2, expected 0/);
  // The gradebook: one CSV row per student and exercise, and the JSON with the same grades.
  const csv = readFileSync(book.csvPath, "utf8").trim().split("\n");
  assert.equal(csv[0], "student,exercise,points,max,message,flags");
  assert.equal(csv.length, 1 + 2 * (SUBSET.length + 1));
  assert.ok(csv.includes('alice,svm-margins-by-hand,,1,"to grade by hand (notebooks/02-linear-classifier.ipynb, cell 5f55f55b): answered",'), csv.join("\n"));
  assert.ok(csv.includes("alice,relu-forward,1,1,ok (1 test),"), csv.join("\n"));
  assert.ok(csv.some((row) => row.startsWith("bob,relu-forward,0,1,")));
  const json = JSON.parse(readFileSync(book.jsonPath, "utf8")) as { students: StudentGrade[] };
  assert.deepEqual(json.students.map((s) => [s.student, s.points, s.max]), [["alice", 6, 6], ["bob", 5, 6]]);
});

test("grading: an exercise that never returns is stopped at the time limit, one that exits the process or does not compile gets 0; each costs only its points", async () => {
  const troubled = studentCopy("carol", (dir) => {
    replaceIn(join(dir, "lib/src/losses/losses.ts"), "  checkDelta(delta);\n  // BEGIN SOLUTION svm-loss-naive (3 pts)\n", "  checkDelta(delta);\n  // BEGIN SOLUTION svm-loss-naive (3 pts)\n  for (;;) { /* never returns */ }\n");
    // Exit code 0 in the middle of the run: not a pass, since the run never reached its end.
    replaceIn(join(dir, "lib/src/nn/layers.ts"), "  return tf.mul(dout, tf.sign(cache.a)) as T;", "  process.exit(0);");
    // A syntax error: only the exercises whose tests load this file suffer.
    replaceIn(join(dir, "lib/src/tune/space.ts"), "  const rng = createRng(seed);", "  const rng = createRng(seed;");
  });
  const book = await grade([troubled], { root, exercises: ["svm-loss-naive", "relu-backward", "affine-forward", "random-search"], outDir: join(work, "grades-2"), timeLimitSeconds: 20 });
  const carol = book.students[0]!;
  assert.deepEqual(byExercise(carol), { "svm-loss-naive": 0, "relu-backward": 0, "affine-forward": 1, "random-search": 0 }, JSON.stringify(carol.exercises, null, 1));
  assert.match(carol.exercises[0]!.message, /^stopped at the time limit of 20 s/);
  assert.match(carol.exercises[1]!.message, /^the test process ended early \(exit code 0\)/);
  assert.match(carol.exercises[3]!.message, /^1 of 1 failed; .*space\.ts:\d+:\d+: ERROR: Expected "\)"/);
});

test("grading (two exercises at a time): edited tests and a changed signature are reported, and the instructor's tests are used", async () => {
  const tampered = studentCopy("dave", (dir) => {
    // A broken random search, and a test edited to accept anything.
    replaceIn(join(dir, "lib/src/tune/space.ts"), "config[name] = 10 ** (Math.log10(p.low) + rng.next() * (Math.log10(p.high) - Math.log10(p.low)));", "config[name] = p.low + rng.next() * (p.high - p.low);");
    replaceIn(join(dir, "tests/exercises.test.ts"), "for (const count of decades) assert.ok(", "for (const count of decades) void (");
    // relu-forward's signature widened (it still passes its tests).
    replaceIn(join(dir, "lib/src/nn/layers.ts"), "export function reluForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {", "export function reluForward<T extends tf.Tensor>(z: T, _unused?: number): { out: T; cache: ActivationCache } {");
    // A changed doc comment is not a signature change.
    replaceIn(join(dir, "lib/src/nn/layers.ts"), "/** out = x·W + b for x [N, D], W [D, M], b [M]; out [N, M]. */", "/** My notes: out = x·W + b. */");
    writeFileSync(join(dir, "tests/mine.test.ts"), "// my own test\n");
  });
  const book = await grade([tampered], { root, exercises: ["random-search", "relu-forward", "affine-forward"], outDir: join(work, "grades-3"), timeLimitSeconds: 60, jobs: 2 });
  const dave = book.students[0]!;
  assert.equal(dave.trusted, false);
  assert.deepEqual(dave.integrity, {
    testsEdited: ["tests/exercises.test.ts"],
    testsMissing: [],
    testsAdded: ["tests/mine.test.ts"],
    signaturesChanged: ["relu-forward: reluForward"],
  });
  // Graded with the instructor's tests: the broken random search fails although the student's test would pass.
  assert.deepEqual(byExercise(dave), { "random-search": 0, "relu-forward": 1, "affine-forward": 1 });
  assert.match(dave.exercises[0]!.message, /draws per decade/);
  assert.deepEqual(dave.exercises[1]!.flags, ["tests edited (graded with the instructor's tests)", "signature of reluForward changed"]);
  const csv = readFileSync(book.csvPath, "utf8");
  assert.match(csv, /dave,relu-forward,1,1,ok \(1 test\),tests edited \(graded with the instructor's tests\); signature of reluForward changed/);
});

// -------------------------------------------------------------------------------------------------
// Regions in sources and notebook cells

test("regions: a stub keeps the marker's indentation; malformed, nested and unclosed markers are named by line", () => {
  const source = "function f(): number {\n  check();\n    // BEGIN SOLUTION my-exercise (2 pts)\n    return 42;\n    // END SOLUTION\n}\n";
  assert.equal(stubText(source, "f.ts").text, "function f(): number {\n  check();\n    // YOUR CODE HERE (my-exercise, 2 pts)\n    throw new Error(\"not implemented yet: my-exercise\");\n}\n");
  assert.deepEqual(findRegions(source, "f.ts").map((r) => [r.exercise, r.points, r.begin, r.end]), [["my-exercise", 2, 2, 4]]);
  assert.throws(() => findRegions("// BEGIN SOLUTION My Exercise\n// END SOLUTION\n", "g.ts"), /g\.ts:1: write the marker as/);
  assert.throws(() => findRegions("// BEGIN SOLUTION a (1 pt)\n// BEGIN SOLUTION b (1 pt)\n", "g.ts"), /g\.ts:2: BEGIN SOLUTION inside the region of "a"/);
  assert.throws(() => findRegions("x\n// BEGIN SOLUTION a (1 pt)\n", "g.ts"), /g\.ts:2: the region of "a" has no END SOLUTION/);
  assert.throws(() => findRegions("// END SOLUTION\n", "g.ts"), /g\.ts:1: END SOLUTION without a BEGIN SOLUTION/);
  assert.throws(() => findRegions("  // END SOLUTION here\n", "g.ts"), /g\.ts:1: malformed solution marker/);
});

test("regions in notebook cells: the cell is stubbed, everything else of the notebook stays, a notebook without regions is unchanged", () => {
  const notebook = {
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["Compute the margin.\n", "// BEGIN SOLUTION in markdown is text"] },
      { cell_type: "code", execution_count: null, id: "c1", metadata: {}, outputs: [], source: ["const s = [1, 2, 3];\n", "// BEGIN SOLUTION margins-by-hand (1 pt)\n", "const margin = s[1]! - s[0]! + 1;\n", "// END SOLUTION\n", "console.log(margin);"] },
    ],
    metadata: { kernelspec: { name: "tslab" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const json = `${JSON.stringify(notebook, null, 1)}\n`;
  const stubbed = stubNotebook(json, "n.ipynb");
  assert.deepEqual(stubbed.regions.map((r) => r.exercise), ["margins-by-hand"]);
  const cells = (JSON.parse(stubbed.text) as typeof notebook).cells;
  assert.deepEqual(cells[1]!.source, ["const s = [1, 2, 3];\n", "// YOUR CODE HERE (margins-by-hand, 1 pt)\n", "throw new Error(\"not implemented yet: margins-by-hand\");\n", "console.log(margin);"]);
  assert.deepEqual(cells[0], notebook.cells[0], "markdown cells are not touched");
  assert.deepEqual(findNotebookRegions(json, "n.ipynb").length, 1);
  const plain = `${JSON.stringify({ ...notebook, cells: [notebook.cells[0]] }, null, 1)}\n`;
  assert.equal(stubNotebook(plain, "p.ipynb").text, plain);
});
