/**
 * The grader against hostile students (issue 22): one submission per trick, all graded in one run
 * (two at a time) from copies of a release made at test time. Each trick scores 0 on the exercise it
 * attacks (and the same copy's honest exercise keeps its point), the instructor's project, a gradebook
 * and a canary folder outside are unchanged, no process survives, no connection reaches a listener on
 * 127.0.0.1, and archives with links, devices, absolute or `..` paths or too much data are refused with
 * the reason. The trick's code reports what it could do in the message of the error it throws: "D"
 * (denied) or "OK". Instructor-only: the release leaves this file out.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grade, type Gradebook, type StudentGrade } from "../scripts/assignment/grade.js";
import { makeRelease, replaceIn, root, studentCopy, tree, useSolution, workDir } from "./assignment-fixture.js";

let work: string;
let release: string;
let canary: string;
let victim: string;
let instructorGrades: string;
let server: Server;
let port: number;
let connections = 0;
let book: Gradebook;
const snapshots = new Map<string, string[]>();
const PROJECT_PARTS = ["lib/src", "tests", "assignment", "notebooks", "scripts"];
const helpersBefore = readFileSync(join(root, "tests/helpers.ts"), "utf8");

/** Replaces relu-forward's body (the solution's layers.ts otherwise) with `body`; `header` goes after the imports. */
function attackRelu(dir: string, body: string, header = ""): void {
  useSolution(dir, "lib/src/nn/layers.ts");
  const file = join(dir, "lib/src/nn/layers.ts");
  replaceIn(file, "  const a = tf.relu(z) as T;\n  return { out: a, cache: { z, a } };", body);
  if (header) replaceIn(file, 'import * as tf from "@tensorflow/tfjs-core";\n', `import * as tf from "@tensorflow/tfjs-core";\n${header}\n`);
}

/** A helper the tricks share: run each attempt, collect "name:D" or "name:OK". */
const REPORT = `
import * as __fs from "node:fs";
const __report: string[] = [];
const __try = (what: string, fn: () => unknown): void => { try { fn(); __report.push(what + ":OK"); } catch { __report.push(what + ":D"); } };
`;

function python(script: string): void {
  execFileSync("python3", ["-c", script], { stdio: "pipe" });
}

function byExercise(s: StudentGrade): Record<string, number | null> {
  return Object.fromEntries(s.exercises.map((e) => [e.exercise, e.points]));
}

function student(name: string): StudentGrade {
  const s = book.students.find((x) => x.student === name);
  assert.ok(s, `${name} was graded`);
  return s;
}

/** What relu-forward's first case reported (the trick's report is its error message). */
function reluMessage(name: string): string {
  return student(name).exercises.find((e) => e.exercise === "relu-forward")!.tests[0]!.message;
}

/** This run's sleepers sleep this long (other jobs on the machine may run sleepers of their own). */
const SLEEP = `150.${String(process.pid).padStart(6, "0")}`;

/** Processes of this test's sandboxes (their command lines name this process's work folder) or sleepers. */
function leftovers(): string[] {
  const ps = spawnSync("ps", ["-eo", "pid=,uid=,args="], { encoding: "utf8" }).stdout;
  return ps.split("\n").filter((line) => line.includes(SLEEP) || line.includes(`run-${process.pid}/`));
}

