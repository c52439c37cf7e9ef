/**
 * The student version: every file of the project (as git sees it: tracked and untracked files that
 * are not ignored), with each solution region replaced by its stub and each notebook test cell's
 * hidden block stripped, without the instructor-only files (the hidden cases, the grader's own
 * tests), plus assignment/expected.json: the solution's values for the public cases, which the
 * release's `npm test` compares a student's values with. Types, tests, data descriptions and
 * notebooks stay, so the release builds and its notebooks run up to the first unimplemented
 * exercise. The output depends only on the files' contents: releasing twice gives identical bytes.
 *
 * `--out` is never destructive: it must be a new or empty folder, or an earlier release (which
 * has a .assignment-release file), and never the project itself or a folder of it other than
 * release/ and build/.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { checkManifest, inRegionFolders, loadManifest, regionsOf, type Manifest } from "./manifest.js";
import { hasHiddenTests, stubNotebook, stubText, type Region } from "./regions.js";

/** Instructor-only files and folders that never go to students (project-relative). */
export const INSTRUCTOR_ONLY = ["tests/assignment.test.ts", "tests/assignment-hostile.test.ts", "tests/assignment-fixture.ts", "assignment/hidden"];

/** The file that marks a folder as a release (so `release --out` may replace it). */
export const RELEASE_MARK = ".assignment-release";

/** The public cases' expected values, in the release only. */
export const EXPECTED_PATH = "assignment/expected.json";

/**
 * Stubs leave parameters and helpers unused, which the project's strict settings reject; the
 * release relaxes exactly these two flags in its tsconfig.json and nothing else.
 */
function relaxUnusedChecks(tsconfig: string): string {
  let out = tsconfig;
  for (const flag of ["noUnusedLocals", "noUnusedParameters"]) {
    const pattern = new RegExp(`"${flag}":\\s*true`);
    if (!pattern.test(out)) throw new Error(`tsconfig.json: expected "${flag}": true to relax in the release`);
    out = out.replace(pattern, `"${flag}": false`);
  }
  return out.replace(/\{/, "{\n  // Assignment release: unused-variable checks are off, since the exercise stubs leave parameters unused.");
}

/** Project-relative files of the project, sorted; `release/` and `build/`-style ignored paths are left out by git. */
export function projectFiles(root: string, exclude: readonly string[] = []): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  const files = [...new Set(out.split("\0").filter((f) => f !== ""))]
    .filter((f) => !exclude.some((e) => f === e || f.startsWith(`${e}/`)))
    .filter((f) => existsSync(join(root, f)) && statSync(join(root, f)).isFile());
  return files.sort();
}

/** A file's release content: stubbed when it has regions. */
export function releaseContent(manifest: Manifest, path: string, data: Buffer): { data: Buffer; regions: Region[] } {
  if (path === "tsconfig.json") return { data: Buffer.from(relaxUnusedChecks(data.toString("utf8"))), regions: [] };
  if (!inRegionFolders(manifest, path)) return { data, regions: [] };
  const text = data.toString("utf8");
  if (path.endsWith(".ipynb")) {
    if (regionsOf(path, text).length === 0 && !hasHiddenTests(text)) return { data, regions: [] };
    const stubbed = stubNotebook(text, path);
    return { data: Buffer.from(stubbed.text), regions: stubbed.regions };
  }
  if (regionsOf(path, text).length === 0) return { data, regions: [] };
  const stubbed = stubText(text, path);
  return { data: Buffer.from(stubbed.text), regions: stubbed.regions };
}

/** Regions of every project file, by file, for `checkManifest`. */
export function projectRegions(root: string, manifest: Manifest): Map<string, Region[]> {
  const byFile = new Map<string, Region[]>();
  for (const file of projectFiles(root, INSTRUCTOR_ONLY)) {
    if (!inRegionFolders(manifest, file)) continue;
    const regions = regionsOf(file, readFileSync(join(root, file), "utf8"));
    if (regions.length > 0) byFile.set(file, regions);
  }
  return byFile;
}

