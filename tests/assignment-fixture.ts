/**
 * Shared by the grader's own tests (tests/assignment.test.ts, tests/assignment-hostile.test.ts;
 * instructor-only, never released): a release made once per test file, student copies made from
 * it, and a node:test reporter that writes one JSON line per finished test.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestEvent } from "node:test/reporters";
import { publicExpected } from "../scripts/assignment/grade.js";
import { projectFiles, RELEASE_MARK, writeRelease } from "../scripts/assignment/release.js";
import { sha256 } from "../scripts/assignment/fingerprint.js";

export const root = fileURLToPath(new URL("..", import.meta.url));

/** A fresh folder under build/assignment-test/. */
export function workDir(name: string): string {
  const dir = join(root, "build", "assignment-test", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A release of the current sources, made once and shared by the test files (build/assignment-test/
 * release-<digest of the sources>, read-only by convention); `dir` gets a copy when given.
 */
export async function makeRelease(dir?: string): Promise<string> {
  const digest = sha256(projectFiles(root, ["build", "release"]).map((f) => `${f}\0${sha256(readFileSync(join(root, f)))}`).join("\n")).slice(0, 16);
  const shared = join(root, "build", "assignment-test", `release-${digest}`);
  if (!existsSync(join(shared, RELEASE_MARK))) {
    const tmp = `${shared}.tmp-${process.pid}`;
    writeRelease(root, tmp, await publicExpected(root));
    try {
      renameSync(tmp, shared);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // the other test file made it first
    }
  }
  if (dir === undefined) return shared;
  cpSync(shared, dir, { recursive: true });
  return dir;
}

/** A student copy: the release's lib/src, tests and notebooks, edited by `edit`. */
export function studentCopy(release: string, dir: string, edit: (dir: string) => void = () => {}): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const part of ["lib/src", "tests", "notebooks", "package.json"]) cpSync(join(release, part), join(dir, part), { recursive: true });
  edit(dir);
  return dir;
}

/** Copies the solution's version of a project file into a copy. */
export function useSolution(dir: string, file: string): void {
  cpSync(join(root, file), join(dir, file));
}

export function replaceIn(file: string, from: string, to: string): void {
  const text = readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${file} contains ${from}`);
  writeFileSync(file, text.replace(from, to));
}

/** Every file under `dir` with its SHA-256, sorted (skipping node_modules and build). */
export function tree(dir: string, skip: readonly string[] = ["node_modules", "build", ".git"]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (skip.includes(entry.name)) continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(`${relative(dir, full)} ${sha256(readFileSync(full))} ${statSync(full).mode}`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

export interface ReportedTest {
  name: string;
  passed: boolean;
  message?: string;
}

/** Runs a test file with node --test in `cwd` and returns each test's result. */
export async function runTestFile(file: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<ReportedTest[]> {
  const report = join(tmpdir(), `assignment-report-${process.pid}-${Math.random().toString(36).slice(2)}.jsonl`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CLASSIFIERS_LIVE: "0", ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ["--import", "tsx", `--test-reporter=${fileURLToPath(import.meta.url)}`, `--test-reporter-destination=${report}`, file], { cwd, env: childEnv, stdio: "ignore" });
  await new Promise((done) => child.on("close", done));
  const lines = existsSync(report) ? readFileSync(report, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as ReportedTest) : [];
  rmSync(report, { force: true });
  return lines;
}

/** The reporter runTestFile uses: one JSON line per finished test (name, passed, the error's message). */
export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data as { name: string; details: { error?: { cause?: unknown; message?: string } } };
    const cause = data.details.error?.cause ?? data.details.error;
    const message = cause instanceof Error ? cause.message : (cause as { message?: string } | undefined)?.message;
    yield `${JSON.stringify({ name: data.name, passed: event.type === "test:pass", ...(message ? { message: String(message).split("\n")[0] } : {}) })}\n`;
  }
}