before(async () => {
  work = workDir("hostile");
  release = await makeRelease();
  canary = mkdtempSync(join(tmpdir(), "grader-canary-"));
  writeFileSync(join(canary, "keep.txt"), "canary");
  victim = join(work, "victim");
  mkdirSync(victim);
  writeFileSync(join(victim, "keep.txt"), "victim");
  instructorGrades = join(work, "instructor-grades");
  mkdirSync(instructorGrades);
  writeFileSync(join(instructorGrades, "gradebook.csv"), "student,exercise,points\nalice,relu-forward,1\n");
  for (const part of PROJECT_PARTS) snapshots.set(part, tree(join(root, part)));
  snapshots.set("outside", [...tree(canary), ...tree(victim), ...tree(instructorGrades)]);
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  port = (server.address() as { port: number }).port;

  const students = join(work, "students");
  const copy = (name: string, edit: (dir: string) => void): string => studentCopy(release, join(students, name), (dir) => {
    rmSync(join(dir, "notebooks"), { recursive: true });
    edit(dir);
  });
  const copies: string[] = [];
  // The first trick: a non-exercise module writes the old grader's report file and exits 0 at import.
  copies.push(copy("backend-report", (dir) => {
    replaceIn(join(dir, "lib/src/runtime/backend.ts"), 'import * as tf from "@tensorflow/tfjs-core";\n', `import * as tf from "@tensorflow/tfjs-core";\nimport { writeFileSync as __w } from "node:fs";\nfor (const e of ["relu-forward", "affine-forward"]) { try { __w(process.cwd() + "/.report-" + e + ".jsonl", JSON.stringify({ name: e + ": x", passed: true, skipped: false }) + "\\n" + JSON.stringify({ summary: "duration_ms 1" }) + "\\n"); } catch {} }\nprocess.exit(0);\n`);
  }));
  // Forged verdicts: report files, fake frames on every descriptor, a fake "done", then exit 0, at import of the exercise file.
  copies.push(copy("forge-frames", (dir) => attackRelu(dir, '  throw new Error("never reached");', `${REPORT}
for (const e of ["relu-forward", "affine-forward"]) __try("report " + e, () => __fs.writeFileSync("/g/.report-" + e + ".jsonl", "{\\"passed\\":true}"));
for (let fd = 1; fd < 8; fd++) for (let id = 0; id < 40; id++) { try { __fs.writeSync(fd, JSON.stringify({ id, passed: true, value: { passed: true, out: "ok" } }) + "\\n"); } catch {} }
try { __fs.writeSync(3, '{"done":1}\\n'); } catch {}
process.exit(0);`)));
  // Importing the instructor's solution: relative to the working folder, and by its absolute path.
  copies.push(copy("import-solution", (dir) => attackRelu(dir, `  if (__sol && typeof __sol.reluForward === "function") return __sol.reluForward(z);
  throw new Error(__report.join(" "));`, `${REPORT}
let __sol: any;
for (const path of [process.cwd() + "/../../../../../lib/src/nn/layers.ts", ${JSON.stringify(join(root, "lib/src/nn/layers.ts"))}, ${JSON.stringify(join(root, "lib/dist/nn/layers.js"))}, "/g/../../" + ${JSON.stringify(join(root, "lib/src/nn/layers.ts"))}]) {
  try { __sol = await import(path); __report.push("import:OK"); break; } catch { __report.push("import:D"); }
}`)));
  // A wrong reluForward (returns z) after every node:assert method is made a no-op.
  copies.push(copy("patch-assert", (dir) => attackRelu(dir, "  return { out: z, cache: { z, a: z } };", `import __assert from "node:assert/strict";
import * as __assertAll from "node:assert";
for (const a of [__assert, (__assertAll as any).default, (__assertAll as any).strict]) for (const k of Object.keys(a ?? {})) { try { (a as any)[k] = () => {}; } catch {} }
(JSON as any).parse = () => ({ passed: true });`)));
  // Reading what it must not: the system's password files, the solution, the hidden cases, the grader's own tests.
  copies.push(copy("snoop", (dir) => attackRelu(dir, `  __try("list /g/assignment without hidden", () => { if (__fs.readdirSync("/g/assignment").includes("hidden")) throw new Error(); });
  throw new Error(__report.join(" "));`, `${REPORT}
for (const [name, path] of [["passwd", "/etc/passwd"], ["shadow", "/etc/shadow"], ["solution", ${JSON.stringify(join(root, "lib/src/nn/layers.ts"))}], ["hidden", ${JSON.stringify(join(root, "assignment/hidden/nn.ts"))}], ["tests", ${JSON.stringify(join(root, "tests/assignment.test.ts"))}], ["proc-root", "/proc/1/root/" + ${JSON.stringify(join(root, "lib/src/nn/layers.ts"))}.slice(1)], ["g-hidden", "/g/assignment/hidden/nn.ts"]]) __try("read " + name, () => __fs.readFileSync(path));`)));
  // Writing where it must not: the project's tests, a planted test, a file to delete, the instructor's gradebook, a canary outside.
  copies.push(copy("vandal", (dir) => attackRelu(dir, "  throw new Error(__report.join(\" \"));", `${REPORT}
__try("append helpers", () => __fs.appendFileSync(${JSON.stringify(join(root, "tests/helpers.ts"))}, "\\n// planted\\n"));
__try("plant test", () => __fs.writeFileSync(${JSON.stringify(join(root, "tests/zz-planted.test.ts"))}, "throw 1;"));
__try("delete victim", () => __fs.rmSync(${JSON.stringify(join(victim, "keep.txt"))}));
__try("gradebook", () => __fs.writeFileSync(${JSON.stringify(join(instructorGrades, "gradebook.csv"))}, "student,exercise,points\\nvandal,relu-forward,1\\n"));
__try("canary", () => __fs.writeFileSync(${JSON.stringify(join(canary, "keep.txt"))}, "pwned"));
__try("write /g", () => __fs.writeFileSync("/g/lib/dist/nn/layers.js", ""));`)));
  // Starting processes: a command, a detached sleeper that would outlive the grader, the raw binding, a worker, signals.
  const spawner = `${REPORT}
import * as __cp from "node:child_process";
import * as __wt from "node:worker_threads";
__try("exec id", () => __cp.execSync("id"));
__try("setsid sleep", () => __cp.spawn("setsid", ["sleep", "${SLEEP}"], { detached: true, stdio: "ignore" }).unref());
__try("binding", () => (process as any).binding("spawn_sync"));
__try("worker", () => new __wt.Worker("setInterval(() => {}, 1000)", { eval: true }));`;
  copies.push(copy("spawner", (dir) => attackRelu(dir, "  throw new Error(__report.join(\" \"));", spawner)));
  // Signals: the sandbox's parent and its PID 1 (under bubblewrap both are inside its own PID namespace).
  copies.push(copy("signals", (dir) => attackRelu(dir, "  throw new Error(String(process.ppid) + \" \" + __report.join(\" \"));", `${REPORT}
__try("kill 1", () => process.kill(1, "SIGKILL"));
__try("kill parent", () => process.kill(process.ppid, "SIGKILL"));`)));
  // The network: a listener on the grader's 127.0.0.1.
  copies.push(copy("network", (dir) => attackRelu(dir, "  throw new Error(__report.join(\" \"));", `${REPORT}
import * as __net from "node:net";
await new Promise<void>((done) => { const s = __net.connect(${port}, "127.0.0.1"); s.on("connect", () => { __report.push("connect:OK"); s.destroy(); done(); }); s.on("error", () => { __report.push("connect:D"); done(); }); setTimeout(() => { __report.push("connect:D"); done(); }, 3000); });`)));
  // Memory: 3 GB at once.
  copies.push(copy("memory", (dir) => attackRelu(dir, "  __try(\"alloc 3GB\", () => Buffer.alloc(3 * 1024 ** 3).fill(1));\n  throw new Error(__report.join(\" \"));", REPORT)));
  // Archives: a symbolic link to the solution (tar and zip), `..` and absolute paths, a hard link, a device, a 50 MB file.
  const honest = copy("archive-base", () => {});
  const link = "../../../../../../../../../../../../.." + join(root, "lib/src/nn/layers.ts");
  const tarWith = (name: string, entry: string): string => {
    const out = join(students, `${name}.tar.gz`);
    python(`import tarfile, io
base = ${JSON.stringify(honest)}
with tarfile.open(${JSON.stringify(out)}, "w:gz") as t:
    t.add(base + "/lib/src/knn", arcname="copy/lib/src/knn")
${entry}`);
    return out;
  };
  copies.push(tarWith("symlink-tar", `    i = tarfile.TarInfo("copy/lib/src/nn/layers.ts"); i.type = tarfile.SYMTYPE; i.linkname = ${JSON.stringify(link)}; t.addfile(i)`));
  copies.push(tarWith("dotdot-tar", `    data = b"x"; i = tarfile.TarInfo("copy/../../../../tests/zz-planted.test.ts"); i.size = 1; t.addfile(i, io.BytesIO(data))`));
  copies.push(tarWith("absolute-tar", `    data = b"x"; i = tarfile.TarInfo(${JSON.stringify(join(root, "tests/zz-planted.test.ts"))}); i.size = 1; t.addfile(i, io.BytesIO(data))`));
  copies.push(tarWith("hardlink-tar", `    i = tarfile.TarInfo("copy/lib/src/nn/layers.ts"); i.type = tarfile.LNKTYPE; i.linkname = ${JSON.stringify(join(root, "lib/src/nn/layers.ts"))}; t.addfile(i)`));
  copies.push(tarWith("device-tar", `    i = tarfile.TarInfo("copy/lib/src/dev"); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; t.addfile(i)`));
  copies.push(tarWith("bomb-tar", `    data = bytes(50 * 1024 * 1024); i = tarfile.TarInfo("copy/lib/src/big.bin"); i.size = len(data); t.addfile(i, io.BytesIO(data))`));
  const zipOut = join(students, "symlink-zip.zip");
  python(`import zipfile
with zipfile.ZipFile(${JSON.stringify(zipOut)}, "w") as z:
    z.write(${JSON.stringify(join(honest, "lib/src/index.ts"))}, "copy/lib/src/index.ts")
    i = zipfile.ZipInfo("copy/lib/src/nn/layers.ts"); i.create_system = 3; i.external_attr = 0o120777 << 16
    z.writestr(i, ${JSON.stringify(link)})`);
  copies.push(zipOut);
  // A notebook answer that snoops, vandalises, starts a sleeper (processes are allowed there) and connects out.
  copies.push(studentCopy(release, join(students, "notebook-attack"), (dir) => {
    const path = join(dir, "notebooks/02-linear-classifier.ipynb");
    const nb = JSON.parse(readFileSync(path, "utf8")) as { cells: { id?: string; source: string[] | string }[] };
    const cell = nb.cells.find((c) => c.id === "5f55f55b")!;
    const imports = 'import * as attackFs from "node:fs";\nimport * as attackCp from "node:child_process";\nimport * as attackNet from "node:net";\n';
    const attack = `for (const p of [${JSON.stringify(join(root, "notebooks/02-linear-classifier.ipynb"))}, ${JSON.stringify(join(root, "assignment/hidden/nn.ts"))}]) { try { console.log("READ", attackFs.readFileSync(p, "utf8").length); } catch {} }
try { attackFs.writeFileSync(${JSON.stringify(join(canary, "keep.txt"))}, "pwned"); } catch {}
try { attackCp.spawn("setsid", ["sleep", "${SLEEP}"], { detached: true, stdio: "ignore" }).unref(); } catch {}
try { attackNet.connect(${port}, "127.0.0.1").on("error", () => {}); } catch {}
`;
    cell.source = imports + (Array.isArray(cell.source) ? cell.source.join("") : cell.source).replace('throw new Error("not implemented yet: svm-margins-by-hand");', `if (byHand.length === 0) {\n${attack}byHand.push({ image: 0, "wrong class j": 1, contributes: 99 });\n}`);
    writeFileSync(path, JSON.stringify(nb));
  }));
  book = await grade(copies, {
    root, outDir: join(work, "grades"), exercises: ["relu-forward", "affine-forward", "svm-margins-by-hand"], timeLimitSeconds: 10, jobs: 2,
    limits: { unpackedMb: 20 },
  });
});