export interface ReleaseSummary {
  outDir: string;
  files: number;
  stubbedFiles: string[];
  exercises: { name: string; points: number; regions: number }[];
}

/**
 * Why `outDir` may not receive a release, or undefined when it may: it must not be the project,
 * contain it, or lie inside it outside release/ and build/; if it exists it must be an empty
 * folder or an earlier release.
 */
export function releaseTargetProblem(root: string, outDir: string): string | undefined {
  const project = realpathSync(resolve(root));
  // The nearest existing ancestor, resolved (a symbolic link must not lead into the project).
  let existing = resolve(outDir);
  const rest: string[] = [];
  while (!existsSync(existing)) {
    rest.unshift(existing.split(sep).pop()!);
    existing = dirname(existing);
  }
  const out = join(realpathSync(existing), ...rest);
  if (out === project) return "it is the project itself";
  if (project.startsWith(`${out}${sep}`)) return "it contains the project";
  if (out.startsWith(`${project}${sep}`)) {
    const top = relative(project, out).split(sep)[0];
    if (top !== "release" && top !== "build") return `it is inside the project (${relative(project, out)}); use release/ or build/, or a folder outside the project`;
  }
  if (existsSync(out)) {
    if (!lstatSync(out).isDirectory()) return "it is a file";
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes(RELEASE_MARK)) return `it is not empty and not an earlier release (no ${RELEASE_MARK} file)`;
  }
  return undefined;
}

/**
 * Writes the release into `outDir` (an earlier release there is replaced), after checking the
 * manifest against the regions. `expected` are the public cases' solution values (JSON text) for
 * assignment/expected.json.
 */
export function writeRelease(root: string, outDir: string, expected?: string): ReleaseSummary {
  const manifest: Manifest = loadManifest(root);
  const problems = checkManifest(manifest, projectRegions(root, manifest));
  if (problems.length > 0) throw new Error(`the manifest and the solution regions disagree:\n  ${problems.join("\n  ")}`);
  const out = resolve(outDir);
  const problem = releaseTargetProblem(root, out);
  if (problem) throw new Error(`refusing to write the release into ${out}: ${problem}`);
  const outInRoot = relative(resolve(root), out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const exclude = [...INSTRUCTOR_ONLY, EXPECTED_PATH];
  if (!outInRoot.startsWith("..")) exclude.push(outInRoot.split(sep).join("/"));
  const files = projectFiles(root, exclude);
  const stubbedFiles: string[] = [];
  const counts = new Map<string, number>();
  for (const file of files) {
    const source = join(root, file);
    const { data, regions } = releaseContent(manifest, file, readFileSync(source));
    if (regions.length > 0) stubbedFiles.push(file);
    for (const r of regions) counts.set(r.exercise, (counts.get(r.exercise) ?? 0) + 1);
    const target = join(out, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    // Keep the executable bit (scripts), and nothing else of the file's metadata.
    chmodSync(target, statSync(source).mode & 0o111 ? 0o755 : 0o644);
  }
  if (expected !== undefined) writeFileSync(join(out, EXPECTED_PATH), expected);
  writeFileSync(join(out, RELEASE_MARK), "Written by `npm run assignment -- release`; `release --out` may replace this folder.\n");
  const leftover = files.filter((f) => inRegionFolders(manifest, f) && (regionsOf(f, readFileSync(join(out, f), "utf8")).length > 0 || (f.endsWith(".ipynb") && hasHiddenTests(readFileSync(join(out, f), "utf8")))));
  if (leftover.length > 0) throw new Error(`solution markers or hidden tests left in the release: ${leftover.join(", ")}`);
  return {
    outDir: out,
    files: files.length + (expected !== undefined ? 1 : 0),
    stubbedFiles,
    exercises: manifest.exercises.map((e) => ({ name: e.name, points: e.points, regions: counts.get(e.name) ?? 0 })),
  };
}
