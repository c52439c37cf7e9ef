/**
 * Assignment mode (scripts/assignment/, docs/instructors.md): the release is complete, reproducible,
 * holds no solution and no hidden test, and refuses to overwrite what it should not; students' own
 * `npm test` runs the public cases against the solution's values; the grader gives the solution full
 * marks (notebook cell included), costs a broken, never-returning or crashing exercise exactly its
 * points, gives partial credit per case, writes the gradebook, feedback and summary, flags edited
 * tests and signatures, and a second run keeps the copies it already graded.
 * Instructor-only: the release leaves this file out. The hostile submissions are in
 * tests/assignment-hostile.test.ts.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCases, type LoadedCase } from "../scripts/assignment/cases.js";
import { loadManifest, type Manifest } from "../scripts/assignment/manifest.js";
import { EXPECTED_PATH, RELEASE_MARK, releaseTargetProblem, writeRelease } from "../scripts/assignment/release.js";
import { grade, type StudentGrade } from "../scripts/assignment/grade.js";
import { decodeValue } from "../scripts/assignment/values.js";
import { findNotebookRegions, findRegions, stripHiddenTests, stubNotebook, stubText } from "../scripts/assignment/regions.js";
import { makeRelease, replaceIn, root, runTestFile, studentCopy, tree, useSolution, workDir } from "./assignment-fixture.js";

let work: string;
let release: string;
let manifest: Manifest;
let cases: LoadedCase[];

before(async () => {
  work = workDir("main");
  manifest = loadManifest(root);
  cases = await loadCases(root, manifest);
  release = await makeRelease();
});

function notebookCode(path: string): string {
  const cells = (JSON.parse(readFileSync(path, "utf8")) as { cells: { cell_type: string; source: string[] }[] }).cells;
  return cells.filter((c) => c.cell_type === "code").map((c) => c.source.join("")).join("\n");
}

test("the release: every region stubbed, no hidden case or test block, the public cases' expected values, byte-identical when made twice", async () => {
  const again = join(work, "release-again");
  writeRelease(root, again, readFileSync(join(release, EXPECTED_PATH), "utf8"));
  const a = tree(release);
  assert.deepEqual(a, tree(again), "two releases differ");
  const files = new Set(a.map((line) => line.split(" ")[0]));
  for (const file of ["package.json", "tsconfig.json", "lib/src/index.ts", "tests/exercises.test.ts", "assignment/exercises.json", "assignment/check-kit.ts", "assignment/tests/knn.ts", "assignment/probes/nn.ts", EXPECTED_PATH, RELEASE_MARK, "scripts/assignment/grade.ts"]) {
    assert.ok(files.has(file), `${file} is in the release`);
  }
  for (const file of files) {
    assert.ok(!file!.startsWith("assignment/hidden/"), `${file}: hidden cases are instructor-only`);
    assert.ok(!["tests/assignment.test.ts", "tests/assignment-hostile.test.ts", "tests/assignment-fixture.ts"].includes(file!), `${file} is instructor-only`);
  }
  for (const e of manifest.exercises) {
    const released = e.file.endsWith(".ipynb") ? notebookCode(join(release, e.file)) : readFileSync(join(release, e.file), "utf8");
    assert.ok(released.includes(`throw new Error("not implemented yet: ${e.name}");`), `${e.name}: stub in ${e.file}`);
    assert.ok(!/BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS/.test(released), `${e.file}: no markers left`);
  }
  const distances = readFileSync(join(release, "lib/src/knn/distances.ts"), "utf8");
  assert.ok(!distances.includes("sum += Math.abs(q[qOffset + f]! - t[tOffset + f]!)"), "the two-loop solution is gone");
  // The notebook test cell keeps its public checks and loses its hidden ones.
  const nb = notebookCode(join(release, "notebooks/02-linear-classifier.ipynb"));
  assert.match(nb, /\/\/ TESTS svm-margins-by-hand\n/);
  assert.match(nb, /check\("one row per image and wrong class", byHand\.length, 4\);/);
  assert.ok(!nb.includes("what each margin contributes"), "a hidden check is in the release");
  assert.match(nb, /\/\/ \(hidden tests run when the assignment is graded\)/);
  // expected.json: exactly the public cases.
  const expected = decodeValue(readFileSync(join(release, EXPECTED_PATH), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(expected).sort(), cases.filter((c) => c.visibility === "public").map((c) => c.key).sort());
  for (const c of cases.filter((x) => x.visibility === "hidden")) {
    assert.ok(!readFileSync(join(release, EXPECTED_PATH), "utf8").includes(c.name), `hidden case "${c.name}" named in the release`);
  }
});

test("release --out never destroys: the project and its folders, non-empty folders and links into the project are refused; new folders and earlier releases are fine", () => {
  const outside = join(work, "outside");
  mkdirSync(join(outside, "notes"), { recursive: true });
  writeFileSync(join(outside, "notes", "todo.txt"), "keep me");
  symlinkSync(join(root, "lib"), join(work, "link-to-lib"));
  assert.match(releaseTargetProblem(root, root)!, /the project itself/);
  assert.match(releaseTargetProblem(root, join(root, "lib"))!, /inside the project \(lib\)/);
  assert.match(releaseTargetProblem(root, join(root, "notebooks"))!, /inside the project/);
  assert.match(releaseTargetProblem(root, join(root, ".."))!, /contains the project/);
  assert.match(releaseTargetProblem(root, join(outside, "notes"))!, /not empty and not an earlier release/);
  assert.match(releaseTargetProblem(root, join(work, "link-to-lib"))!, /inside the project \(lib\)/);
  assert.equal(releaseTargetProblem(root, join(work, "new", "folder")), undefined);
  assert.equal(releaseTargetProblem(root, release), undefined, "an earlier release may be replaced");
  // The command line: a clear message, no stack trace, nothing touched.
  const before = tree(join(root, "lib"));
  const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/assignment/cli.ts"), ...args], { cwd: root, encoding: "utf8" });
  const r = cli("release", "--out", "lib");
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^assignment: refusing to write the release into .*\/lib: it is inside the project \(lib\)/);
  assert.deepEqual(tree(join(root, "lib")), before, "lib/ changed");
  const unknown = cli("grade", "somewhere", "--exercises", "no-such-exercise");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown exercise "no-such-exercise"; the exercises are: knn-distances-two-loops, /);
  assert.match(unknown.stderr, /^usage: npm run assignment/m);
  for (const out of [r, unknown]) assert.ok(!/^\s+at /m.test(out.stderr), `a stack trace:\n${out.stderr}`);
});

test("the released library type-checks, and its npm test runs the public cases: each stub fails with its message, the solution's files pass against expected.json", async () => {
  // Only the library differs from the project (stubs): the rest is type-checked with the project.
  const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(release, "lib/tsconfig.json"), "--noEmit", "--incremental", "false"], { encoding: "utf8" });
  assert.equal(tsc.status, 0, `tsc failed on the release:\n${tsc.stdout}${tsc.stderr}`);
  const publicCases = cases.filter((c) => c.visibility === "public");
  const solved = join(work, "release-solved");
  cpSync(release, solved, { recursive: true });
  for (const file of new Set(manifest.exercises.filter((e) => e.file.endsWith(".ts")).map((e) => e.file))) useSolution(solved, file);
  const [stubbed, results] = await Promise.all([
    runTestFile("tests/exercises.test.ts", release, { CLASSIFIERS_BACKEND: "cpu" }),
    runTestFile("tests/exercises.test.ts", solved, { CLASSIFIERS_BACKEND: "cpu" }),
  ]);
  assert.equal(stubbed.length, publicCases.length, "one test per public case (no hidden case in the release)");
  for (const t of stubbed) {
    const exercise = t.name.split(":")[0];
    assert.equal(t.passed, false, `${t.name} passes against a stub`);
    assert.match(t.message ?? "", new RegExp(`not implemented yet: ${exercise}`), t.name);
  }
  assert.equal(results.length, publicCases.length);
  for (const t of results) assert.ok(t.passed, `${t.name}: ${t.message}`);
});

// -------------------------------------------------------------------------------------------------
// Grading

const SUBSET = ["relu-forward", "relu-backward", "affine-forward", "svm-loss-naive", "softmax-loss-naive", "random-search", "svm-margins-by-hand"];
const LIBRARY_FILES = ["lib/src/nn/layers.ts", "lib/src/losses/losses.ts", "lib/src/tune/space.ts"];

function byExercise(student: StudentGrade): Record<string, number | null> {
  return Object.fromEntries(student.exercises.map((e) => [e.exercise, e.points]));
}

test("grading: full marks for the solution, partial credit per case, a broken/stuck/crashing/uncompilable exercise costs only its points, flags, gradebook, feedback, summary; a second run keeps finished copies", async () => {
  const students = join(work, "students");
  const solution = (dir: string): void => {
    for (const f of LIBRARY_FILES) useSolution(dir, f);
  };
  // alice: the solution, notebook answer included, as a .tar.gz with one top-level folder.
  studentCopy(release, join(students, "alice-copy"), (dir) => {
    solution(dir);
    useSolution(dir, "notebooks/02-linear-classifier.ipynb");
  });
  execFileSync("tar", ["-czf", join(students, "alice.tar.gz"), "-C", students, "alice-copy"]);
  // bob (.zip): relu-forward returns |z|; no notebook.
  const bob = studentCopy(release, join(students, "bob-copy"), (dir) => {
    solution(dir);
    rmNotebooks(dir);
    replaceIn(join(dir, "lib/src/nn/layers.ts"), "const a = tf.relu(z) as T;", "const a = tf.abs(z) as T;");
  });
  execFileSync("zip", ["-qr", join(students, "bob.zip"), "."], { cwd: bob });
  // erin: softmax without subtracting the row max: only the huge-score cases fail.
  const erin = studentCopy(release, join(students, "erin"), (dir) => {
    solution(dir);
    rmNotebooks(dir);
    replaceIn(join(dir, "lib/src/losses/losses.ts"), "      max = Math.max(max, s);\n    }\n    let sum = 0;", "      max = 0;\n    }\n    let sum = 0;");
  });
  // carol: svm-loss-naive never returns, relu-backward exits the process, space.ts does not compile.
  const carol = studentCopy(release, join(students, "carol"), (dir) => {
    solution(dir);
    rmNotebooks(dir);
    replaceIn(join(dir, "lib/src/losses/losses.ts"), "  checkDelta(delta);\n  // BEGIN SOLUTION", "  checkDelta(delta);\n  for (;;) { /* never returns */ }\n  // BEGIN SOLUTION");
    replaceIn(join(dir, "lib/src/nn/layers.ts"), "  return tf.mul(dout, tf.sign(cache.a)) as T;", "  process.exit(0);");
    replaceIn(join(dir, "lib/src/tune/space.ts"), "  const rng = createRng(seed);", "  const rng = createRng(seed;");
  });
  // dave: a broken random search, a test edited to accept anything, relu-forward's signature widened, a helper file edited.
  const dave = studentCopy(release, join(students, "dave"), (dir) => {
    solution(dir);
    rmNotebooks(dir);
    replaceIn(join(dir, "lib/src/tune/space.ts"), "config[name] = 10 ** (Math.log10(p.low) + rng.next() * (Math.log10(p.high) - Math.log10(p.low)));", "config[name] = p.low + rng.next() * (p.high - p.low);");
    replaceIn(join(dir, "tests/exercises.test.ts"), "c.check(got, want, c.input);", "void want;");
    replaceIn(join(dir, "lib/src/nn/layers.ts"), "export function reluForward<T extends tf.Tensor>(z: T): { out: T; cache: ActivationCache } {", "export function reluForward<T extends tf.Tensor>(z: T, _unused?: number): { out: T; cache: ActivationCache } {");
    replaceIn(join(dir, "lib/src/core/checks.ts"), "export", "// my note\nexport");
    writeFileSync(join(dir, "tests/mine.test.ts"), "// my own test\n");
  });
  const outDir = join(work, "grades");
  const progress: boolean[] = [];
  const copies = [join(students, "alice.tar.gz"), join(students, "bob.zip"), erin, carol, dave];
  const book = await grade(copies, { root, exercises: SUBSET, outDir, timeLimitSeconds: 5, jobs: 2, progress: (_d, _t, _s, _sec, reused) => progress.push(reused) });
  const [alice, bobGrade, erinGrade, carolGrade, daveGrade] = book.students as [StudentGrade, StudentGrade, StudentGrade, StudentGrade, StudentGrade];
  const full = { "relu-forward": 1, "relu-backward": 1, "affine-forward": 1, "svm-loss-naive": 3, "softmax-loss-naive": 3, "random-search": 2 };
  assert.equal(alice.student, "alice");
  assert.deepEqual(byExercise(alice), { ...full, "svm-margins-by-hand": 1 }, JSON.stringify(alice.exercises, null, 1));
  assert.equal(alice.points, 12);
  assert.equal(alice.trusted, true);
  const margins = alice.exercises.find((e) => e.exercise === "svm-margins-by-hand")!;
  assert.deepEqual(margins.tests.map((t) => [t.visibility, t.passed]), [["public", true], ["public", true], ["hidden", true], ["hidden", true], ["hidden", true]]);
  assert.deepEqual(byExercise(bobGrade), { ...full, "relu-forward": 0, "svm-margins-by-hand": 0 });
  const bobRelu = bobGrade.exercises[0]!;
  assert.match(bobRelu.tests[0]!.message, /^out\[0\] is 2, expected 0$/);
  // erin: exactly the points of the cases that pass.
  const softmax = erinGrade.exercises.find((e) => e.exercise === "softmax-loss-naive")!;
  const failing = softmax.tests.filter((t) => !t.passed).map((t) => t.name);
  assert.deepEqual(failing, ["huge scores stay finite (subtract the row max before exp)", "large negative scores stay finite"]);
  assert.equal(softmax.points, Math.round((3 * (softmax.total - 2) / softmax.total) * 100) / 100);
  assert.ok(softmax.points > 0 && softmax.points < 3);
  // carol: each problem costs its own exercise only.
  assert.deepEqual(byExercise(carolGrade), { ...full, "svm-loss-naive": 0, "relu-backward": 0, "random-search": 0, "svm-margins-by-hand": 0 });
  const carolSvm = carolGrade.exercises.find((e) => e.exercise === "svm-loss-naive")!;
  assert.match(carolSvm.tests[0]!.message, /^stopped at the time limit of 5 s$/);
  assert.ok(carolSvm.tests.slice(1).every((t) => /^not run: an earlier test of this exercise was stopped at its time limit$/.test(t.message)));
  assert.match(carolGrade.exercises.find((e) => e.exercise === "relu-backward")!.tests[0]!.message, /the process ended \(exit code 0\)/);
  assert.match(carolGrade.exercises.find((e) => e.exercise === "random-search")!.tests[0]!.message, /lib\/src\/tune\/space\.ts does not compile: lib\/src\/tune\/space\.ts:\d+:\d+: Expected "\)"/);
  assert.match(carolGrade.exercises.find((e) => e.exercise === "svm-margins-by-hand")!.message, /your copy has no notebooks\/02-linear-classifier\.ipynb/);
  // dave: graded with the instructor's cases; flagged.
  assert.equal(daveGrade.trusted, false);
  assert.deepEqual(daveGrade.integrity, { testsEdited: ["tests/exercises.test.ts"], testsMissing: [], testsAdded: ["tests/mine.test.ts"], signaturesChanged: ["relu-forward: reluForward"], ignoredEdits: ["lib/src/core/checks.ts"] });
  // A uniform draw instead of a log-uniform one: only the cases that cannot tell them apart pass.
  const search = daveGrade.exercises.find((e) => e.exercise === "random-search")!;
  assert.deepEqual(search.tests.map((t) => t.passed), [false, true, true, false, false]);
  assert.equal(search.points, 0.8);
  assert.match(search.tests[0]!.message, /draws per decade of lr/);
  assert.deepEqual(daveGrade.exercises[0]!.flags, ["tests edited (graded with the instructor's tests)", "signature of reluForward changed"]);
  // The gradebook: a row per exercise, a row per test.
  const csv = readFileSync(book.csvPath, "utf8").trim().split("\n");
  assert.equal(csv[0], "student,exercise,points,max,tests passed,tests,message,flags");
  assert.equal(csv.length, 1 + copies.length * SUBSET.length);
  const testsCsv = readFileSync(book.testsCsvPath, "utf8").trim().split("\n");
  const perCopy = cases.filter((c) => SUBSET.includes(c.exercise)).length + 5;
  assert.equal(testsCsv.length, 1 + copies.length * perCopy);
  // Feedback: scores, public failure messages, hidden tests without their message or source.
  const bobFeedback = readFileSync(join(book.feedbackDir, "bob.md"), "utf8");
  assert.match(bobFeedback, /## relu-forward: 0\/1/);
  assert.match(bobFeedback, /❌ failed \(public, 0\/0\.33\): max\(0, z\) element-wise, caching z {2}\n {2}out\\\[0\\\] is 2, expected 0/);
  assert.match(bobFeedback, /❌ failed \(hidden, 0\/0\.33\): a rank-3 tensor\n/);
  assert.ok(existsSync(join(book.feedbackDir, "bob.html")));
  const hiddenSources = cases.filter((c) => c.visibility === "hidden").map((c) => c.check.toString().slice(0, 60));
  for (const s of book.students) {
    for (const ext of ["md", "html"]) {
      const text = readFileSync(join(book.feedbackDir, `${s.student}.${ext}`), "utf8");
      assert.ok(!text.includes("BEGIN HIDDEN") && !text.includes("what each margin contributes\", byHand"), `${s.student}.${ext} shows a hidden test's source`);
      for (const src of hiddenSources) assert.ok(!text.includes(src), `${s.student}.${ext} shows a hidden check`);
      for (const e of s.exercises) {
        const shown = new Set(e.tests.filter((t) => t.visibility === "public").map((t) => t.message));
        for (const t of e.tests) if (t.visibility === "hidden" && t.message && !shown.has(t.message)) assert.ok(!text.includes(t.message), `${s.student}.${ext} shows a hidden test's message: ${t.message}`);
      }
    }
  }
  const summary = readFileSync(book.summaryPath, "utf8");
  assert.match(summary, /\| relu-forward \| 1 \| 0\.80 \| 4\/5 \| max\(0, z\) element-wise, caching z: out\\\[0\\\] is 2, expected 0 \(1×\) \|/);
  // A second run keeps every finished, unchanged copy.
  assert.deepEqual(progress, [false, false, false, false, false]);
  const again: boolean[] = [];
  const second = await grade(copies, { root, exercises: SUBSET, outDir, timeLimitSeconds: 5, jobs: 2, progress: (_d, _t, _s, _sec, reused) => again.push(reused) });
  assert.deepEqual(again, [true, true, true, true, true]);
  assert.deepEqual(second.students.map((s) => s.points), book.students.map((s) => s.points));
});