after(async () => {
  server?.close();
  // Should the sandbox ever fail, leave the project as it was.
  if (readFileSync(join(root, "tests/helpers.ts"), "utf8") !== helpersBefore) writeFileSync(join(root, "tests/helpers.ts"), helpersBefore);
  rmSync(join(root, "tests/zz-planted.test.ts"), { force: true });
  if (canary) rmSync(canary, { recursive: true, force: true });
});

test("every trick scores 0 on the exercise it attacks, and the same copy's honest exercise keeps its point", () => {
  const tricks = ["backend-report", "forge-frames", "import-solution", "patch-assert", "snoop", "vandal", "spawner", "signals", "network", "memory"];
  for (const name of tricks) {
    const s = student(name);
    assert.equal(byExercise(s)["relu-forward"], 0, `${name}: ${reluMessage(name)}`);
  }
  // The exercise file loaded (its trick ran at import or in reluForward), so affine-forward, in the same file, is graded as usual.
  for (const name of ["import-solution", "patch-assert", "snoop", "vandal", "spawner", "network", "memory"]) assert.equal(byExercise(student(name))["affine-forward"], 1, `${name}: affine-forward`);
  // Forged frames are read as values of the cases they name, and fail their checks; the module's exit at import costs the cases that load it.
  assert.ok(student("forge-frames").exercises.every((e) => e.tests.every((t) => !t.passed)), JSON.stringify(student("forge-frames").exercises));
  // The non-exercise module is the release's: the student's edit is reported and not used.
  assert.deepEqual(student("backend-report").integrity.ignoredEdits, ["lib/src/runtime/backend.ts"]);
  assert.match(reluMessage("backend-report"), /your code threw: not implemented yet: relu-forward/);
  assert.match(reluMessage("patch-assert"), /^out\[0\] is -2, expected 0$/);
});

test("student code cannot read the solution, the hidden cases, the grader's tests or the system's files, write anywhere outside its /tmp, start a process, reach the network or take 3 GB", () => {
  assert.equal(reluMessage("import-solution"), "your code threw: import:D import:D import:D import:D");
  assert.equal(reluMessage("snoop"), "your code threw: read passwd:D read shadow:D read solution:D read hidden:D read tests:D read proc-root:D read g-hidden:D list /g/assignment without hidden:OK");
  assert.equal(reluMessage("vandal"), "your code threw: append helpers:D plant test:D delete victim:D gradebook:D canary:D write /g:D");
  assert.equal(reluMessage("spawner"), "your code threw: exec id:D setsid sleep:D binding:D worker:D");
  // Its parent is PID 1 of its own namespace, which ignores the signal; the grader (this process) is still here.
  assert.equal(reluMessage("signals"), "your code threw: 1 kill 1:OK kill parent:OK");
  assert.equal(reluMessage("network"), "your code threw: connect:D");
  assert.equal(reluMessage("memory"), "your code threw: alloc 3GB:D");
});

test("archives with a link, a device, an absolute or '..' path, or too much data are refused with the reason, and nothing of them is left on disk", () => {
  const reasons: Record<string, RegExp> = {
    "symlink-tar": /^refused: "copy\/lib\/src\/nn\/layers\.ts" is a symbolic link$/,
    "symlink-zip": /^refused: "copy\/lib\/src\/nn\/layers\.ts" is a symbolic link$/,
    "dotdot-tar": /^refused: "copy\/\.\.\/\.\.\/\.\.\/\.\.\/tests\/zz-planted\.test\.ts" has a "\.\." component/,
    "absolute-tar": /^refused: "\/.*tests\/zz-planted\.test\.ts" has an absolute path$/,
    "hardlink-tar": /^refused: "copy\/lib\/src\/nn\/layers\.ts" is a hard link$/,
    "device-tar": /^refused: "copy\/lib\/src\/dev" is a device$/,
    "bomb-tar": /^refused: it unpacks to more than 20 MB$/,
  };
  for (const [name, reason] of Object.entries(reasons)) {
    const s = student(name);
    assert.match(s.error ?? "", reason, name);
    assert.equal(s.points, 0);
    assert.match(readFileSync(join(book.feedbackDir, `${name}.md`), "utf8"), /The copy could not be graded: refused: /);
  }
  assert.ok(!existsSync(join(root, "build", "assignment", "work", `run-${process.pid}`)), "grading left files behind");
});