function rmNotebooks(dir: string): void {
  execFileSync("rm", ["-rf", join(dir, "notebooks")]);
}

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

test("regions in notebook cells: the cell is stubbed, a test cell loses its hidden block, everything else stays, a notebook without either is unchanged", () => {
  const notebook = {
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["Compute the margin.\n", "// BEGIN SOLUTION in markdown is text"] },
      { cell_type: "code", execution_count: null, id: "c1", metadata: {}, outputs: [], source: ["const s = [1, 2, 3];\n", "// BEGIN SOLUTION margins-by-hand (1 pt)\n", "const margin = s[1]! - s[0]! + 1;\n", "// END SOLUTION\n", "console.log(margin);"] },
      { cell_type: "code", execution_count: null, id: "t1", metadata: {}, outputs: [], source: ["// TESTS margins-by-hand\n", "check(\"public\", margin, 2);\n", "// BEGIN HIDDEN TESTS\n", "check(\"secret\", margin * 2);\n", "// END HIDDEN TESTS\n", "check(\"after\", 1);"] },
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
  assert.deepEqual(cells[2]!.source, ["// TESTS margins-by-hand\n", "check(\"public\", margin, 2);\n", "// (hidden tests run when the assignment is graded)\n", "check(\"after\", 1);"]);
  assert.deepEqual(cells[0], notebook.cells[0], "markdown cells are not touched");
  assert.equal(findNotebookRegions(json, "n.ipynb").length, 1);
  const plain = `${JSON.stringify({ ...notebook, cells: [notebook.cells[0]] }, null, 1)}\n`;
  assert.equal(stubNotebook(plain, "p.ipynb").text, plain);
  assert.throws(() => stripHiddenTests("// BEGIN HIDDEN TESTS\nx\n", "c"), /c:1: this BEGIN HIDDEN TESTS block is not closed/);
  assert.throws(() => stripHiddenTests("// END HIDDEN TESTS\n", "c"), /c:1: END HIDDEN TESTS without/);
});