test("a notebook answer runs sandboxed too: its value is wrong, it reads nothing of the instructor's, writes nothing, and its sleeper does not survive", () => {
  const s = student("notebook-attack");
  const nb = s.exercises.find((e) => e.exercise === "svm-margins-by-hand")!;
  assert.equal(nb.points, 0);
  assert.equal(nb.total, 5);
  // The cell ran (its one row was reported), so its attempts ran too; their effects are checked in the last test.
  assert.match(nb.tests[0]!.message, /^your value 1 differs from the solution's$/);
});

test("afterwards: the instructor's project, a gradebook, the canary outside and the victim file are unchanged; no connection was made; no process is left", async () => {
  for (const part of PROJECT_PARTS) assert.deepEqual(tree(join(root, part)), snapshots.get(part), `${part} changed`);
  assert.deepEqual([...tree(canary), ...tree(victim), ...tree(instructorGrades)], snapshots.get("outside"));
  assert.ok(!existsSync(join(root, "tests/zz-planted.test.ts")));
  assert.equal(connections, 0, "a sandboxed process reached the listener on 127.0.0.1");
  let left = leftovers();
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await new Promise((done) => setTimeout(done, 100));
    left = leftovers();
  }
  assert.deepEqual(left, [], "processes left behind");
});

test("without bubblewrap, Node's permission model still stops reads, writes and processes (the network is not isolated: said loudly)", async () => {
  const logs: string[] = [];
  const fallback = await grade([join(work, "students", "snoop"), join(work, "students", "vandal"), join(work, "students", "spawner")], {
    root, outDir: join(work, "grades-node"), exercises: ["relu-forward", "affine-forward"], sandbox: "node", jobs: 2, log: (l) => logs.push(l),
  });
  assert.match(logs.join("\n"), /sandbox: Node's permission model only .*network NOT isolated/);
  const message = (name: string): string => fallback.students.find((s) => s.student === name)!.exercises[0]!.tests[0]!.message;
  assert.match(message("snoop"), /read passwd:D read shadow:D read solution:D read hidden:D read tests:D read proc-root:D/);
  assert.equal(message("vandal"), "your code threw: append helpers:D plant test:D delete victim:D gradebook:D canary:D write /g:D");
  assert.equal(message("spawner"), "your code threw: exec id:D setsid sleep:D binding:D worker:D");
  for (const s of fallback.students) assert.deepEqual(byExercise(s), { "relu-forward": 0, "affine-forward": 1 });
  await assert.rejects(grade([join(work, "students", "snoop")], { root, outDir: join(work, "grades-none"), exercises: ["relu-forward"], sandbox: "none" }), /--sandbox none runs student code with your permissions; add --unsafe/);
});

